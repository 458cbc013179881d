#include "server/chunk/chunk_builder.h"

#include <algorithm>

#include "common/coding.h"
#include "common/crc32c.h"
#include "server/chunk/block_iterator.h"
#include "server/iter/merge_entry_iterator.h"

namespace skald::server::chunk {

ChunkBuilder::ChunkBuilder(std::string labels, ChunkOptions options)
    : labels_(std::move(labels)), options_(options), block_builder_(options.block) {}

namespace {

std::vector<common::LabelView> ViewsOf(std::span<const common::Label> metadata) {
  std::vector<common::LabelView> v;
  v.reserve(metadata.size());
  for (const common::Label& l : metadata) v.push_back(common::LabelView{l.name, l.value});
  return v;
}

bool SameMetadata(std::span<const common::Label> a, std::span<const common::LabelView> b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].name != b[i].name || a[i].value != b[i].value) return false;
  }
  return true;
}

}  // namespace

common::Status ChunkBuilder::Append(int64_t timestamp_ns, std::string_view line,
                                    std::span<const common::Label> metadata) {
  return AppendView(timestamp_ns, line, ViewsOf(metadata));
}

common::Status ChunkBuilder::AppendView(int64_t timestamp_ns, std::string_view line,
                                        std::span<const common::LabelView> metadata) {
  if (head_.empty()) head_.Reserve(options_.block_bytes + kHeadSlackBytes);
  head_.AppendView(timestamp_ns, line, metadata);
  if (head_.RawBytes() >= options_.block_bytes) return CutBlock();
  return common::Status::OK();
}

common::Status ChunkBuilder::CutBlock() {
  if (head_.empty()) return common::Status::OK();
  StoredBlock b;
  auto bytes = std::make_shared<std::string>();
  SKALD_RETURN_IF_ERROR(block_builder_.Build(head_, bytes.get(), &b.bloom, &b.meta));
  bytes->shrink_to_fit();  // compression reserved its bound (~ the raw size)
  b.hashes = head_.RowHashes();
  std::sort(b.hashes.begin(), b.hashes.end());
  b.hashes.erase(std::unique(b.hashes.begin(), b.hashes.end()), b.hashes.end());
  b.hashes.shrink_to_fit();
  b.meta.length = bytes->size();
  b.meta.bloom_length = b.bloom.size();
  compressed_bytes_ += bytes->size() + b.bloom.size();
  cut_entries_ += b.meta.entry_count;
  b.bytes = std::move(bytes);
  blocks_.push_back(std::move(b));
  // Free the head's buffers rather than keep them for the next block: the
  // next Append reserves again, and a fresh (mapped) buffer is resident only
  // as far as it is filled, so 200 streams hold ~half a block each on
  // average instead of a whole one.
  head_.Release();
  return common::Status::OK();
}

common::Status ChunkBuilder::Seal() {
  common::Status s = CutBlock();
  if (s.ok()) head_.Release();  // CutBlock releases it too; an empty head may still hold capacity
  return s;
}

size_t ChunkBuilder::EntryCount() const { return cut_entries_ + head_.EntryCount(); }

int64_t ChunkBuilder::MinTimestamp() const {
  int64_t m = head_.MinTimestamp();
  for (const auto& b : blocks_) m = std::min(m, b.meta.min_ts);
  return m;
}

int64_t ChunkBuilder::MaxTimestamp() const {
  int64_t m = head_.MaxTimestamp();
  for (const auto& b : blocks_) m = std::max(m, b.meta.max_ts);
  return m;
}

bool ChunkBuilder::Contains(int64_t timestamp_ns, std::string_view line,
                            std::span<const common::Label> metadata) {
  return ContainsView(timestamp_ns, line, ViewsOf(metadata));
}

bool ChunkBuilder::ContainsView(int64_t timestamp_ns, std::string_view line,
                                std::span<const common::LabelView> metadata) {
  bool hashed = false;
  uint32_t hash = 0;
  auto get_hash = [&] {
    if (!hashed) hash = HeadBlock::EntryHash(timestamp_ns, line, metadata);
    hashed = true;
    return hash;
  };
  if (!head_.empty() && timestamp_ns >= head_.MinTimestamp() && timestamp_ns <= head_.MaxTimestamp() &&
      head_.ContainsView(timestamp_ns, line, metadata, get_hash())) {
    return true;
  }
  for (size_t i = 0; i < blocks_.size(); ++i) {
    const BlockMeta& m = blocks_[i].meta;
    if (timestamp_ns < m.min_ts || timestamp_ns > m.max_ts) continue;
    if (!std::binary_search(blocks_[i].hashes.begin(), blocks_[i].hashes.end(), get_hash())) continue;
    if (cached_block_ != i) {
      if (cached_ == nullptr) cached_ = std::make_unique<DecodedBlock>();
      cached_block_ = static_cast<size_t>(-1);
      if (!DecodeBlock(*blocks_[i].bytes, "head chunk of " + labels_, cached_.get()).ok()) continue;
      cached_block_ = i;
    }
    const DecodedBlock& d = *cached_;
    auto lo = std::lower_bound(d.timestamps.begin(), d.timestamps.end(), timestamp_ns);
    for (size_t j = static_cast<size_t>(lo - d.timestamps.begin());
         j < d.size() && d.timestamps[j] == timestamp_ns; ++j) {
      if (d.Line(j) != line) continue;
      std::span<const common::Label> set = d.Metadata(j);
      if (SameMetadata(set, metadata)) return true;
    }
  }
  return false;
}

void ChunkBuilder::ReleaseLookupCache() {
  cached_.reset();
  cached_block_ = static_cast<size_t>(-1);
}

size_t ChunkBuilder::MemoryBytes() const {
  return compressed_bytes_ + cut_entries_ * sizeof(uint32_t) + head_.RawBytes() +
         head_.EntryCount() * (sizeof(HeadBlock::Row) + sizeof(uint32_t));
}

common::Result<std::string> ChunkBuilder::Encode() {
  SKALD_RETURN_IF_ERROR(CutBlock());
  return EncodeBlocks();
}

common::Result<std::string> ChunkBuilder::EncodeBlocks() const {
  if (!head_.empty()) return common::Status::InvalidArgument("EncodeBlocks with a non-empty head block");
  if (blocks_.empty()) return common::Status::InvalidArgument("cannot encode an empty chunk");
  std::string out;
  out.reserve(compressed_bytes_ + 64 + labels_.size() + blocks_.size() * 48);
  common::PutFixed32(&out, kChunkMagic);
  out.push_back(static_cast<char>(kFormatVersion));
  out.push_back(static_cast<char>(options_.block.codec));
  out.append(2, '\0');
  std::vector<BlockMeta> metas;
  for (const auto& b : blocks_) {
    BlockMeta m = b.meta;
    m.offset = out.size();
    out.append(*b.bytes);
    metas.push_back(m);
  }
  for (size_t i = 0; i < blocks_.size(); ++i) {
    metas[i].bloom_offset = out.size();
    out.append(blocks_[i].bloom);
  }
  uint64_t index_offset = out.size();
  common::PutLengthPrefixed(&out, labels_);
  common::PutVarint64(&out, metas.size());
  for (const BlockMeta& m : metas) {
    common::PutVarint64(&out, m.offset);
    common::PutVarint64(&out, m.length);
    common::PutVarint64(&out, m.bloom_offset);
    common::PutVarint64(&out, m.bloom_length);
    common::PutFixed64(&out, static_cast<uint64_t>(m.min_ts));
    common::PutFixed64(&out, static_cast<uint64_t>(m.max_ts));
    common::PutVarint64(&out, m.entry_count);
    common::PutVarint64(&out, m.line_bytes);
  }
  uint32_t crc = common::crc32c::Value(out.data(), kChunkHeaderBytes);
  crc = common::crc32c::Extend(crc, out.data() + index_offset, out.size() - index_offset);
  common::PutFixed32(&out, common::crc32c::Mask(crc));
  uint64_t index_length = out.size() - index_offset;
  common::PutFixed64(&out, index_offset);
  common::PutFixed32(&out, static_cast<uint32_t>(index_length));
  common::PutFixed32(&out, kChunkMagic);
  return out;
}

std::unique_ptr<iter::EntryIterator> ChunkBuilder::NewIterator(int64_t from_ns, int64_t through_ns,
                                                               iter::Direction direction) const {
  std::vector<BlockSource> sources;
  for (const auto& b : blocks_) {
    std::shared_ptr<const std::string> bytes = b.bytes;
    std::string where = "head chunk of " + labels_;
    sources.push_back(BlockSource{b.meta, [bytes, where](DecodedBlock* out, DecodeStep step) {
                                    switch (step) {
                                      case DecodeStep::kNewest: return DecodeBlockNewest(*bytes, where, out);
                                      case DecodeStep::kOlder: return DecodeOlderSegment(out);
                                      case DecodeStep::kWhole: break;
                                    }
                                    return DecodeBlock(*bytes, where, out);
                                  }});
  }
  auto blocks_it = NewBlocksIterator(labels_, std::move(sources), from_ns, through_ns, direction, {});
  if (head_.empty()) return blocks_it;
  std::vector<common::Entry> head = head_.Entries(from_ns, through_ns);
  std::vector<std::unique_ptr<iter::EntryIterator>> children;
  children.push_back(std::move(blocks_it));
  children.push_back(iter::NewVectorEntryIterator(labels_, std::move(head), direction));
  return iter::NewMergeEntryIterator(std::move(children), direction);
}

}  // namespace skald::server::chunk
