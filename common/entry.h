// Entry: one log line with its timestamp and structured metadata.
// A plain value type; safe to copy between threads.
//
// LabelView / EntryView: the same, as views into bytes someone else owns
// (a decoded push body, a WAL record, an Entry). They carry an entry from
// the push decoder through validation, the WAL and into the head block
// without a copy or allocation per line; valid only while that owner lives.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
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

// One name/value pair viewing bytes owned elsewhere.
struct LabelView {
  std::string_view name;
  std::string_view value;
};

// One entry viewing bytes owned elsewhere; `metadata` views an array owned
// by the same owner (PushRequestView, a caller's scratch vector).
struct EntryView {
  int64_t timestamp_ns = 0;
  std::string_view line;
  std::span<const LabelView> metadata;
};

// Views of `metadata` appended to *out (which must not reallocate while the
// views are used: reserve first).
inline void AppendLabelViews(const std::vector<Label>& metadata, std::vector<LabelView>* out) {
  for (const Label& l : metadata) out->push_back(LabelView{l.name, l.value});
}

// An owned copy of `e`: its line and metadata copied into *out (reusing
// out's capacity).
inline void AssignEntry(const EntryView& e, Entry* out) {
  out->timestamp_ns = e.timestamp_ns;
  out->line.assign(e.line);
  out->metadata.clear();
  out->metadata.reserve(e.metadata.size());
  for (const LabelView& l : e.metadata) out->metadata.push_back(Label{std::string(l.name), std::string(l.value)});
}

// One stream of a push request: the raw label string as sent, and its entries.
struct PushStream {
  std::string labels;
  std::vector<Entry> entries;
};

struct PushRequest {
  std::vector<PushStream> streams;
};

}  // namespace skald::common
