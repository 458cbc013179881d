// WalReader: replays WAL segments (wal_format.h) in sequence order.
//
// Damage never stops a replay: a record whose checksum or framing is bad is
// skipped (the reader resynchronizes at the next valid record), a torn tail
// ends its segment, and reading goes on with the next segment. Each case is
// logged (spdlog warning) and counted in WalReadStats. Only an I/O error
// reading a segment ends the replay (status()).
//
// Reads one segment into memory at a time. Single-threaded.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/env.h"
#include "common/status.h"
#include "server/ingest/wal_format.h"

namespace skald::server::ingest {

struct WalReadStats {
  uint64_t segments = 0;         // segments opened
  uint64_t records = 0;          // valid records returned
  uint64_t corrupt_records = 0;  // damaged or unknown records skipped mid-segment
  uint64_t torn_tails = 0;       // segments that ended in a partial record
  uint64_t skipped_bytes = 0;    // bytes not returned because of the above
};

class WalReader {
 public:
  // Lists the segments of `dir` numbered >= min_segment. IOError from the env.
  static common::Result<std::unique_ptr<WalReader>> Open(common::Env* env, std::string dir,
                                                         uint64_t min_segment = 0);

  // Next valid record: true with `*payload` (valid until the next call) and
  // `*segment`. False at the end or on an I/O error (see status()).
  bool Next(std::string_view* payload, uint64_t* segment);
  common::Status status() const { return status_; }
  const WalReadStats& stats() const { return stats_; }

  WalReader(const WalReader&) = delete;
  WalReader& operator=(const WalReader&) = delete;

 private:
  WalReader(common::Env* env, std::string dir, std::vector<uint64_t> segments)
      : env_(env), dir_(std::move(dir)), segments_(std::move(segments)) {}
  bool LoadNextSegment();
  // Offset of the first valid record at or after `from`, or npos.
  size_t FindValid(size_t from) const;
  bool ValidAt(size_t pos) const;

  common::Env* const env_;
  const std::string dir_;
  const std::vector<uint64_t> segments_;
  size_t next_segment_ = 0;
  uint64_t current_ = 0;
  std::string buf_;  // the current segment's bytes
  size_t pos_ = 0;
  bool loaded_ = false;
  common::Status status_;
  WalReadStats stats_;
};

// Replays every record of every segment in `dir` through fn(segment,
// payload); fn's error stops the replay and is returned. Fills `*stats`
// when given.
common::Status ReplayWal(
    common::Env* env, const std::string& dir,
    const std::function<common::Status(uint64_t segment, std::string_view payload)>& fn,
    WalReadStats* stats = nullptr);

}  // namespace skald::server::ingest
