#include "server/chunk/block_builder.h"

#include <algorithm>
#include <span>
#include <unordered_map>
#include <vector>

#include "common/coding.h"
#include "common/crc32c.h"
#include "server/chunk/codec.h"
#include "server/chunk/tokenizer.h"

namespace skald::server::chunk {
namespace {

// Writes a metadata column (FORMAT.md "Block"): the symbols of the head's
// sets `sets`, then set 0 (empty) and those sets as symbol pairs; the
// column's set j is head set sets[j - 1].
void WriteMetadataColumn(const HeadBlock& head, std::span<const uint32_t> sets, std::string* out) {
  std::unordered_map<std::string_view, uint32_t> ids;
  ids.reserve(2 * sets.size());
  std::vector<std::string_view> symbols;
  auto sym = [&](std::string_view s) {
    auto [it, inserted] = ids.try_emplace(s, static_cast<uint32_t>(symbols.size()));
    if (inserted) symbols.push_back(s);
    return it->second;
  };
  std::string encoded;
  common::PutVarint64(&encoded, sets.size() + 1);
  common::PutVarint64(&encoded, 0);  // set 0: empty
  for (uint32_t id : sets) {
    common::PutVarint64(&encoded, head.MetadataSetSize(id));
    for (size_t j = 0; j < head.MetadataSetSize(id); ++j) {
      const HeadBlock::LabelRef l = head.MetadataPair(id, j);
      common::PutVarint64(&encoded, sym(l.name));
      common::PutVarint64(&encoded, sym(l.value));
    }
  }
  common::PutVarint64(out, symbols.size());
  for (std::string_view s : symbols) common::PutLengthPrefixed(out, s);
  out->append(encoded);
}

// The older layout: every head set, ids as the head's (set 0 is the head's
// empty set).
void EncodeMetadata(const HeadBlock& head, std::string* out) {
  std::vector<uint32_t> sets;
  for (size_t i = 1; i < head.MetadataSetCount(); ++i) sets.push_back(static_cast<uint32_t>(i));
  WriteMetadataColumn(head, sets, out);
}

// Newest-first blocks: the metadata column of the segment holding `rows`
// [a, b): its own symbols and the distinct sets of those rows, numbered from
// 1 in order of first use (set 0 is the empty set); (*local)[i] = row i's
// set id in it. Writes nothing when every row has the empty set.
void EncodeSegmentMetadata(const HeadBlock& head, const std::vector<HeadBlock::Row>& rows, size_t a,
                           size_t b, std::vector<uint32_t>* local, std::string* out) {
  std::unordered_map<uint32_t, uint32_t> set_ids;  // head set -> local set
  std::vector<uint32_t> sets;                        // head sets, by local id - 1
  for (size_t i = a; i < b; ++i) {
    if (rows[i].meta_set == 0) {
      (*local)[i] = 0;
      continue;
    }
    auto [it, inserted] = set_ids.try_emplace(rows[i].meta_set, static_cast<uint32_t>(sets.size() + 1));
    if (inserted) sets.push_back(rows[i].meta_set);
    (*local)[i] = it->second;
  }
  if (!sets.empty()) WriteMetadataColumn(head, sets, out);
}

// Newest-first blocks: the first row of each segment, newest segment first
// (FORMAT.md "Block"): the newest holds >= kFirstSegmentBytes of lines, each
// older one twice as much up to kMaxSegmentBytes; a remainder under a
// quarter of the first segment's size joins the segment after it.
std::vector<size_t> SegmentStarts(const std::vector<HeadBlock::Row>& rows) {
  std::vector<size_t> starts;
  uint64_t left = 0;
  for (const HeadBlock::Row& r : rows) left += r.line_length;
  size_t end = rows.size();
  size_t target = kFirstSegmentBytes;
  while (end > 0) {
    size_t a = end;
    uint64_t bytes = 0;
    while (a > 0 && bytes < target) bytes += rows[--a].line_length;
    left -= bytes;
    if (left < kFirstSegmentBytes / 4) {
      a = 0;
      left = 0;
    }
    starts.push_back(a);
    end = a;
    target = std::min(2 * target, kMaxSegmentBytes);
  }
  return starts;
}

}  // namespace

namespace {

// Per-thread scratch of Build (capacity kept between blocks).
struct Scratch {
  std::string entries;
  std::string lines;
  std::string metadata;
  std::string column;                // newest-first: the compressed lines column
  std::vector<uint32_t> local_sets;  // newest-first: per row, its segment's set id
  std::vector<uint32_t> stored_ends;
  std::string key;
  BloomBuilder bloom;
};

}  // namespace

common::Status BlockBuilder::Build(const HeadBlock& head, std::string* block, std::string* bloom,
                                   BlockMeta* meta) const {
  if (head.empty()) return common::Status::InvalidArgument("cannot build an empty block");
  thread_local Scratch scratch;
  std::string& entries_ = scratch.entries;
  std::string& lines_ = scratch.lines;
  std::string& metadata_ = scratch.metadata;
  BloomBuilder& bloom_ = scratch.bloom;
  std::vector<HeadBlock::Row> rows = head.SortedRows();
  entries_.clear();
  lines_.clear();
  metadata_.clear();
  const bool newest_first = options_.codec == Codec::kZstd && options_.newest_first;
  // Entries column (kBlockFlagSplitEntries): timestamp deltas, then line
  // lengths, then metadata-set-id deltas, each run on its own so zstd sees
  // similar numbers together.
  int64_t prev = rows.front().timestamp_ns;
  char buf[common::kMaxVarint64Bytes];
  for (const HeadBlock::Row& r : rows) {
    char* p = common::EncodeVarint64(buf, common::ZigZagEncode(r.timestamp_ns - prev));
    entries_.append(buf, static_cast<size_t>(p - buf));
    prev = r.timestamp_ns;
  }
  for (const HeadBlock::Row& r : rows) {
    char* p = common::EncodeVarint64(buf, r.line_length);
    entries_.append(buf, static_cast<size_t>(p - buf));
  }
  // Newest-first: segments and their metadata columns first, since set ids
  // are per segment.
  std::vector<size_t> seg_starts;
  std::vector<size_t> seg_meta_end;  // end of segment k's column in metadata_
  if (newest_first) {
    seg_starts = SegmentStarts(rows);
    scratch.local_sets.resize(rows.size());
    for (size_t k = 0, end = rows.size(); k < seg_starts.size(); end = seg_starts[k++]) {
      EncodeSegmentMetadata(head, rows, seg_starts[k], end, &scratch.local_sets, &metadata_);
      seg_meta_end.push_back(metadata_.size());
    }
  }
  int64_t prev_set = 0;
  for (size_t i = 0; i < rows.size(); ++i) {
    const int64_t set = newest_first ? int64_t{scratch.local_sets[i]} : int64_t{rows[i].meta_set};
    char* p = common::EncodeVarint64(buf, common::ZigZagEncode(set - prev_set));
    entries_.append(buf, static_cast<size_t>(p - buf));
    prev_set = set;
  }
  // In-order appends without duplicates (the common case) leave the head's
  // line arena equal to the lines column: compress it in place, no copy.
  bool in_place = rows.size() == head.EntryCount();
  for (size_t i = 0, off = 0; in_place && i < rows.size(); off += rows[i].line_length, ++i) {
    in_place = rows[i].line_offset == off;
  }
  if (!in_place) {
    for (const HeadBlock::Row& r : rows) lines_.append(head.Line(r));
  }
  const std::string_view lines = in_place ? head.LineArena() : std::string_view(lines_);
  for (const HeadBlock::Row& r : rows) {
    ForEachLineToken(head.Line(r), [&bloom_](std::string_view t) {
      bloom_.AddKey(t);
      if (t.size() >= kGramBytes) ForEachTokenGram(t, [&bloom_](std::string_view k) { bloom_.AddKey(k); });
    });
  }
  // Marks blocks with escaped text (see kEscapedBlockKey): one memchr over
  // the whole lines column.
  if (lines.find('\\') != std::string_view::npos) bloom_.AddKey(kEscapedBlockKey);
  for (size_t i = 1; i < head.MetadataSetCount(); ++i) {
    const auto id = static_cast<uint32_t>(i);
    for (size_t j = 0; j < head.MetadataSetSize(id); ++j) {
      // The `name=value` key of MetadataKey, built in a reused buffer.
      const HeadBlock::LabelRef l = head.MetadataPair(id, j);
      scratch.key.assign(1, kMetadataCheckKeyPrefix);
      scratch.key.append(l.name);
      scratch.key.push_back('=');
      scratch.key.append(l.value);
      bloom_.AddKey(scratch.key);  // MetadataCheckKey
      bloom_.AddKey(std::string_view(scratch.key).substr(1));  // MetadataKey
    }
  }
  if (!newest_first) EncodeMetadata(head, &metadata_);
  if (lines.size() + (newest_first ? metadata_.size() : 0) > kMaxColumnRawBytes ||
      entries_.size() > kMaxColumnRawBytes || metadata_.size() > kMaxColumnRawBytes) {
    return common::Status::InvalidArgument("block column over kMaxColumnRawBytes");
  }
  size_t start = block->size();
  block->resize(start + kBlockHeaderBytes);
  uint32_t raw[3] = {static_cast<uint32_t>(entries_.size()), static_cast<uint32_t>(lines.size()),
                     static_cast<uint32_t>(metadata_.size())};
  uint32_t stored[3];
  uint8_t flags = kBlockFlagSplitEntries;
  if (newest_first) {
    // The lines column first (the segment table in the entries column needs
    // its offsets): segments newest first, each its lines then its metadata.
    flags |= kBlockFlagNewestFirst;
    std::vector<SegmentParts> parts;
    std::vector<uint32_t> line_start(rows.size() + 1, 0);
    for (size_t i = 0; i < rows.size(); ++i) line_start[i + 1] = line_start[i] + rows[i].line_length;
    for (size_t k = 0, end = rows.size(); k < seg_starts.size(); end = seg_starts[k++]) {
      const size_t a = seg_starts[k];
      const size_t m0 = k == 0 ? 0 : seg_meta_end[k - 1];
      parts.push_back({lines.substr(line_start[a], line_start[end] - line_start[a]),
                       std::string_view(metadata_).substr(m0, seg_meta_end[k] - m0)});
    }
    scratch.column.clear();
    SKALD_RETURN_IF_ERROR(CompressSegments(options_.zstd_level, parts, &scratch.column, &scratch.stored_ends));
    common::PutVarint64(&entries_, seg_starts.size());
    for (size_t k = 0, end = rows.size(); k < seg_starts.size(); end = seg_starts[k++]) {
      common::PutVarint64(&entries_, end - seg_starts[k]);
      common::PutVarint64(&entries_, parts[k].metadata.size());
      common::PutVarint64(&entries_, scratch.stored_ends[k]);
    }
    if (entries_.size() > kMaxColumnRawBytes) {
      return common::Status::InvalidArgument("block column over kMaxColumnRawBytes");
    }
    raw[0] = static_cast<uint32_t>(entries_.size());
    raw[1] = static_cast<uint32_t>(lines.size() + metadata_.size());
    raw[2] = 0;
    size_t before = block->size();
    SKALD_RETURN_IF_ERROR(CompressColumn(options_.codec, options_.zstd_level, entries_, block));
    stored[0] = static_cast<uint32_t>(block->size() - before);
    block->append(kBlockEntriesCrcBytes, '\0');  // the entries crc, below
    block->append(scratch.column);
    stored[1] = static_cast<uint32_t>(scratch.column.size());
    stored[2] = 0;
  } else {
    const std::string_view cols[3] = {entries_, lines, metadata_};
    if (options_.codec == Codec::kZstd && head.MetadataSetCount() > 1 && !lines.empty()) {
      flags |= kBlockFlagMetadataLinesPrefix;
    }
    for (int i = 0; i < 3; ++i) {
      size_t before = block->size();
      std::string_view prefix;
      if (i == 2 && (flags & kBlockFlagMetadataLinesPrefix) != 0) prefix = lines;
      SKALD_RETURN_IF_ERROR(CompressColumn(options_.codec, options_.zstd_level, cols[i], block, prefix));
      stored[i] = static_cast<uint32_t>(block->size() - before);
      if (i == 0) block->append(kBlockEntriesCrcBytes, '\0');  // the entries crc, below
    }
  }
  flags |= kBlockFlagEntriesCrc;
  char* h = block->data() + start;
  common::EncodeFixed64(h, static_cast<uint64_t>(rows.front().timestamp_ns));
  common::EncodeFixed64(h + 8, static_cast<uint64_t>(rows.back().timestamp_ns));
  common::EncodeFixed32(h + 16, static_cast<uint32_t>(rows.size()));
  h[20] = static_cast<char>(options_.codec);
  h[21] = static_cast<char>(flags);
  h[22] = h[23] = 0;
  for (int i = 0; i < 3; ++i) {
    common::EncodeFixed32(h + 24 + 4 * i, raw[i]);
    common::EncodeFixed32(h + 36 + 4 * i, stored[i]);
  }
  uint32_t crc = common::crc32c::Value(h, kBlockCrcOffset);
  common::EncodeFixed32(h + kBlockHeaderBytes + stored[0],
                        common::crc32c::Mask(common::crc32c::Extend(crc, h + kBlockHeaderBytes, stored[0])));
  crc = common::crc32c::Extend(crc, h + kBlockHeaderBytes, block->size() - start - kBlockHeaderBytes);
  common::EncodeFixed32(h + kBlockCrcOffset, common::crc32c::Mask(crc));

  bloom_.Finish(bloom, kBloomHasGrams | kBloomHasMetadataCheckKeys);
  meta->min_ts = rows.front().timestamp_ns;
  meta->max_ts = rows.back().timestamp_ns;
  meta->entry_count = static_cast<uint32_t>(rows.size());
  meta->line_bytes = lines.size();
  return common::Status::OK();
}

}  // namespace skald::server::chunk
