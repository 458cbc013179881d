// WalWriter: appends records to WAL segment files (wal_format.h) with group
// commit, and implements the ingester's WriteLog interface.
//
// Group commit (leveldb's writers_ queue): each Append frames its records,
// then queues. The writer at the front of the queue becomes the leader: it
// takes the framed bytes of every queued writer behind it, writes them with
// one append, issues one fsync (policy kGroup) for all of them, and wakes
// them. So N concurrent pushes cost about one fsync, not N. With kNone
// nothing is fsynced (data reaches the OS only).
//
// A failed write or sync is sticky: every later Append/Rotate returns the
// same error (the segment's tail is unknown; restart and replay).
//
// Concurrency: all methods are thread-safe. File I/O happens outside the
// mutex, by exactly one leader at a time; Rotate and RemoveSegmentsBefore
// take their turn in the same queue.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <span>
#include <string>

#include "common/env.h"
#include "common/status.h"
#include "server/ingest/wal_format.h"
#include "server/ingest/write_log.h"

namespace skald::server::ingest {

// Serialized in config as "none" / "group".
enum class WalSyncPolicy : uint8_t {
  kNone = 0,   // never fsync: a crash may lose acknowledged pushes
  kGroup = 1,  // fsync before acknowledging, shared by concurrent appenders
};

struct WalOptions {
  // Directory of the segment files (created if missing).
  std::string dir = "data/wal";
  // A segment is rotated once it holds at least this many bytes.
  size_t segment_bytes = kDefaultWalSegmentBytes;
  // When an Append is acknowledged; see WalSyncPolicy.
  WalSyncPolicy sync = WalSyncPolicy::kGroup;
};

class WalWriter final : public WriteLog {
 public:
  // Creates the directory and starts a new segment numbered one above the
  // highest existing one (existing segments are left for replay).
  // IOError from the env.
  static common::Result<std::unique_ptr<WalWriter>> Open(common::Env* env, WalOptions options);
  ~WalWriter() override;

  // Appends each record (payload bytes, e.g. EncodeWalRecord output) as one
  // WAL record and returns when they are durable under the policy, with the
  // segment that holds them. TooLarge for a record over kMaxWalRecordBytes
  // (nothing written); IOError if writing or syncing failed.
  common::Result<uint64_t> Append(std::span<const std::string> records) override;
  // Convenience: appends one WalBatch record.
  common::Result<uint64_t> AppendBatch(const WalBatch& batch);

  // Closes the active segment (synced) and starts a new one; returns its number.
  common::Result<uint64_t> Rotate() override;
  uint64_t ActiveSegment() const override;
  // Deletes every segment numbered below `segment` (never the active one).
  common::Status RemoveSegmentsBefore(uint64_t segment) override;
  // Replays every segment in the directory (wal_reader.h). Call before appending.
  common::Status Replay(
      const std::function<common::Status(uint64_t segment, std::string_view record)>& fn) override;

  // Appenders and control operations queued, including the leader (tests).
  size_t QueueDepthForTest() const;

  // Syncs and closes the active segment; later calls fail with Unavailable.
  common::Status Close();

  WalWriter(const WalWriter&) = delete;
  WalWriter& operator=(const WalWriter&) = delete;

 private:
  struct Writer;

  WalWriter(common::Env* env, WalOptions options);
  common::Status OpenSegment(uint64_t seq);  // requires being the leader
  // Runs `fn` as the leader (after every earlier writer) and returns its result.
  common::Status RunExclusive(const std::function<common::Status()>& fn);

  // Constant after construction.
  common::Env* const env_;
  const WalOptions options_;

  mutable std::mutex mu_;
  std::deque<Writer*> writers_;  // guarded by mu_; front is the leader
  common::Status error_;         // guarded by mu_; sticky
  uint64_t active_seq_ = 0;      // guarded by mu_ (written by the leader under mu_)
  bool closed_ = false;          // guarded by mu_

  // Touched only by the current leader.
  std::unique_ptr<common::WritableFile> file_;
};

}  // namespace skald::server::ingest
