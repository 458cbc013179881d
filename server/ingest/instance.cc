#include "server/ingest/instance.h"

#include <algorithm>

namespace skald::server::ingest {

std::shared_ptr<Stream> Instance::GetOrCreate(const common::Labels& labels, const std::string& text,
                                              uint64_t fingerprint, double rate_bytes, double burst_bytes,
                                              int64_t max_streams, bool* created) {
  std::lock_guard<std::mutex> lock(mu_);
  *created = false;
  auto& chain = streams_[fingerprint];
  for (const auto& s : chain) {
    if (s->text() == text) return s;
  }
  if (max_streams > 0 && count_ >= static_cast<size_t>(max_streams)) {
    if (chain.empty()) streams_.erase(fingerprint);
    return nullptr;
  }
  chain.push_back(std::make_shared<Stream>(labels, text, fingerprint, rate_bytes, burst_bytes));
  ++count_;
  *created = true;
  return chain.back();
}

std::vector<std::shared_ptr<Stream>> Instance::Streams() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::shared_ptr<Stream>> out;
  out.reserve(count_);
  for (const auto& [fp, chain] : streams_) out.insert(out.end(), chain.begin(), chain.end());
  return out;
}

size_t Instance::RemoveEmpty(int64_t idle_before_mono) {
  std::lock_guard<std::mutex> lock(mu_);
  size_t removed = 0;
  for (auto it = streams_.begin(); it != streams_.end();) {
    auto& chain = it->second;
    const auto end = std::remove_if(chain.begin(), chain.end(), [&](const std::shared_ptr<Stream>& s) {
      return s->Empty() && s->last_append_mono() <= idle_before_mono;
    });
    removed += static_cast<size_t>(chain.end() - end);
    chain.erase(end, chain.end());
    it = chain.empty() ? streams_.erase(it) : std::next(it);
  }
  count_ -= removed;
  return removed;
}

size_t Instance::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return count_;
}

}  // namespace skald::server::ingest
