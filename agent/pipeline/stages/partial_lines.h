// PartialLines: the entries a decoding stage (docker, cri) holds per stream
// while their line is still being joined from fragments, shared by both.
//
// A held entry is emitted when the stage completes it (Emit), when it was
// held kPartialIdleNanos without a continuation (a container that exited
// mid-line), or on a forced flush (end of file, shutdown, a cap).
// Single-threaded, like the stage that owns it.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "agent/pipeline/stages/stage.h"

namespace skald::agent::pipeline {

// How long a partial line is held without its continuation before it is
// emitted as it is.
inline constexpr int64_t kPartialIdleNanos = 5'000'000'000;

class PartialLines {
 public:
  // The entry held for `key`, or nullptr. Valid until the next call.
  PipelineEntry* Find(const std::string& key);
  // Holds `entry` for `key`, held since `since_ns` (monotonic ns).
  void Hold(const std::string& key, PipelineEntry entry, int64_t since_ns);
  // Moves the entry held for `key` (which must exist) to `out`.
  void Emit(const std::string& key, std::vector<PipelineEntry>* out);
  // Moves to `out` every entry held kPartialIdleNanos or longer at `now_ns`,
  // or every entry with `force`, in key order.
  void Flush(int64_t now_ns, bool force, std::vector<PipelineEntry>* out);
  // The smallest start_offset among held entries, if any.
  std::optional<uint64_t> PendingStart() const;
  size_t size() const { return held_.size(); }

 private:
  struct Held {
    PipelineEntry entry;
    int64_t since_ns = 0;
  };
  std::map<std::string, Held> held_;  // by stream name
};

}  // namespace skald::agent::pipeline
