// Stream: one tenant's stream in the ingester: its unflushed entries (the
// open chunk and sealed chunks waiting for the flusher), its per-stream rate
// limiter and the bookkeeping that makes WAL checkpoints and replay exact.
//
// Lifecycle of an entry: Admit (rate check, sequence number, in flight) ->
// the WAL append -> Apply (dedupe, into the open chunk's head block, which
// is compressed into a block every ChunkOptions::block_bytes) -> Seal (open
// chunk becomes a SealedChunk) -> the flusher writes it -> ReleaseFlushed.
// Memory per stream is therefore one uncompressed head block plus the
// compressed blocks of its unflushed chunks.
//
// Concurrency: every method takes the stream's own mutex; a Stream is used
// by pushing threads, the flush loop and queries at once. SealedChunk
// objects handed out by SealedForFlush stay valid (and unchanged) until
// ReleaseFlushed removes them; only the flush loop calls those two.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <limits>
#include <memory>
#include <mutex>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "common/entry.h"
#include "common/labels.h"
#include "server/chunk/chunk_builder.h"
#include "server/ingest/flush.h"
#include "server/ingest/rate_limiter.h"
#include "server/iter/entry_iterator.h"

namespace skald::server::ingest {

constexpr uint64_t kNoSegment = std::numeric_limits<uint64_t>::max();

// Until a stream has flushed a chunk, its compressed size is estimated as
// raw bytes / this ratio (then the stream's measured ratio is used).
constexpr double kAssumedCompressionRatio = 4.0;

struct StreamConfig {
  // chunk_target_size: compressed bytes at which the open chunk is sealed (full).
  uint64_t chunk_target_size = 1572864;
  // max_chunk_age: a chunk open this long is sealed (max_age).
  int64_t max_chunk_age_ns = 3600LL * 1'000'000'000;
  // chunk_idle_period: a chunk without appends this long is sealed (idle).
  int64_t chunk_idle_period_ns = 1800LL * 1'000'000'000;
  // chunk_block_size and codec of the blocks the head is cut into.
  chunk::ChunkOptions chunk;
};

// What the head holds for one stream (for stats, labels, series).
struct HeadStats {
  uint64_t entries = 0;
  uint64_t bytes = 0;
  uint64_t chunks = 0;  // open chunk (when non-empty) + sealed chunks
  int64_t min_ts = std::numeric_limits<int64_t>::max();
  int64_t max_ts = std::numeric_limits<int64_t>::min();
};

class Stream {
 public:
  Stream(common::Labels labels, std::string text, uint64_t fingerprint, double rate_bytes,
         double burst_bytes);
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;

  const common::Labels& labels() const { return labels_; }
  const std::string& text() const { return text_; }
  uint64_t fingerprint() const { return fingerprint_; }

  // Per-entry rate check at wall time `now_ns`: moves accepted entries of
  // *entries to *accepted and rejected ones to *rejected. When anything is
  // accepted, assigns it a sequence number from `seq_counter` (under this
  // stream's lock, so a stream's numbers follow its admission order), marks
  // it in flight and returns it; returns 0 when nothing was accepted.
  uint64_t Admit(int64_t now_ns, const std::vector<common::EntryView>& entries,
                 std::atomic<uint64_t>* seq_counter, std::vector<common::EntryView>* accepted,
                 std::vector<common::EntryView>* rejected);
  // Forgets an admitted sequence whose WAL append failed.
  void Abort(uint64_t seq);
  // Appends admitted (or replayed) entries logged in WAL `segment`; exact
  // duplicates of unflushed entries are dropped (free for entries newer than
  // everything unflushed; otherwise blocks covering the timestamp are
  // decoded). Seals the open chunk when its compressed blocks plus the head
  // block's estimated compressed size reach the target size. Returns the
  // number of entries stored. The entries' bytes are copied (once, into the
  // head block); the views need to live only for the call.
  size_t Apply(uint64_t seq, std::span<const common::EntryView> entries, uint64_t segment,
               int64_t now_mono_ns, const StreamConfig& config);

  // Seals the open chunk when it is older than max_chunk_age or idle longer
  // than chunk_idle_period at `now_mono_ns`. Returns true when it sealed.
  bool SealIfDue(int64_t now_mono_ns, const StreamConfig& config);
  // Seals the open chunk (if non-empty) for `reason`.
  void SealNow(FlushReason reason);
  // Compresses the open chunk's head block into a block now and frees its
  // buffers; the chunk stays open. Returns the memory bytes freed (0 when
  // the head is empty, when compressing saved nothing, or on an encoding
  // error, which is logged and leaves the entries in the head).
  uint64_t CompactHead();
  // Raw bytes in the open chunk's head block (not yet compressed).
  uint64_t OpenHeadRawBytes() const;

  // The sealed chunks now waiting, oldest first (owned by the stream).
  std::vector<const SealedChunk*> SealedForFlush() const;
  // Drops the first `n` sealed chunks after the flusher made them durable,
  // and records that every record of this stream with seq <= flushed_through()
  // is now in chunks. Feeds the compression ratio estimate.
  void ReleaseFlushed(size_t n, uint64_t raw_bytes, uint64_t compressed_bytes);
  // Sequence number through which every record is flushed (0: none).
  uint64_t flushed_through() const;

  // Oldest WAL segment holding an unflushed entry; kNoSegment when none.
  uint64_t OldestSegment() const;
  // True when nothing is unflushed or in flight.
  bool Empty() const;
  // Monotonic time of the last append (0: never).
  int64_t last_append_mono() const;
  HeadStats Stats() const;
  // Unflushed bytes (lines + metadata).
  uint64_t HeadBytes() const;
  // Bytes the unflushed data occupies in memory (compressed blocks, blooms,
  // head block).
  uint64_t MemoryBytes() const;

  // A sorted copy of the unflushed entries with from <= ts < through, as an
  // iterator in `direction` (duplicates across chunks removed).
  std::unique_ptr<iter::EntryIterator> Iterator(int64_t from_ns, int64_t through_ns,
                                                iter::Direction direction) const;

 private:
  struct OpenChunk {
    std::unique_ptr<chunk::ChunkBuilder> builder;  // null while empty
    uint64_t raw_bytes = 0;
    uint64_t min_segment = kNoSegment;
    int64_t created_mono = 0;
  };
  void SealLocked(FlushReason reason);  // requires mu_
  bool IsDuplicateLocked(const common::EntryView& e);  // requires mu_
  bool OpenEmptyLocked() const { return open_.builder == nullptr || open_.builder->empty(); }
  uint64_t WatermarkLocked() const;     // requires mu_

  // Constant after construction.
  const common::Labels labels_;
  const std::string text_;
  const uint64_t fingerprint_;

  RateLimiter limiter_;  // thread-safe itself

  mutable std::mutex mu_;
  OpenChunk open_;                                   // guarded by mu_
  std::deque<std::unique_ptr<SealedChunk>> sealed_;  // guarded by mu_
  std::deque<uint64_t> sealed_through_;              // guarded by mu_; watermark per sealed chunk
  std::set<uint64_t> in_flight_;                     // guarded by mu_; admitted, not applied
  uint64_t max_applied_seq_ = 0;                     // guarded by mu_
  uint64_t flushed_through_ = 0;                     // guarded by mu_
  uint64_t head_bytes_ = 0;                          // guarded by mu_
  int64_t last_append_mono_ = 0;                     // guarded by mu_
  double ratio_ = kAssumedCompressionRatio;          // guarded by mu_
};

}  // namespace skald::server::ingest
