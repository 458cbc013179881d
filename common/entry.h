// Entry: one log line with its timestamp and structured metadata.
// A plain value type; safe to copy between threads.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/labels.h"

namespace skald::common {

struct Entry {
  int64_t timestamp_ns = 0;
  std::string line;
  // Per-entry name/value pairs (trace_id, span_id, ...), in push order.
  std::vector<Label> metadata;

  bool operator==(const Entry&) const = default;
};

// One stream of a push request: the raw label string as sent, and its entries.
struct PushStream {
  std::string labels;
  std::vector<Entry> entries;
};

struct PushRequest {
  std::vector<PushStream> streams;
};

}  // namespace skald::common
