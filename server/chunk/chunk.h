// Chunk: a sealed, encoded chunk opened for reading (FORMAT.md).
//
// Open() checks the header, footer, index checksum and every bloom's
// checksum, so block metadata and blooms can be trusted without touching
// the blocks; each block's own checksum is checked when it is decoded.
// Readers skip blocks by time (BlockMeta) and by bloom (BlockBloom) without
// decompressing them.
//
// OpenLazy() reads only the header, the index and the blooms through a read
// function and fetches each block when it is decoded, so a query that skips
// most blocks by time or bloom reads a few KiB of a multi-MiB chunk.
//
// Immutable after Open; safe to share between threads (the read function
// must be safe to call concurrently). Iterators keep the
// chunk alive (they hold a shared_ptr), each iterator is single-threaded.
#pragma once

#include <atomic>
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
  // Optional (log queries with a limit): entries older (backward; forward:
  // newer) than *cutoff are not needed; blocks and segments wholly beyond it
  // are not decompressed and iteration ends there. Read as it moves.
  const std::atomic<int64_t>* cutoff = nullptr;
  // Optional (a reader working through the range in slices): the iterator
  // may pause (EntryIterator::Paused) before entries beyond *pause, leaving
  // blocks and segments that hold only such entries undecompressed for now.
  const iter::PauseBound* pause = nullptr;
  // Return false to skip a block unread (e.g. a needle token or a
  // `name=value` key the bloom does not contain). Empty: keep every block.
  std::function<bool(const BlockMeta&, const Bloom&)> block_filter;
  // Only entries whose line contains every one of these (case-sensitive)
  // are yielded, found by one memmem pass per block. Empty: keep all.
  std::vector<std::string> line_contains;
  // Only entries whose structured metadata holds every one of these pairs
  // are yielded (checked on the block's metadata symbols). Empty: keep all.
  std::vector<common::Label> metadata_equals;
  // Parsed-field equalities (NewBlocksIterator's field_equals): entries
  // that provably cannot satisfy them are not yielded.
  std::vector<common::Label> field_equals;
  // False: blocks are decoded without their metadata column and entries
  // come with empty metadata (the reader needs no labels beyond the
  // stream's). Ignored (metadata is read) when metadata_equals or
  // field_equals is set.
  bool with_metadata = true;
  // Called once per block just before it is decompressed (stats). Optional.
  std::function<void(const BlockMeta&)> on_decode;
  // Called after each decompression with the entries and line bytes it
  // decompressed: a whole block, or the segments a backward read needed
  // (stats). Optional.
  std::function<void(uint64_t entries, uint64_t line_bytes)> on_decompressed;
};

// Reads bytes [offset, offset + length) of one stored chunk into `*out`
// (contents replaced; its capacity may be reused); an error status passes
// through to the reader. Called concurrently when the chunk is shared.
using ChunkReadFn =
    std::function<common::Status(uint64_t offset, uint64_t length, std::string* out)>;

class Chunk : public std::enable_shared_from_this<Chunk> {
 public:
  // Parses `bytes` (taken over). `ref` names the chunk in error messages,
  // e.g. "data/chunks/fake/2026-11-22/000001.chunks@4096". Corruption with
  // the ref and byte offset when a check fails.
  static common::Result<std::shared_ptr<const Chunk>> Open(std::string bytes, std::string ref);
  // Same checks as Open on a chunk of `size` bytes read through `read`: the
  // header, the footer, the index and the blooms now, each block when it is
  // decoded. Read errors pass through.
  static common::Result<std::shared_ptr<const Chunk>> OpenLazy(uint64_t size, ChunkReadFn read,
                                                                std::string ref);

  const std::string& ref() const { return ref_; }
  // The stream's canonical label string.
  const std::string& labels() const { return labels_; }
  Codec codec() const { return codec_; }
  size_t size() const { return size_; }

  size_t BlockCount() const { return blocks_.size(); }
  const BlockMeta& Block(size_t i) const { return blocks_[i]; }
  const Bloom& BlockBloom(size_t i) const { return blooms_[i]; }
  int64_t MinTimestamp() const;
  int64_t MaxTimestamp() const;
  uint64_t EntryCount() const;
  uint64_t LineBytes() const;
  // Heap bytes this object holds (the whole chunk for Open; for OpenLazy its
  // index, blooms and names): what keeping it in a cache costs.
  size_t MemoryBytes() const;

  // Verifies and decodes block i into `*out` (reusing its buffers).
  // Corruption naming the ref and the block's offset.
  // `with_metadata`: see chunk::DecodeBlock. `newest_only`: a newest-first
  // block may be left partly decoded (chunk::DecodeBlockNewest).
  common::Status DecodeBlock(size_t i, DecodedBlock* out, bool with_metadata = true,
                             bool newest_only = false) const;
  // Like DecodeBlock but only the entries column (timestamps and line
  // lengths; see DecodeBlockEntriesOnly): reads the block, never
  // decompresses its lines or metadata.
  common::Status DecodeBlockEntries(size_t i, DecodedBlock* out) const;
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
  // Reads [offset, offset + length) from bytes_ or through read_.
  common::Result<std::string_view> Bytes(uint64_t offset, uint64_t length,
                                         std::string* scratch) const;
  common::Status Parse();
  std::string Where(uint64_t offset) const;

  uint64_t size_ = 0;
  std::string bytes_;  // the whole chunk (Open), or empty (OpenLazy)
  ChunkReadFn read_;   // OpenLazy only
  std::string tail_;   // OpenLazy: the blooms (which blooms_ view), index and footer

  std::string ref_;
  std::string labels_;
  Codec codec_ = Codec::kNone;
  std::vector<BlockMeta> blocks_;
  std::vector<Bloom> blooms_;
};

}  // namespace skald::server::chunk
