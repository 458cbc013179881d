// Constants of the chunk format. The byte layout is drawn in FORMAT.md next
// to this file; change both together, and never renumber a serialized enum.
#pragma once

#include <cstddef>
#include <cstdint>

namespace skald::server::chunk {

// "SKCH" read as a little-endian u32; starts and ends every chunk.
constexpr uint32_t kChunkMagic = 0x48434b53u;
constexpr uint8_t kFormatVersion = 1;

// magic u32 | version u8 | codec u8 | reserved u16
constexpr size_t kChunkHeaderBytes = 8;
// index_offset u64 | index_length u32 | magic u32
constexpr size_t kChunkFooterBytes = 16;
// See FORMAT.md "Block".
constexpr size_t kBlockHeaderBytes = 52;
// Offset of the masked crc32c inside a block header.
constexpr size_t kBlockCrcOffset = 48;

// Block header byte 21: flags (FORMAT.md "Block"). A reader rejects a block
// with a flag it does not know.
// The metadata column is compressed with the block's raw lines column as a
// zstd prefix (zstd blocks only): values repeated in the lines (trace_id)
// cost a back-reference.
constexpr uint8_t kBlockFlagMetadataLinesPrefix = 1;
// The entries column holds three runs (all timestamp deltas, then all line
// lengths, then all metadata-set-id deltas) instead of one triple per entry.
constexpr uint8_t kBlockFlagSplitEntries = 2;
// Segments, newest first (zstd only, with split entries, without the lines
// prefix): the lines column is one zstd frame holding the block's entries in
// segments from the newest to the oldest, each segment's lines followed by
// its own metadata column and ended by a zstd flush, so a reader can
// decompress the newest entries of a block without the rest (a backward
// query with a limit). The metadata column is empty; the segment table ends
// the entries column.
constexpr uint8_t kBlockFlagNewestFirst = 4;
// The stored entries column is followed by a u32 masked crc32c of header
// bytes [0, 48) ++ the stored entries column, so a reader that wants only
// timestamps and line lengths (count/bytes metrics without a line pipeline)
// reads and verifies the header and that column, not the whole block. The
// block's own crc still covers everything after the header, this too.
constexpr uint8_t kBlockFlagEntriesCrc = 8;
// Bytes of that checksum.
constexpr size_t kBlockEntriesCrcBytes = 4;
constexpr uint8_t kKnownBlockFlags = kBlockFlagMetadataLinesPrefix | kBlockFlagSplitEntries |
                                     kBlockFlagNewestFirst | kBlockFlagEntriesCrc;
// Segment sizes of a newest-first block: the newest segment holds at least
// this many raw line bytes (whole entries), each older one twice the one
// before it, up to kMaxSegmentBytes; the oldest takes what is left.
constexpr size_t kFirstSegmentBytes = 32 * 1024;
constexpr size_t kMaxSegmentBytes = 128 * 1024;
// Decoders reject a segment table with more segments than this.
constexpr uint32_t kMaxSegmentsPerBlock = 1u << 16;

// Compression of a block's columns. Stored in chunk and block headers.
enum class Codec : uint8_t {
  kNone = 0,
  kZstd = 1,
  kSnappy = 2,
};
constexpr uint8_t kMaxCodec = 2;

// Raw (uncompressed) head-block size at which ChunkBuilder cuts a block.
constexpr size_t kDefaultBlockBytes = 256 * 1024;
constexpr int kDefaultZstdLevel = 1;

// Decoders reject (Corruption) a column that claims more raw bytes than this,
// so a corrupt header cannot make a reader allocate without bound. A single
// line larger than this cannot be stored (ChunkBuilder cuts before it grows
// past it; the distributor's line limit is far smaller).
constexpr size_t kMaxColumnRawBytes = size_t{256} << 20;
// Decoders reject a chunk index listing more blocks than this.
constexpr uint32_t kMaxBlocksPerChunk = 1u << 20;

// Bloom filters: ~10 bits per distinct key and 7 probes give ~0.8% false
// positives. A bloom never has fewer than kMinBloomBits bits.
constexpr size_t kBloomBitsPerKey = 10;
constexpr uint8_t kBloomProbes = 7;
constexpr size_t kMinBloomBits = 64;
// Line tokens shorter than this are not put in the bloom (too common to help).
constexpr size_t kMinTokenBytes = 3;

}  // namespace skald::server::chunk
