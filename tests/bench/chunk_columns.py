#!/usr/bin/env python3
# Sums stored/raw bytes per block column and bloom bytes over every *.chunks
# file under a directory (FORMAT.md layout). Usage: chunk_columns.py DATA/chunks
import struct, sys, glob, os
tot = dict(hdr=0, ent=0, lines=0, meta=0, bloom=0, index=0, raw_ent=0, raw_lines=0, raw_meta=0, blocks=0, entries=0)
def varint(b, p):
    r = s = 0
    while True:
        c = b[p]; p += 1; r |= (c & 0x7f) << s; s += 7
        if c < 0x80: return r, p
for f in glob.glob(sys.argv[1] + '/**/*.chunks', recursive=True):
    b = open(f, 'rb').read()
    p = 0
    while p < len(b):
        # find chunk: header at p, footer: need chunk length -> scan footers: parse index via footer requires end; walk by magic
        assert b[p:p+4] == b'SKCH', (f, p)
        q = p + 8
        # blocks until bloom: walk blocks by header sizes
        # we don't know block count here; read index: find footer by searching next chunk start
        nxt = b.find(b'SKCH', p + 8)
        # footer magic also SKCH: chunk ends at footer end; search properly using index_offset in footer
        # iterate candidate ends
        end = None
        s = p + 8
        while True:
            k = b.find(b'SKCH', s)
            if k < 0: break
            if k + 4 - p >= 24:
                io, il = struct.unpack_from('<QI', b, k - 12)
                if io + il == k - 12 - p: end = k + 4; break
            s = k + 1
        io, il = struct.unpack_from('<QI', b, end - 16)
        idx = b[p+io:p+io+il]
        q = 0
        ln, q = varint(idx, q); q += ln
        nb, q = varint(idx, q)
        for _ in range(nb):
            off, q = varint(idx, q); length, q = varint(idx, q); bo, q = varint(idx, q); bl, q = varint(idx, q); q += 16
            ec, q = varint(idx, q); lb, q = varint(idx, q)
            h = b[p+off:p+off+52]
            raw = struct.unpack_from('<III', h, 24); st = struct.unpack_from('<III', h, 36)
            tot['hdr'] += 52; tot['ent'] += st[0]; tot['lines'] += st[1]; tot['meta'] += st[2]
            tot['raw_ent'] += raw[0]; tot['raw_lines'] += raw[1]; tot['raw_meta'] += raw[2]
            tot['bloom'] += bl; tot['blocks'] += 1; tot['entries'] += ec
        tot['index'] += il + 24
        p = end
for k, v in tot.items(): print(k, v)
