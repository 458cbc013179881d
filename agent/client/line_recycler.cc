#include "agent/client/line_recycler.h"

namespace skald::agent::client {

void LineRecycler::Give(std::vector<std::string>* lines) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (std::string& s : *lines) {
      if (pool_.size() >= kMaxRecycledLines || bytes_ >= kMaxRecycledBytes) break;
      const size_t cap = s.capacity();
      // Small (SSO) strings own no buffer; nothing to recycle.
      if (cap <= std::string().capacity() || cap > kMaxRecycledLineCapacity) continue;
      s.clear();
      bytes_ += cap;
      pool_.push_back(std::move(s));
    }
  }
  lines->clear();  // frees what was not kept, outside the lock
}

void LineRecycler::Take(std::vector<std::string>* out) {
  std::lock_guard<std::mutex> lock(mu_);
  if (pool_.empty()) return;
  if (out->empty()) {
    out->swap(pool_);
  } else {
    for (std::string& s : pool_) out->push_back(std::move(s));
    pool_.clear();
  }
  bytes_ = 0;
}

size_t LineRecycler::size() {
  std::lock_guard<std::mutex> lock(mu_);
  return pool_.size();
}

}  // namespace skald::agent::client
