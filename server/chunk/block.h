// Block: one compressed, checksummed run of a stream's entries, sorted by
// timestamp (FORMAT.md "Block"). This header has the index metadata of a
// block and the decoder; block_builder.h has the encoder.
//
// DecodedBlock exposes the columns as they are stored so the query engine
// can run memmem over `lines` (all line bytes, contiguous) and map a hit back
// to its entry with EntryAtLineOffset, before materializing anything.
// DecodedBlock is reused across blocks to keep its buffers' capacity.
// Not thread-safe (one DecodedBlock per reading thread); DecodeBlock itself
// is safe to call concurrently with different outputs.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/labels.h"
#include "common/status.h"
#include "server/chunk/format.h"

namespace skald::server::chunk {

// What the chunk index says about one block; enough to skip it unread.
struct BlockMeta {
  uint64_t offset = 0;        // of the block header, from the chunk start
  uint64_t length = 0;        // header + stored columns
  uint64_t bloom_offset = 0;  // of its bloom, from the chunk start
  uint64_t bloom_length = 0;
  int64_t min_ts = 0;  // inclusive
  int64_t max_ts = 0;  // inclusive
  uint32_t entry_count = 0;
  uint64_t line_bytes = 0;  // sum of line lengths (Loki's "bytes")

  bool operator==(const BlockMeta&) const = default;
};

// One segment of a newest-first block (FORMAT.md "Block", flag bit 2), in
// the order the column holds them (newest first).
struct BlockSegment {
  uint32_t first_entry = 0;  // entries [first_entry, end_entry)
  uint32_t end_entry = 0;
  uint32_t body_start = 0;   // where its lines start in the decompressed column
  uint32_t meta_raw = 0;     // bytes of its metadata column, right after its lines
  uint32_t stored_end = 0;   // compressed column bytes up to its end
};

struct SegmentStream;  // block.cc: the zstd stream of a partly decoded block

// The decompressed lines of a block: a byte buffer that grows without
// zero-filling (a decompressor writes every byte it exposes, and a backward
// read may write only the newest part: the rest is never touched, not even
// paged in) and keeps its capacity across blocks.
class LineBuffer {
 public:
  const char* data() const { return data_.get(); }
  char* data() { return data_.get(); }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  size_t capacity() const { return capacity_; }
  std::string_view view() const { return {data_.get(), size_}; }
  void clear() { size_ = 0; }
  // Sets the size to `n`. Bytes past the old size are uninitialized until
  // written; earlier ones are kept.
  void ResizeUninitialized(size_t n);
  void append(std::string_view s);

 private:
  std::unique_ptr<char[]> data_;
  size_t size_ = 0;
  size_t capacity_ = 0;
};

struct DecodedBlock {
  DecodedBlock();
  ~DecodedBlock();
  DecodedBlock(DecodedBlock&&) noexcept;
  DecodedBlock& operator=(DecodedBlock&&) noexcept;
  DecodedBlock(const DecodedBlock&) = delete;
  DecodedBlock& operator=(const DecodedBlock&) = delete;

  std::vector<int64_t> timestamps;     // ascending
  std::vector<uint32_t> line_offsets;  // size()+1 prefix sums of the line lengths
  std::vector<uint32_t> line_pos;      // per entry, where its line starts in `lines`
  // The decompressed lines column: every line back to back, or (newest-first
  // blocks) segments of lines, each followed by its metadata column.
  LineBuffer lines;
  std::vector<uint32_t> meta_ids;      // per entry, index of its metadata set
  // Runs of entries whose lines lie back to back in `lines`, ascending:
  // run k is entries [runs[k], runs[k+1]). One run unless newest-first.
  std::vector<uint32_t> runs;
  // Entries [first_decoded, size()) have their lines and metadata. DecodeBlock
  // decodes every entry (0); DecodeBlockNewest may stop after the newest
  // segment and DecodeOlderSegment goes on. Line(), Metadata() and meta_ids
  // are valid for those entries only.
  size_t first_decoded = 0;
  std::vector<BlockSegment> segments;  // newest-first blocks only

  size_t size() const { return timestamps.size(); }
  std::string_view Line(size_t i) const {
    return std::string_view(lines.data() + line_pos[i], line_offsets[i + 1] - line_offsets[i]);
  }
  // Entry i's structured metadata. Sets are validated by DecodeBlock but
  // built into Labels only when first asked for (most scanned entries are
  // filtered out before anyone reads their metadata); the span stays valid
  // until the block is decoded again.
  std::span<const common::Label> Metadata(size_t i) const { return MetadataSet(meta_ids[i]); }
  std::span<const common::Label> MetadataSet(size_t set) const;
  size_t metadata_set_count() const { return meta_set_start.empty() ? 0 : meta_set_start.size() - 1; }
  // (*out)[s] = 1 iff metadata set s holds every name=value of `pairs`
  // (compared as symbols, no Labels built); returns how many sets do.
  size_t MetadataSetsHolding(std::span<const common::Label> pairs, std::vector<uint8_t>* out) const;
  // The entry whose line holds byte `pos` of `lines`, or size() when no
  // decoded line does (a metadata byte of a newest-first block).
  size_t EntryAtLineOffset(size_t pos) const;
  // Bytes held by the buffers (for pools).
  size_t MemoryBytes() const;

  // Decoder state behind MetadataSet (block.cc): the bytes the symbols are
  // in (meta_column, or `lines` for newest-first blocks), the symbols as
  // (offset, length) in them, every set's (name, value) symbol pairs back to
  // back, where each set starts in them ([0] is the empty set), and the sets
  // built so far.
  std::string_view MetaText() const { return meta_in_lines ? lines.view() : meta_column; }
  std::string meta_column;
  bool meta_in_lines = false;
  std::vector<std::pair<uint32_t, uint32_t>> meta_symbols;
  std::vector<std::pair<uint32_t, uint32_t>> meta_pairs;
  std::vector<uint32_t> meta_set_start;  // size: sets + 1
  mutable std::vector<std::vector<common::Label>> meta_built;
  mutable std::vector<uint8_t> meta_is_built;
  std::unique_ptr<SegmentStream> stream;  // DecodeBlockNewest's state
};

// Verifies the block's checksum and decodes it into `*out`.
// Corruption naming `where` (chunk ref and block offset) when the bytes are
// damaged or inconsistent; never reads outside `bytes`.
// `with_metadata` false: the metadata column is neither decompressed nor
// checked and every entry's Metadata() is empty (for scans that read no
// labels: a metric without grouping over line filters only).
common::Status DecodeBlock(std::string_view bytes, std::string_view where, DecodedBlock* out,
                           bool with_metadata = true);

// Like DecodeBlock but decompresses only the entries column: fills
// `timestamps` and `line_offsets` (line lengths, for count/bytes metrics
// that read no line text) and leaves `lines`, `meta_ids` and the metadata sets
// empty (Line() and Metadata() must not be called). Same checks and errors,
// line lengths checked against the header's raw lines size.
// `bytes` may also be only the block's head (ParseBlockHead) when the block
// has kBlockFlagEntriesCrc: then only the header and entries column are
// checked, against that crc.
common::Status DecodeBlockEntriesOnly(std::string_view bytes, std::string_view where,
                                      DecodedBlock* out);

// From a block's first kBlockHeaderBytes (or more): *block_length, the whole
// block's length, and *entries_end, the length of the head that
// DecodeBlockEntriesOnly needs (header, entries column and its crc; the
// whole block when the block has no entries crc). Checks the header's fields
// but no checksum.
common::Status ParseBlockHead(std::string_view head, std::string_view where, uint64_t* entries_end,
                              uint64_t* block_length);

// Like DecodeBlock (the same checks, the checksum over the whole block), but
// a newest-first block is decompressed only as far as its newest segment:
// out->first_decoded tells which entries have their lines and metadata.
// Other blocks are decoded whole. The stored column is copied into `*out`,
// so `bytes` need not outlive the call.
common::Status DecodeBlockNewest(std::string_view bytes, std::string_view where, DecodedBlock* out,
                                 bool with_metadata = true);

// Decompresses the next older segment of a block DecodeBlockNewest left
// partly decoded (out->first_decoded > 0), lowering out->first_decoded.
// Earlier Line() and Metadata() results stay valid. Corruption if the
// segment does not decode to what the entries column says.
common::Status DecodeOlderSegment(DecodedBlock* out);

}  // namespace skald::server::chunk
