// WriteLog: what the ingester needs from a write-ahead log. The real one
// adapts wal_writer/wal_reader (segments, CRC framing, group commit); tests
// use an in-memory log; NullWriteLog is the `wal.enabled: false` case.
//
// Records are opaque bytes (see wal_record.h). Segments are numbered upwards;
// RemoveSegmentsBefore(n) drops every segment < n (the checkpoint).
//
// Concurrency: Append may be called from many threads at once (the log
// groups concurrent appends into one sync); the other methods may run
// concurrently with Append.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>

#include "common/status.h"

namespace skald::server::ingest {

class WriteLog {
 public:
  virtual ~WriteLog() = default;
  // Appends `records` and returns once they are durable under the configured
  // sync policy. Returns the segment that holds them, or IOError (then none
  // of them may be relied upon).
  virtual common::Result<uint64_t> Append(std::span<const std::string> records) = 0;
  // Closes the active segment and starts a new one; returns its number.
  virtual common::Result<uint64_t> Rotate() = 0;
  // The segment that new appends go to.
  virtual uint64_t ActiveSegment() const = 0;
  // Deletes every segment numbered below `segment`.
  virtual common::Status RemoveSegmentsBefore(uint64_t segment) = 0;
  // Calls fn(segment, record) for every record of every segment in order.
  // A torn tail is ignored; fn's error stops the replay and is returned.
  virtual common::Status Replay(
      const std::function<common::Status(uint64_t segment, std::string_view record)>& fn) = 0;
};

// wal.enabled: false — nothing is logged, nothing is replayed.
class NullWriteLog : public WriteLog {
 public:
  common::Result<uint64_t> Append(std::span<const std::string>) override { return uint64_t{0}; }
  common::Result<uint64_t> Rotate() override { return uint64_t{0}; }
  uint64_t ActiveSegment() const override { return 0; }
  common::Status RemoveSegmentsBefore(uint64_t) override { return common::Status::OK(); }
  common::Status Replay(
      const std::function<common::Status(uint64_t, std::string_view)>&) override {
    return common::Status::OK();
  }
};

}  // namespace skald::server::ingest
