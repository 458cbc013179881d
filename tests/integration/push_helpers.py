"""Helpers for push integration tests (Python stdlib only).

Builds Loki push bodies: v1 JSON, and protobuf PushRequest (pkg/push/push.proto
field numbers) wrapped in snappy *block* format. The stdlib has no snappy, so
snappy_compress() writes a valid literal-only block: the varint of the
uncompressed length, then literal elements of at most 64 KiB.
"""

import json
import struct
import time


def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _field(num, wire, payload):
    return varint((num << 3) | wire) + payload


def _bytes_field(num, data):
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogateescape")
    return _field(num, 2, varint(len(data)) + data)


def _varint_field(num, v):
    return _field(num, 0, varint(v))


def encode_push_proto(streams):
    """streams: [(labels_str, [(ts_ns, line[, {metadata}]), ...]), ...] -> protobuf bytes."""
    out = bytearray()
    for labels, entries in streams:
        s = bytearray(_bytes_field(1, labels))
        for e in entries:
            ts, line = e[0], e[1]
            md = e[2] if len(e) > 2 else {}
            secs, nanos = divmod(ts, 1_000_000_000)
            tsmsg = (_varint_field(1, secs) if secs else b"") + (_varint_field(2, nanos) if nanos else b"")
            ent = bytearray(_bytes_field(1, tsmsg))
            ent += _bytes_field(2, line)
            for k, v in md.items():
                ent += _bytes_field(3, _bytes_field(1, k) + _bytes_field(2, v))
            s += _bytes_field(2, bytes(ent))
        out += _bytes_field(1, bytes(s))
    return bytes(out)


def snappy_compress(data):
    """A valid snappy block made only of literals."""
    out = bytearray(varint(len(data)))
    pos = 0
    while pos < len(data):
        chunk = data[pos:pos + 65536]
        n = len(chunk) - 1
        if n < 60:
            out.append(n << 2)
        elif n < 256:
            out.append(60 << 2)
            out.append(n)
        else:
            out.append(61 << 2)
            out += struct.pack("<H", n)
        out += chunk
        pos += len(chunk)
    return bytes(out)


def proto_body(streams):
    return snappy_compress(encode_push_proto(streams))


def json_body(streams):
    """streams: [({label: value}, [(ts_ns, line[, {md}]), ...]), ...] -> JSON bytes."""
    doc = {"streams": []}
    for labels, entries in streams:
        values = []
        for e in entries:
            v = [str(e[0]), e[1]]
            if len(e) > 2:
                v.append(e[2])
            values.append(v)
        doc["streams"].append({"stream": labels, "values": values})
    return json.dumps(doc).encode()


def now_ns():
    return time.time_ns()


PROTO = {"Content-Type": "application/x-protobuf"}
JSON = {"Content-Type": "application/json"}


def with_tenant(headers, tenant):
    h = dict(headers)
    h["X-Scope-OrgID"] = tenant
    return h


def stats(s, query, headers=None, start=None, end=None):
    """GET /loki/api/v1/index/stats over a wide window; returns the decoded JSON."""
    params = {"query": query,
              "start": str(start if start is not None else now_ns() - 3 * 3600 * 10**9),
              "end": str(end if end is not None else now_ns() + 3600 * 10**9)}
    status, _, body = s.get("/loki/api/v1/index/stats", params=params, headers=headers)
    assert status == 200, (status, body)
    return json.loads(body)
