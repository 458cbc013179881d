// Chunk: a sealed, encoded chunk opened for reading (FORMAT.md).
//
// Open() checks the header, footer, index checksum and every bloom's
// checksum, so block metadata and blooms can be trusted without touching
// the blocks; each block's own checksum is checked when it is decoded.
// Readers skip blocks by time (BlockMeta) and by bloom (BlockBloom) without
// decompressing them.
//
// Immutable after Open; safe to share between threads. Iterators keep the
// chunk alive (they hold a shared_ptr), each iterator is single-threaded.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "server/chunk/block.h"
#include "server/chunk/bloom.h"
#include "server/chunk/format.h"
#include "server/iter/entry_iterator.h"

namespace skald::server::chunk {

struct ChunkIteratorOptions {
  // Entries with from_ns <= ts < through_ns.
  int64_t from_ns = INT64_MIN;
  int64_t through_ns = INT64_MAX;
  iter::Direction direction = iter::Direction::kForward;
  // Return false to skip a block unread (e.g. a needle token or a
  // `name=value` key the bloom does not contain). Empty: keep every block.
  std::function<bool(const BlockMeta&, const Bloom&)> block_filter;
  // Return false to drop an entry by its line before it is yielded. Empty: keep all.
  std::function<bool(std::string_view line)> line_filter;
};

class Chunk : public std::enable_shared_from_this<Chunk> {
 public:
  // Parses `bytes` (taken over). `ref` names the chunk in error messages,
  // e.g. "data/chunks/fake/2026-11-22/000001.chunks@4096". Corruption with
  // the ref and byte offset when a check fails.
  static common::Result<std::shared_ptr<const Chunk>> Open(std::string bytes, std::string ref);

  const std::string& ref() const { return ref_; }
  // The stream's canonical label string.
  const std::string& labels() const { return labels_; }
  Codec codec() const { return codec_; }
  size_t size() const { return bytes_.size(); }

  size_t BlockCount() const { return blocks_.size(); }
  const BlockMeta& Block(size_t i) const { return blocks_[i]; }
  const Bloom& BlockBloom(size_t i) const { return blooms_[i]; }
  int64_t MinTimestamp() const;
  int64_t MaxTimestamp() const;
  uint64_t EntryCount() const;
  uint64_t LineBytes() const;

  // Verifies and decodes block i into `*out` (reusing its buffers).
  // Corruption naming the ref and the block's offset.
  common::Status DecodeBlock(size_t i, DecodedBlock* out) const;
  // Decodes every block: OK iff the whole chunk is intact.
  common::Status VerifyAll() const;

  // Entries per `options`; only blocks overlapping the range and passing
  // block_filter are decompressed, lazily, one at a time unless blocks
  // overlap in time (then they are merged). Decode errors surface through
  // the iterator's status().
  std::unique_ptr<iter::EntryIterator> NewIterator(const ChunkIteratorOptions& options) const;

  Chunk(const Chunk&) = delete;
  Chunk& operator=(const Chunk&) = delete;

 private:
  Chunk() = default;
  common::Status Parse();
  std::string Where(uint64_t offset) const;

  std::string bytes_;
  std::string ref_;
  std::string labels_;
  Codec codec_ = Codec::kNone;
  std::vector<BlockMeta> blocks_;
  std::vector<Bloom> blooms_;
};

}  // namespace skald::server::chunk
