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

namespace {
// OpenLazy reads this much of the chunk's end at first: the footer, the
// index and, for most chunks, all blooms. Bigger tails take one more read.
constexpr uint64_t kLazyTailBytes = 64 * 1024;
}  // namespace

common::Result<std::shared_ptr<const Chunk>> Chunk::Open(std::string bytes, std::string ref) {
  std::shared_ptr<Chunk> c(new Chunk());
  c->size_ = bytes.size();
  c->bytes_ = std::move(bytes);
  c->ref_ = std::move(ref);
  SKALD_RETURN_IF_ERROR(c->Parse());
  return std::shared_ptr<const Chunk>(std::move(c));
}

common::Result<std::shared_ptr<const Chunk>> Chunk::OpenLazy(uint64_t size, ChunkReadFn read,
                                                              std::string ref) {
  std::shared_ptr<Chunk> c(new Chunk());
  c->size_ = size;
  c->read_ = std::move(read);
  c->ref_ = std::move(ref);
  SKALD_RETURN_IF_ERROR(c->Parse());
  return std::shared_ptr<const Chunk>(std::move(c));
}

common::Result<std::string_view> Chunk::Bytes(uint64_t offset, uint64_t length,
                                              std::string* scratch) const {
  if (offset > size_ || length > size_ - offset) {
    return Status::Corruption("chunk range outside the chunk", Where(offset));
  }
  if (!read_) return std::string_view(bytes_).substr(offset, length);
  SKALD_RETURN_IF_ERROR(read_(offset, length, scratch));
  if (scratch->size() != length) return Status::Corruption("chunk read came back short", Where(offset));
  return std::string_view(*scratch);
}

Status Chunk::Parse() {
  if (size_ < kChunkHeaderBytes + kChunkFooterBytes) {
    return Status::Corruption("chunk truncated", Where(0));
  }
  std::string header_scratch;
  auto header = Bytes(0, kChunkHeaderBytes, &header_scratch);
  if (!header.ok()) return header.status();
  const std::string_view h = *header;
  if (common::DecodeFixed32(h.data()) != kChunkMagic) return Status::Corruption("chunk magic", Where(0));
  if (static_cast<uint8_t>(h[4]) != kFormatVersion) {
    return Status::Corruption("unsupported chunk version", Where(4));
  }
  if (static_cast<uint8_t>(h[5]) > kMaxCodec || h[6] != 0 || h[7] != 0) {
    return Status::Corruption("chunk header codec", Where(5));
  }
  codec_ = static_cast<Codec>(h[5]);

  // `tail` holds bytes [tail_off, size_): at first the footer's
  // neighbourhood, extended backwards to the index and then the blooms.
  uint64_t tail_off = read_ ? size_ - std::min(size_, kLazyTailBytes) : 0;
  std::string_view tail;
  auto load_tail = [&](uint64_t from) -> Status {
    tail_off = from;
    auto got = Bytes(from, size_ - from, &tail_);
    if (!got.ok()) return got.status();
    tail = *got;
    return Status::OK();
  };
  SKALD_RETURN_IF_ERROR(load_tail(tail_off));
  const uint64_t footer = size_ - kChunkFooterBytes;
  const char* f = tail.data() + (footer - tail_off);
  uint64_t index_offset = common::DecodeFixed64(f);
  uint32_t index_length = common::DecodeFixed32(f + 8);
  if (common::DecodeFixed32(f + 12) != kChunkMagic) {
    return Status::Corruption("chunk footer magic (truncated chunk?)", Where(footer + 12));
  }
  if (index_offset < kChunkHeaderBytes || index_length < 4 || index_offset > footer ||
      index_offset + index_length != footer) {
    return Status::Corruption("chunk footer index position", Where(footer));
  }
  if (index_offset < tail_off) SKALD_RETURN_IF_ERROR(load_tail(index_offset));
  std::string_view index = tail.substr(index_offset - tail_off, index_length - 4);
  uint32_t crc = common::crc32c::Value(h.data(), kChunkHeaderBytes);
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
  if (!index.empty()) return Status::Corruption("chunk index length", Where(index_offset));
  if (next_block > index_offset) return Status::Corruption("chunk bloom position", Where(index_offset));
  // The blooms tile [next_block, index_offset); make them part of the tail.
  if (next_block < tail_off) SKALD_RETURN_IF_ERROR(load_tail(next_block));
  if (read_ && tail_off < next_block) {
    // The first read of a small chunk also took block bytes, which blocks
    // are never read from: keep only the blooms, index and footer (a cached
    // chunk's memory; the chunk cache holds many).
    tail_.erase(0, next_block - tail_off);
    tail_.shrink_to_fit();
    tail_off = next_block;
    tail = tail_;
  }
  uint64_t next_bloom = next_block;
  for (const BlockMeta& m : blocks_) {
    if (m.bloom_offset != next_bloom || m.bloom_length > index_offset - m.bloom_offset) {
      return Status::Corruption("chunk bloom position", Where(index_offset));
    }
    next_bloom = m.bloom_offset + m.bloom_length;
    auto bloom = Bloom::Parse(tail.substr(m.bloom_offset - tail_off, m.bloom_length),
                              Where(m.bloom_offset));
    if (!bloom.ok()) return bloom.status();
    blooms_.push_back(*bloom);
  }
  if (next_bloom != index_offset) return Status::Corruption("chunk index length", Where(index_offset));
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

size_t Chunk::MemoryBytes() const {
  return sizeof(Chunk) + bytes_.capacity() + tail_.capacity() + ref_.capacity() +
         labels_.capacity() + blocks_.capacity() * sizeof(BlockMeta) +
         blooms_.capacity() * sizeof(Bloom);
}

Status Chunk::DecodeBlock(size_t i, DecodedBlock* out, bool with_metadata, bool newest_only) const {
  const BlockMeta& m = blocks_[i];
  std::string where = Where(m.offset);
  thread_local std::string scratch;  // keeps its capacity between blocks
  auto bytes = Bytes(m.offset, m.length, &scratch);
  if (!bytes.ok()) return bytes.status();
  if (newest_only) {
    SKALD_RETURN_IF_ERROR(chunk::DecodeBlockNewest(*bytes, where, out, with_metadata));
  } else {
    SKALD_RETURN_IF_ERROR(chunk::DecodeBlock(*bytes, where, out, with_metadata));
  }
  if (out->size() != m.entry_count || out->timestamps.front() != m.min_ts ||
      out->timestamps.back() != m.max_ts || out->line_offsets.back() != m.line_bytes) {
    return Status::Corruption("block disagrees with chunk index", where);
  }
  return Status::OK();
}

Status Chunk::DecodeBlockEntries(size_t i, DecodedBlock* out) const {
  const BlockMeta& m = blocks_[i];
  std::string where = Where(m.offset);
  thread_local std::string scratch;  // keeps its capacity between blocks
  // Only the block's head (header, entries column, its crc) where the block
  // has an entries crc: the lines are neither read nor checksummed.
  uint64_t entries_end = m.length;
  if (m.length >= kBlockHeaderBytes) {
    auto header = Bytes(m.offset, kBlockHeaderBytes, &scratch);
    if (!header.ok()) return header.status();
    uint64_t block_length = 0;
    SKALD_RETURN_IF_ERROR(ParseBlockHead(*header, where, &entries_end, &block_length));
    if (block_length != m.length) return Status::Corruption("block length mismatch", where);
  }
  auto bytes = Bytes(m.offset, entries_end, &scratch);
  if (!bytes.ok()) return bytes.status();
  SKALD_RETURN_IF_ERROR(chunk::DecodeBlockEntriesOnly(*bytes, where, out));
  if (out->size() != m.entry_count || out->timestamps.front() != m.min_ts ||
      out->timestamps.back() != m.max_ts || out->line_offsets.back() != m.line_bytes) {
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
    sources.push_back(
        BlockSource{blocks_[i], [self, i, on_decode = options.on_decode,
                                 on_decompressed = options.on_decompressed,
                                 with_metadata = options.with_metadata ||
                                                 !options.metadata_equals.empty() ||
                                                 !options.field_equals.empty()](DecodedBlock* out,
                                                                                DecodeStep step) {
                      const size_t first_before = step == DecodeStep::kOlder ? out->first_decoded : 0;
                      Status st;
                      if (step == DecodeStep::kOlder) {
                        st = DecodeOlderSegment(out);
                      } else {
                        if (on_decode) on_decode(self->blocks_[i]);
                        st = self->DecodeBlock(i, out, with_metadata, step == DecodeStep::kNewest);
                      }
                      if (st.ok() && on_decompressed) {
                        const size_t end = step == DecodeStep::kOlder ? first_before : out->size();
                        on_decompressed(end - out->first_decoded,
                                        out->line_offsets[end] - out->line_offsets[out->first_decoded]);
                      }
                      return st;
                    }});
  }
  return NewBlocksIterator(labels_, std::move(sources), options.from_ns, options.through_ns,
                           options.direction, options.line_contains, options.metadata_equals,
                           options.field_equals, options.cutoff, options.pause);
}

}  // namespace skald::server::chunk
