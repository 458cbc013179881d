#include "agent/pipeline/stages/partial_lines.h"

namespace skald::agent::pipeline {

PipelineEntry* PartialLines::Find(const std::string& key) {
  auto it = held_.find(key);
  return it == held_.end() ? nullptr : &it->second.entry;
}

void PartialLines::Hold(const std::string& key, PipelineEntry entry, int64_t since_ns) {
  held_[key] = Held{std::move(entry), since_ns};
}

void PartialLines::Emit(const std::string& key, std::vector<PipelineEntry>* out) {
  auto it = held_.find(key);
  out->push_back(std::move(it->second.entry));
  held_.erase(it);
}

void PartialLines::Flush(int64_t now_ns, bool force, std::vector<PipelineEntry>* out) {
  for (auto it = held_.begin(); it != held_.end();) {
    if (force || now_ns - it->second.since_ns >= kPartialIdleNanos) {
      out->push_back(std::move(it->second.entry));
      it = held_.erase(it);
    } else {
      ++it;
    }
  }
}

std::optional<uint64_t> PartialLines::PendingStart() const {
  std::optional<uint64_t> min;
  for (const auto& [key, h] : held_) {
    if (!min || h.entry.start_offset < *min) min = h.entry.start_offset;
  }
  return min;
}

}  // namespace skald::agent::pipeline
