// HeadBlock: the open, uncompressed block of a chunk being written.
//
// Accepts entries in any timestamp order. Line bytes go to one arena and
// structured-metadata sets are interned into flat arrays (their name and
// value bytes in a second arena), so an append costs no allocation in the
// common case, even when every entry carries a distinct trace id. SortedRows() gives the entries ordered by (timestamp,
// line, metadata) with exact duplicates (same timestamp, line and metadata)
// removed — the order and content a cut block stores.
//
// Not thread-safe: the owner (a stream, under its lock) serializes access.
#pragma once

#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/entry.h"
#include "common/labels.h"

namespace skald::server::chunk {

class HeadBlock {
 public:
  // One stored entry; `meta_set` indexes MetadataSet().
  struct Row {
    int64_t timestamp_ns;
    uint32_t line_offset;
    uint32_t line_length;
    uint32_t meta_set;
  };

  HeadBlock();
  HeadBlock(const HeadBlock&) = delete;
  HeadBlock& operator=(const HeadBlock&) = delete;

  // Copies the line and metadata bytes into the block (the write path's
  // only copy of them after the WAL record).
  void AppendView(int64_t timestamp_ns, std::string_view line, std::span<const common::LabelView> metadata);
  void Append(int64_t timestamp_ns, std::string_view line, std::span<const common::Label> metadata);

  bool empty() const { return rows_.empty(); }
  size_t EntryCount() const { return rows_.size(); }
  // Line bytes plus metadata name/value bytes appended so far (duplicates
  // included until the block is cut): what block_size is compared against.
  size_t RawBytes() const { return raw_bytes_; }
  int64_t MinTimestamp() const { return min_ts_; }
  int64_t MaxTimestamp() const { return max_ts_; }

  // Rows sorted by (timestamp, line, metadata set), exact duplicates removed.
  std::vector<Row> SortedRows() const;
  std::string_view Line(const Row& r) const {
    return std::string_view(arena_).substr(r.line_offset, r.line_length);
  }
  // Every appended line, back to back in append order (duplicates
  // included): the lines column itself when SortedRows() is the append order.
  std::string_view LineArena() const { return arena_; }
  // One name/value pair of an interned metadata set; views into the head,
  // valid until the next Append or Reset.
  struct LabelRef {
    std::string_view name;
    std::string_view value;
  };
  // Set 0 is always the empty set.
  size_t MetadataSetCount() const { return set_start_.size() - 1; }
  size_t MetadataSetSize(uint32_t id) const { return set_start_[id + 1] - set_start_[id]; }
  // Pair `j` (in push order) of set `id`.
  LabelRef MetadataPair(uint32_t id, size_t j) const {
    const PairRef& p = pairs_[set_start_[id] + j];
    std::string_view bytes(meta_bytes_);
    return LabelRef{bytes.substr(p.name_offset, p.name_length), bytes.substr(p.value_offset, p.value_length)};
  }
  // Set `id` as Labels (a copy; for readers of the head).
  std::vector<common::Label> MetadataSetCopy(uint32_t id) const;

  // A 32-bit hash of (timestamp, line, metadata) used to find duplicates
  // without comparing lines (xxh3, stable within a process only).
  static uint32_t EntryHash(int64_t timestamp_ns, std::string_view line,
                            std::span<const common::LabelView> metadata);
  static uint32_t EntryHash(int64_t timestamp_ns, std::string_view line,
                            std::span<const common::Label> metadata);
  // True when an entry with exactly this timestamp, line and metadata (whose
  // EntryHash is `hash`) was appended. O(1) outside [MinTimestamp,
  // MaxTimestamp] (in-order appends); otherwise a scan of the row hashes.
  bool ContainsView(int64_t timestamp_ns, std::string_view line, std::span<const common::LabelView> metadata,
                    uint32_t hash) const;
  bool Contains(int64_t timestamp_ns, std::string_view line, std::span<const common::Label> metadata,
                uint32_t hash) const;
  // EntryHash of every appended row, in append order.
  const std::vector<uint32_t>& RowHashes() const { return hashes_; }

  // Sorted, deduplicated copies of the entries with from <= ts < through.
  std::vector<common::Entry> Entries(int64_t from_ns, int64_t through_ns) const;

  // Forgets everything (keeps the line arena's capacity, frees the rest).
  void Reset();
  // Forgets everything and frees all memory (a sealed chunk's head).
  void Release();
  // Reserves line-arena capacity for `bytes` line bytes.
  void Reserve(size_t bytes) { arena_.reserve(bytes); }

 private:
  struct PairRef {
    uint32_t name_offset, name_length, value_offset, value_length;
  };

  uint32_t InternMetadata(std::span<const common::LabelView> metadata);
  bool SetEquals(uint32_t id, std::span<const common::LabelView> metadata) const;
  // Lexicographic order of two sets (by name, then value, pair by pair), as
  // std::vector<common::Label>'s operator< orders them.
  bool SetLess(uint32_t a, uint32_t b) const;

  std::string arena_;
  std::vector<Row> rows_;
  std::vector<uint32_t> hashes_;  // EntryHash per row
  // Interned sets: set i is pairs_[set_start_[i], set_start_[i + 1]), its
  // bytes in meta_bytes_. set_start_ = {0, 0} holds just the empty set 0.
  std::string meta_bytes_;
  std::vector<PairRef> pairs_;
  std::vector<uint32_t> set_start_;
  // Open-addressing table of set ids: slot = (hash high 32 bits << 32) |
  // (id + 1); 0 = empty. Size a power of two, at most half full.
  std::vector<uint64_t> set_table_;
  size_t raw_bytes_ = 0;
  int64_t min_ts_ = std::numeric_limits<int64_t>::max();
  int64_t max_ts_ = std::numeric_limits<int64_t>::min();
};

}  // namespace skald::server::chunk
