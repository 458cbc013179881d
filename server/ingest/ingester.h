// Ingester: holds every tenant's unflushed streams, makes pushes durable in
// the WAL before acknowledging them, seals chunks (full / max_age / idle),
// flushes them to the chunk store and index, checkpoints the WAL, and on
// start replays it. Query hooks give the head's streams to the query path.
//
// Write:  Push -> per stream: stream limit, per-stream rate (Admit) -> one
//         WAL append for the whole push (group commit) -> Apply to heads.
// Flush:  every flush_check_period (or Flush()): seal due chunks -> write
//         them (ChunkWriter: chunk file fsync, then index rows) -> save flush
//         marks -> WAL checkpoint (drop segments below the oldest one still
//         holding unflushed data).
//
// Concurrency: every public method is thread-safe. append_mu_ is held shared
// by pushes from stream lookup to head apply, and exclusively by the flush
// loop while it computes the checkpoint and forgets empty streams. flush_mu_
// serialises flush cycles (loop, /flush, shutdown).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "common/env.h"
#include "common/matcher.h"
#include "common/metrics.h"
#include "common/status.h"
#include "server/ingest/distributor.h"
#include "server/ingest/flush.h"
#include "server/ingest/instance.h"
#include "server/ingest/recovery.h"
#include "server/ingest/stream.h"
#include "server/ingest/write_log.h"
#include "server/iter/entry_iterator.h"

namespace skald::server::ingest {

// Per-tenant limits the ingester applies (Loki limits_config names).
struct IngesterLimits {
  // per_stream_rate_limit / _burst in bytes: entries beyond them -> 429.
  double per_stream_rate_bytes = 3.0 * 1024 * 1024;
  double per_stream_burst_bytes = 15.0 * 1024 * 1024;
  // max_global_streams_per_user (5000; 0 = off): new streams beyond -> 429.
  int64_t max_streams = 5000;
};

using IngesterLimitsFn = std::function<IngesterLimits(std::string_view tenant)>;

struct IngesterOptions {
  StreamConfig stream;
  // flush_check_period: how often the flush loop seals and flushes.
  int64_t flush_check_period_ns = 30LL * 1'000'000'000;
  // wal.flush_on_shutdown: flush every stream on Shutdown().
  bool flush_on_shutdown = true;
  // Skald: when the unflushed data in memory (compressed blocks and head
  // blocks, Stream::MemoryBytes) exceeds this, the flush loop compresses the
  // largest head blocks in place until at most half of it remains, and if
  // that is not enough seals the largest open chunks (reason "memory") and
  // flushes them. 0 = no budget.
  uint64_t max_head_memory_bytes = 48ull << 20;
  // How often the flush loop checks the memory budget.
  int64_t memory_check_period_ns = 500LL * 1'000'000;
  // Skald: the budget is also a hard cap. A push that finds the unflushed
  // data at 2x max_head_memory_bytes (the flush loop's last measure plus
  // the raw bytes pushed since) while the flush loop runs waits for the loop
  // to bring it down (a flush slowed by the disk no longer lets memory grow
  // with the ingest rate), at most this long; it is then rejected with 429
  // and nothing of it is written (clients retry). 0 = reject at once.
  int64_t memory_wait_timeout_ns = 5LL * 1'000'000'000;
  // A flush hands the chunk writer at most this many compressed bytes at a
  // time (at least one stream), so flushing never holds a second copy of
  // the whole head.
  uint64_t max_flush_batch_bytes = 4ull << 20;
  // max_returned_stream_errors: rejected entries listed per stream error.
  size_t max_returned_stream_errors = 10;
  // Where the flush marks file lives (the WAL directory); empty: no marks
  // (only valid without a WAL).
  std::string marks_path;
  // File system for the marks file; nullptr = Env::Default().
  common::Env* env = nullptr;
};

class Ingester : public PushSink {
 public:
  // None of the pointers is owned; all must outlive the Ingester. `metrics`
  // may be null. Call Recover() before the first Push, then Start().
  Ingester(IngesterOptions options, IngesterLimitsFn limits, WriteLog* wal, ChunkWriter* writer,
           const common::Clock* clock, common::MetricsRegistry* metrics);
  ~Ingester() override;
  Ingester(const Ingester&) = delete;
  Ingester& operator=(const Ingester&) = delete;

  // Replays the WAL into the heads, skipping records already flushed (per
  // the marks). Returns the first error (corrupt marks, a failing log).
  common::Status Recover();
  // Starts the background flush loop.
  void Start();
  // Stops the loop and, when flush_on_shutdown, flushes everything.
  common::Status Shutdown();

  // PushSink: writes validated streams; returns once they are durable.
  // Errors: 429 (stream limit, per-stream rate; other streams still
  // written), 500 when the WAL append fails (nothing written).
  common::Status Push(std::string_view tenant, std::vector<ValidStream>&& streams) override;
  // The same from views (the push handler's path): the WAL record is
  // encoded from the views and the head copies each line once.
  common::Status PushViews(std::string_view tenant, std::vector<ValidStreamView>&& streams) override;

  // Seals every open chunk and flushes everything now (POST /flush).
  common::Status Flush();
  // One flush-loop pass at the current time (what the loop runs).
  common::Status FlushDue();
  // Applies max_head_memory_bytes now: when over budget, compresses the
  // largest head blocks (their chunks stay open) and, if that is not enough,
  // seals the largest open chunks and flushes them (reason "memory").
  // Returns the first flush error.
  common::Status EnforceMemoryBudget();
  // The hard cap pushes wait under (0 = none): 2x max_head_memory_bytes.
  uint64_t MemoryHardCap() const { return 2 * options_.max_head_memory_bytes; }

  // ---- query hooks ----
  using StreamVisitor =
      std::function<void(const common::Labels& labels, std::unique_ptr<iter::EntryIterator> it)>;
  // Calls `visit` for each live stream of `tenant` that matches `matchers`
  // and holds unflushed entries in [from, through), with an iterator over
  // those entries in `direction`. The iterator owns a copy of the entries.
  void ForEachStream(std::string_view tenant, const std::vector<common::Matcher>& matchers,
                     int64_t from_ns, int64_t through_ns, iter::Direction direction,
                     const StreamVisitor& visit) const;
  using StatsVisitor = std::function<void(const common::Labels& labels, const HeadStats& stats)>;
  // Calls `visit` for each live stream of `tenant` matching `matchers` with
  // unflushed entries overlapping [from, through] (inclusive).
  void ForEachStreamStats(std::string_view tenant, const std::vector<common::Matcher>& matchers,
                          int64_t from_ns, int64_t through_ns, const StatsVisitor& visit) const;

  // Streams in memory across tenants.
  size_t StreamCount() const;

 private:
  Instance* GetInstance(std::string_view tenant, bool create) const;
  common::Status FlushCycle(bool force, FlushReason forced_reason);
  common::Status Checkpoint(bool flushed_any);
  common::Status ReplayRecord(uint64_t segment, std::string_view bytes);
  void FlushLoop();
  // Blocks while the memory estimate is over MemoryHardCap() and the flush
  // loop runs, at most memory_wait_timeout_ns; 429 when it stays over.
  common::Status WaitForMemory(std::string_view tenant);
  // Stores the flush loop's measure as the estimate and wakes waiting pushes.
  void PublishMemory(uint64_t bytes);
  // The flush loop is stopping: waiting pushes go on, later ones do not wait.
  void CloseMemoryGate();
  void UpdateStreamGauge(const std::string& tenant, size_t n);

  // Constant after construction.
  const IngesterOptions options_;
  const IngesterLimitsFn limits_;
  WriteLog* const wal_;
  ChunkWriter* const writer_;
  const common::Clock* const clock_;
  common::MetricsRegistry* const metrics_;
  common::Env* const env_;
  common::Family<common::Gauge>* memory_streams_ = nullptr;
  common::Family<common::Counter>* chunks_flushed_ = nullptr;
  common::Histogram* wal_append_seconds_ = nullptr;
  common::Family<common::Counter>* flush_failures_ = nullptr;
  common::Family<common::Counter>* head_compactions_ = nullptr;
  common::Family<common::Counter>* memory_waits_ = nullptr;

  std::atomic<uint64_t> next_seq_{0};
  std::atomic<uint64_t> head_bytes_{0};

  mutable std::mutex tenants_mu_;
  std::map<std::string, std::unique_ptr<Instance>, std::less<>> tenants_;  // guarded by tenants_mu_

  std::shared_mutex append_mu_;

  // The unflushed bytes as the flush loop last measured them plus the raw
  // bytes pushed since: what WaitForMemory compares with the hard cap.
  std::atomic<uint64_t> memory_estimate_{0};
  std::mutex memory_mu_;
  std::condition_variable memory_cv_;
  bool memory_gate_ = false;  // guarded by memory_mu_: the flush loop runs

  std::mutex flush_mu_;
  FlushMarks marks_;  // guarded by flush_mu_

  std::mutex loop_mu_;
  std::condition_variable loop_cv_;
  bool stopping_ = false;  // guarded by loop_mu_
  std::thread loop_;
};

}  // namespace skald::server::ingest
