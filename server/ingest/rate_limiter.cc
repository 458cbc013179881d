#include "server/ingest/rate_limiter.h"

#include <algorithm>

namespace skald::server::ingest {

RateLimiter::RateLimiter(double rate_per_sec, double burst)
    : rate_(rate_per_sec), burst_(burst), tokens_(burst) {}

void RateLimiter::Refill(int64_t now_ns) {
  if (last_ns_ != 0 && now_ns > last_ns_) {
    tokens_ = std::min(burst_, tokens_ + rate_ * static_cast<double>(now_ns - last_ns_) / 1e9);
  }
  if (now_ns > last_ns_) last_ns_ = now_ns;
}

bool RateLimiter::AllowN(int64_t now_ns, double n) {
  std::lock_guard<std::mutex> lock(mu_);
  if (rate_ <= 0) return true;
  Refill(now_ns);
  if (n > burst_ || n > tokens_) return false;
  tokens_ -= n;
  return true;
}

void RateLimiter::SetLimits(double rate_per_sec, double burst) {
  std::lock_guard<std::mutex> lock(mu_);
  rate_ = rate_per_sec;
  burst_ = burst;
  tokens_ = std::min(tokens_, burst_);
}

double RateLimiter::rate() const {
  std::lock_guard<std::mutex> lock(mu_);
  return rate_;
}

double RateLimiter::burst() const {
  std::lock_guard<std::mutex> lock(mu_);
  return burst_;
}

}  // namespace skald::server::ingest
