// Agent: wires discovery, tailing, pipelines and clients together.
//
// One reader thread re-globs the targets every target_config.sync_period,
// reads every tailed file (rotation, truncation and copytruncate handled by
// TailedFile), runs each line through the file's pipeline and hands entries
// to every client. Positions advance only to the start of the oldest entry
// not yet acknowledged by all clients (or held back by a stage), so a crash
// or an outage re-sends instead of losing data; reading pauses while more
// than kMaxUnackedBytes are unacknowledged (the files are the buffer).
// A rotated file is read to its end before it is closed, for at most
// kMaxRotatedOpenNanos, and stays in the positions file until its entries
// are acknowledged.
//
// Restart: positions carry each file's identity (device, inode, head
// fingerprint). When the path now names another file, the saved file is
// looked up among its rotations in the same directory and drained from the
// saved offset before the new file is read from 0; rotated files that were
// still draining at the last save are resumed the same way.
//
// Concurrency: Start/Run/Stop from the main thread; acknowledgements arrive
// from client threads and are guarded by ack_mu_.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include "agent/client/client.h"
#include "agent/options.h"
#include "agent/pipeline/pipeline.h"
#include "agent/tail/positions.h"
#include "agent/tail/tailed_file.h"
#include "common/clock.h"
#include "common/http/http_server.h"
#include "agent/tail/inotify_watcher.h"
#include "common/metrics.h"

namespace skald::agent {

// Memory held by entries handed to clients and not yet acknowledged (line
// buffers plus kQueuedEntryOverheadBytes each) above which reading pauses
// until acknowledgements catch up. Nothing is lost at the cap: the files are
// the buffer (positions advance only on acknowledgement). It bounds the
// agent's RSS; it must hold a few batches (batchsize, 1 MiB of lines by
// default) so the next batch is ready when a push returns.
inline constexpr uint64_t kMaxUnackedBytes = 6ull << 20;
// Per-entry memory besides the line buffer while queued or batched: the
// client queue slot, protobuf entry and timestamp, in-flight record, malloc
// headers.
inline constexpr uint64_t kQueuedEntryOverheadBytes = 160;
// Bytes read from one file per reader pass, so one busy file can't starve
// the others. A pass's lines are in memory before they count against
// kMaxUnackedBytes, so this is also how far a pass can overshoot the cap.
inline constexpr size_t kMaxReadPerPass = 256u << 10;
// How long a rotated-away file is kept open to drain it.
inline constexpr int64_t kMaxRotatedOpenNanos = 60'000'000'000;
// While the reader is busy catching up, how often each file is checked for
// being at its end (an fstat) and then for having been rotated away (a stat
// of its path); when idle, on every wake-up. Only delays switching to the
// new file.
inline constexpr int64_t kReplacedCheckNanos = 100'000'000;
// Reader poll interval when no file had new data (Promtail polls at 250ms).
inline constexpr int64_t kPollNanos = 250'000'000;
// With inotify the reader wakes on directory events and polls only this
// often as a fallback (filesystems without inotify, dropped events).
inline constexpr int64_t kInotifyFallbackPollNanos = 1'000'000'000;

struct AgentRunOptions {
  bool dry_run = false;          // print entries to `out`, push nothing, save no positions
  std::ostream* out = nullptr;   // dry-run output (stdout when null)
};

class Agent {
 public:
  Agent(AgentOptions options, AgentRunOptions run);
  ~Agent();
  Agent(const Agent&) = delete;
  Agent& operator=(const Agent&) = delete;

  // Loads positions, builds clients, starts the HTTP server (unless
  // disabled) and the reader thread. Errors: positions file corrupt,
  // unreadable secrets, HTTP port in use.
  common::Status Start();
  // Stops reading, flushes held entries, sends what is batched (bounded by
  // the clients' timeout), saves positions. Idempotent.
  void Stop();

  uint16_t http_port() const;
  common::MetricsRegistry* metrics() { return &metrics_; }

 private:
  struct Target;
  struct File;

  void ReaderLoop();
  void SyncTargets();
  void OpenFile(const std::string& path, const Target& target);
  // The pipeline, labels and id for a file tailed under `path`; null when
  // the pipeline cannot be built.
  std::unique_ptr<File> MakeFile(const std::string& path, std::unique_ptr<tail::TailedFile> tf,
                                 const Target& target);
  // Finds the file `r` names (rotated away from r.path while the agent was
  // not reading it) and queues it in rotated_ to be drained from r.offset
  // before r.path is read; warns and counts it when it is gone.
  void ResumeRotated(const tail::RotatedPosition& r, const Target& target);
  // The last target whose include glob matches `path`; null when none.
  const Target* TargetFor(const std::string& path) const;
  // True while a rotated file that precedes `path` is still being drained.
  bool Blocked(const std::string& path) const;
  void DrainRotated(bool* any);
  // Reads, processes and dispatches one pass over `f`; true when it read data.
  bool ReadPass(File* f, bool finishing);
  void Dispatch(File* f, std::vector<pipeline::PipelineEntry>* entries);
  void OnAcks(const std::vector<client::AckRef>& acks);
  // Removes acknowledged entries from inflight_; ack_mu_ held.
  void ApplyAcks(const std::vector<client::AckRef>& acks);
  // Wakes the reader from its idle wait (any thread).
  void WakeReader();
  uint64_t SafeOffset(File* f);
  // True while entries of file `file_id` await acknowledgement.
  bool HasInflight(uint64_t file_id);
  void SavePositions();

  const AgentOptions options_;
  const AgentRunOptions run_;
  common::Clock* const clock_;
  common::MetricsRegistry metrics_;
  tail::Positions positions_;
  std::vector<std::unique_ptr<client::Client>> clients_;
  std::vector<Target> targets_;
  common::http::Router router_;
  std::unique_ptr<common::http::HttpServer> server_;

  // Reader thread state (only the reader thread touches these once started).
  std::map<std::string, std::unique_ptr<File>> files_;   // by path
  std::vector<std::unique_ptr<File>> rotated_;           // draining
  // Wakes the reader on changes in watched directories; null when inotify is
  // unavailable (then the reader polls every kPollNanos).
  std::unique_ptr<tail::InotifyWatcher> watcher_;
  uint64_t next_file_id_ = 1;
  // ReadPass scratch (cleared, not freed, between passes).
  std::vector<tail::Line> scratch_lines_;
  std::vector<pipeline::PipelineEntry> scratch_out_;

  // One dispatched entry awaiting acknowledgements.
  struct Inflight {
    uint64_t start = 0;  // its start offset in the file
    int pending = 0;     // acknowledgements still expected (one per client)
    uint64_t bytes = 0;  // what it counts against kMaxUnackedBytes
  };
  std::mutex ack_mu_;
  // file id -> its unacknowledged entries sorted by start offset (entries
  // are dispatched almost in offset order, so inserts are appends); fully
  // acknowledged entries leave from the front, so front().start is the
  // file's oldest unacknowledged offset.
  std::map<uint64_t, std::deque<Inflight>> inflight_;  // guarded by ack_mu_
  uint64_t inflight_bytes_ = 0;                         // guarded by ack_mu_
  // The reader skipped a file at the cap and waits to be woken by acks.
  // It is woken as soon as acks bring inflight_bytes_ back under the cap: a
  // lower low-water mark was tried and stalls (entries in a sender's
  // not-yet-full batch count too, and are only sent after batchwait).
  bool reader_paused_ = false;  // guarded by ack_mu_
  // A pass of the current reader loop found reading paused at the cap
  // (reader thread only): the loop counts as busy, so files are not each
  // stat'ed for rotation on every wake-up while acks catch up.
  bool hit_cap_ = false;

  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;  // guarded by stop_mu_
  bool wake_ = false;      // guarded by stop_mu_: acks made room (polling mode)
  std::atomic<bool> ready_{false};
  std::thread reader_;

  common::Family<common::Counter>* read_lines_ = nullptr;
  common::Family<common::Gauge>* read_bytes_ = nullptr;
  common::Family<common::Gauge>* file_bytes_ = nullptr;
  common::Family<common::Gauge>* files_active_ = nullptr;
  common::Family<common::Counter>* dropped_ = nullptr;
  common::Family<common::Counter>* rotated_resumed_ = nullptr;
  common::Family<common::Counter>* rotated_lost_ = nullptr;
};

}  // namespace skald::agent
