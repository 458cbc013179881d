#include "server/ingest/push_errors.h"

namespace skald::server::ingest {

void DiscardCounts::Add(std::string_view reason, uint64_t lines, uint64_t bytes) {
  auto it = by_reason.find(reason);
  if (it == by_reason.end()) it = by_reason.emplace(std::string(reason), Count{}).first;
  it->second.lines += lines;
  it->second.bytes += bytes;
}

void DiscardCounts::Merge(const DiscardCounts& other) {
  for (const auto& [r, c] : other.by_reason) Add(r, c.lines, c.bytes);
}

uint64_t DiscardCounts::Lines(std::string_view reason) const {
  auto it = by_reason.find(reason);
  return it == by_reason.end() ? 0 : it->second.lines;
}

uint64_t DiscardCounts::Bytes(std::string_view reason) const {
  auto it = by_reason.find(reason);
  return it == by_reason.end() ? 0 : it->second.bytes;
}

void PushErrors::Add(std::string message) {
  ++total_;
  auto it = index_.find(message);
  if (it != index_.end()) {
    ++groups_[it->second].second;
    return;
  }
  index_.emplace(message, groups_.size());
  groups_.emplace_back(std::move(message), 1);
}

void PushErrors::Merge(const PushErrors& other) {
  for (const auto& [msg, n] : other.groups_) {
    for (size_t i = 0; i < n; ++i) Add(msg);
  }
}

std::string PushErrors::Message() const {
  if (total_ == 1) return groups_.front().first;
  std::string out;
  for (const auto& [msg, n] : groups_) {
    if (!out.empty()) out += "; ";
    out += std::to_string(n);
    out += " errors like: ";
    out += msg;
  }
  return out;
}

}  // namespace skald::server::ingest
