#include "server/chunk/block_builder.h"

#include <unordered_map>

#include "common/coding.h"
#include "common/crc32c.h"
#include "server/chunk/codec.h"
#include "server/chunk/tokenizer.h"

namespace skald::server::chunk {
namespace {

// Writes the symbol table and the sets; set ids are the head's ids.
void EncodeMetadata(const HeadBlock& head, std::string* out) {
  std::unordered_map<std::string_view, uint32_t> ids;
  ids.reserve(2 * head.MetadataSetCount());
  std::vector<std::string_view> symbols;
  auto sym = [&](std::string_view s) {
    auto [it, inserted] = ids.try_emplace(s, static_cast<uint32_t>(symbols.size()));
    if (inserted) symbols.push_back(s);
    return it->second;
  };
  std::string sets;
  common::PutVarint64(&sets, head.MetadataSetCount());
  for (size_t i = 0; i < head.MetadataSetCount(); ++i) {
    const auto id = static_cast<uint32_t>(i);
    common::PutVarint64(&sets, head.MetadataSetSize(id));
    for (size_t j = 0; j < head.MetadataSetSize(id); ++j) {
      const HeadBlock::LabelRef l = head.MetadataPair(id, j);
      common::PutVarint64(&sets, sym(l.name));
      common::PutVarint64(&sets, sym(l.value));
    }
  }
  common::PutVarint64(out, symbols.size());
  for (std::string_view s : symbols) common::PutLengthPrefixed(out, s);
  out->append(sets);
}

}  // namespace

namespace {

// Per-thread scratch of Build (capacity kept between blocks).
struct Scratch {
  std::string entries;
  std::string lines;
  std::string metadata;
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
  int64_t prev_set = 0;
  for (const HeadBlock::Row& r : rows) {
    char* p = common::EncodeVarint64(buf, common::ZigZagEncode(int64_t{r.meta_set} - prev_set));
    entries_.append(buf, static_cast<size_t>(p - buf));
    prev_set = r.meta_set;
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
  EncodeMetadata(head, &metadata_);
  if (lines.size() > kMaxColumnRawBytes || entries_.size() > kMaxColumnRawBytes ||
      metadata_.size() > kMaxColumnRawBytes) {
    return common::Status::InvalidArgument("block column over kMaxColumnRawBytes");
  }

  size_t start = block->size();
  block->resize(start + kBlockHeaderBytes);
  uint32_t stored[3];
  const std::string_view cols[3] = {entries_, lines, metadata_};
  uint8_t flags = kBlockFlagSplitEntries;
  if (options_.codec == Codec::kZstd && head.MetadataSetCount() > 1 && !lines.empty()) {
    flags |= kBlockFlagMetadataLinesPrefix;
  }
  for (int i = 0; i < 3; ++i) {
    size_t before = block->size();
    std::string_view prefix;
    if (i == 2 && (flags & kBlockFlagMetadataLinesPrefix) != 0) prefix = lines;
    SKALD_RETURN_IF_ERROR(CompressColumn(options_.codec, options_.zstd_level, cols[i], block, prefix));
    stored[i] = static_cast<uint32_t>(block->size() - before);
  }
  char* h = block->data() + start;
  common::EncodeFixed64(h, static_cast<uint64_t>(rows.front().timestamp_ns));
  common::EncodeFixed64(h + 8, static_cast<uint64_t>(rows.back().timestamp_ns));
  common::EncodeFixed32(h + 16, static_cast<uint32_t>(rows.size()));
  h[20] = static_cast<char>(options_.codec);
  h[21] = static_cast<char>(flags);
  h[22] = h[23] = 0;
  for (int i = 0; i < 3; ++i) {
    common::EncodeFixed32(h + 24 + 4 * i, static_cast<uint32_t>(cols[i].size()));
    common::EncodeFixed32(h + 36 + 4 * i, stored[i]);
  }
  uint32_t crc = common::crc32c::Value(h, kBlockCrcOffset);
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
