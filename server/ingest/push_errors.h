// PushErrors: the validation failures of one push, and the discard counts
// that go with them (loki_discarded_samples_total / _bytes_total).
//
// Loki 3.x reports every failure of a push in one message, grouped by text:
// a single failure is printed as is; otherwise `N errors like: <msg>` groups
// in first-seen order, joined by "; ". Not thread-safe: one per push.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace skald::server::ingest {

// Loki's discard reasons (the `reason` label of the discard metrics).
namespace reason {
inline constexpr std::string_view kInvalidLabels = "invalid_labels";
inline constexpr std::string_view kMissingLabels = "missing_labels";
inline constexpr std::string_view kMaxLabelNames = "max_label_names_per_series";
inline constexpr std::string_view kLabelNameTooLong = "label_name_too_long";
inline constexpr std::string_view kLabelValueTooLong = "label_value_too_long";
inline constexpr std::string_view kDuplicateLabelNames = "duplicate_label_names";
inline constexpr std::string_view kTooOld = "greater_than_max_sample_age";
inline constexpr std::string_view kTooNew = "too_far_in_future";
inline constexpr std::string_view kLineTooLong = "line_too_long";
inline constexpr std::string_view kDisallowedMetadata = "disallowed_structured_metadata";
inline constexpr std::string_view kMetadataTooLarge = "structured_metadata_too_large";
inline constexpr std::string_view kMetadataTooMany = "structured_metadata_too_many";
inline constexpr std::string_view kRateLimited = "rate_limited";
inline constexpr std::string_view kStreamRateLimit = "per_stream_rate_limit";
inline constexpr std::string_view kStreamLimit = "stream_limit";
// Skald: the unflushed data stayed over the hard memory cap for the whole
// wait (IngesterOptions::memory_wait_timeout_ns).
inline constexpr std::string_view kMemoryLimit = "ingester_memory_limit";
}  // namespace reason

// Lines and bytes discarded per reason.
struct DiscardCounts {
  struct Count {
    uint64_t lines = 0;
    uint64_t bytes = 0;
  };
  std::map<std::string, Count, std::less<>> by_reason;

  void Add(std::string_view reason, uint64_t lines, uint64_t bytes);
  // Adds every count of `other`.
  void Merge(const DiscardCounts& other);
  uint64_t Lines(std::string_view reason) const;
  uint64_t Bytes(std::string_view reason) const;
};

class PushErrors {
 public:
  void Add(std::string message);
  // Adds each group of `other` with its count.
  void Merge(const PushErrors& other);
  bool empty() const { return total_ == 0; }
  size_t total() const { return total_; }
  // Loki 3.x text: one failure as is, else "N errors like: m; M errors like: n".
  std::string Message() const;

 private:
  std::vector<std::pair<std::string, size_t>> groups_;  // first-seen order
  std::unordered_map<std::string, size_t> index_;       // message -> groups_ index
  size_t total_ = 0;
};

}  // namespace skald::server::ingest
