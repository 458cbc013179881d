#include "server/chunk/chunk.h"

#include <algorithm>

#include "common/coding.h"
#include "common/crc32c.h"
#include "server/chunk/block_iterator.h"

namespace skald::server::chunk {

using common::Status;

std::string Chunk::Where(uint64_t offset) const {
  return ref_ + " at offset " + std::to_string(offset);
}

common::Result<std::shared_ptr<const Chunk>> Chunk::Open(std::string bytes, std::string ref) {
  std::shared_ptr<Chunk> c(new Chunk());
  c->bytes_ = std::move(bytes);
  c->ref_ = std::move(ref);
  SKALD_RETURN_IF_ERROR(c->Parse());
  return std::shared_ptr<const Chunk>(std::move(c));
}

Status Chunk::Parse() {
  const std::string_view b(bytes_);
  if (b.size() < kChunkHeaderBytes + kChunkFooterBytes) {
    return Status::Corruption("chunk truncated", Where(0));
  }
  if (common::DecodeFixed32(b.data()) != kChunkMagic) return Status::Corruption("chunk magic", Where(0));
  if (static_cast<uint8_t>(b[4]) != kFormatVersion) {
    return Status::Corruption("unsupported chunk version", Where(4));
  }
  if (static_cast<uint8_t>(b[5]) > kMaxCodec || b[6] != 0 || b[7] != 0) {
    return Status::Corruption("chunk header codec", Where(5));
  }
  codec_ = static_cast<Codec>(b[5]);
  const size_t footer = b.size() - kChunkFooterBytes;
  uint64_t index_offset = common::DecodeFixed64(b.data() + footer);
  uint32_t index_length = common::DecodeFixed32(b.data() + footer + 8);
  if (common::DecodeFixed32(b.data() + footer + 12) != kChunkMagic) {
    return Status::Corruption("chunk footer magic (truncated chunk?)", Where(footer + 12));
  }
  if (index_offset < kChunkHeaderBytes || index_length < 4 || index_offset > footer ||
      index_offset + index_length != footer) {
    return Status::Corruption("chunk footer index position", Where(footer));
  }
  std::string_view index = b.substr(index_offset, index_length - 4);
  uint32_t crc = common::crc32c::Value(b.data(), kChunkHeaderBytes);
  crc = common::crc32c::Extend(crc, index.data(), index.size());
  if (crc != common::crc32c::Unmask(common::DecodeFixed32(index.data() + index.size()))) {
    return Status::Corruption("chunk index checksum mismatch", Where(index_offset));
  }
  std::string_view labels;
  uint64_t n = 0;
  if (!common::GetLengthPrefixed(&index, &labels) || !common::GetVarint64(&index, &n) ||
      n == 0 || n > kMaxBlocksPerChunk) {
    return Status::Corruption("chunk index header", Where(index_offset));
  }
  labels_.assign(labels);
  uint64_t next_block = kChunkHeaderBytes;
  for (uint64_t i = 0; i < n; ++i) {
    BlockMeta m;
    uint64_t min_ts = 0, max_ts = 0, count = 0;
    if (!common::GetVarint64(&index, &m.offset) || !common::GetVarint64(&index, &m.length) ||
        !common::GetVarint64(&index, &m.bloom_offset) ||
        !common::GetVarint64(&index, &m.bloom_length) || !common::GetFixed64(&index, &min_ts) ||
        !common::GetFixed64(&index, &max_ts) || !common::GetVarint64(&index, &count) ||
        !common::GetVarint64(&index, &m.line_bytes)) {
      return Status::Corruption("chunk index entry truncated", Where(index_offset));
    }
    m.min_ts = static_cast<int64_t>(min_ts);
    m.max_ts = static_cast<int64_t>(max_ts);
    m.entry_count = static_cast<uint32_t>(count);
    if (m.offset != next_block || m.length > index_offset - m.offset || m.min_ts > m.max_ts ||
        count == 0 || count > UINT32_MAX) {
      return Status::Corruption("chunk index entry inconsistent", Where(index_offset));
    }
    next_block = m.offset + m.length;
    blocks_.push_back(m);
  }
  uint64_t next_bloom = next_block;
  for (const BlockMeta& m : blocks_) {
    if (m.bloom_offset != next_bloom || m.bloom_length > index_offset - m.bloom_offset) {
      return Status::Corruption("chunk bloom position", Where(index_offset));
    }
    next_bloom = m.bloom_offset + m.bloom_length;
    auto bloom = Bloom::Parse(b.substr(m.bloom_offset, m.bloom_length), Where(m.bloom_offset));
    if (!bloom.ok()) return bloom.status();
    blooms_.push_back(*bloom);
  }
  if (!index.empty() || next_bloom != index_offset) {
    return Status::Corruption("chunk index length", Where(index_offset));
  }
  return Status::OK();
}

int64_t Chunk::MinTimestamp() const {
  int64_t m = INT64_MAX;
  for (const auto& b : blocks_) m = std::min(m, b.min_ts);
  return m;
}

int64_t Chunk::MaxTimestamp() const {
  int64_t m = INT64_MIN;
  for (const auto& b : blocks_) m = std::max(m, b.max_ts);
  return m;
}

uint64_t Chunk::EntryCount() const {
  uint64_t n = 0;
  for (const auto& b : blocks_) n += b.entry_count;
  return n;
}

uint64_t Chunk::LineBytes() const {
  uint64_t n = 0;
  for (const auto& b : blocks_) n += b.line_bytes;
  return n;
}

Status Chunk::DecodeBlock(size_t i, DecodedBlock* out) const {
  const BlockMeta& m = blocks_[i];
  std::string where = Where(m.offset);
  SKALD_RETURN_IF_ERROR(
      chunk::DecodeBlock(std::string_view(bytes_).substr(m.offset, m.length), where, out));
  if (out->size() != m.entry_count || out->timestamps.front() != m.min_ts ||
      out->timestamps.back() != m.max_ts || out->lines.size() != m.line_bytes) {
    return Status::Corruption("block disagrees with chunk index", where);
  }
  return Status::OK();
}

Status Chunk::VerifyAll() const {
  DecodedBlock block;
  for (size_t i = 0; i < blocks_.size(); ++i) SKALD_RETURN_IF_ERROR(DecodeBlock(i, &block));
  return Status::OK();
}

std::unique_ptr<iter::EntryIterator> Chunk::NewIterator(const ChunkIteratorOptions& options) const {
  std::shared_ptr<const Chunk> self = shared_from_this();
  std::vector<BlockSource> sources;
  for (size_t i = 0; i < blocks_.size(); ++i) {
    if (options.block_filter && !options.block_filter(blocks_[i], blooms_[i])) continue;
    sources.push_back(BlockSource{blocks_[i], [self, i](DecodedBlock* out) {
                                    return self->DecodeBlock(i, out);
                                  }});
  }
  return NewBlocksIterator(labels_, std::move(sources), options.from_ns, options.through_ns,
                           options.direction, options.line_filter);
}

}  // namespace skald::server::chunk
