// RateLimiter: a token bucket (golang.org/x/time/rate semantics) used for
// the tenant ingestion rate and the per-stream rate.
//
// The bucket holds up to `burst` tokens (bytes) and refills at `rate` per
// second. AllowN(now, n) takes n tokens when available and answers whether it
// did; a request larger than the burst is never allowed. Thread-safe.
#pragma once

#include <cstdint>
#include <mutex>

namespace skald::server::ingest {

class RateLimiter {
 public:
  // `rate_per_sec` <= 0 disables the limiter (everything allowed).
  RateLimiter(double rate_per_sec, double burst);
  RateLimiter(const RateLimiter&) = delete;
  RateLimiter& operator=(const RateLimiter&) = delete;

  // True (and the tokens are taken) when `n` tokens are available at `now_ns`.
  bool AllowN(int64_t now_ns, double n);
  // Changes the limits, keeping the current tokens (capped at the new burst).
  void SetLimits(double rate_per_sec, double burst);
  double rate() const;
  double burst() const;

 private:
  void Refill(int64_t now_ns);  // requires mu_

  mutable std::mutex mu_;
  double rate_;          // guarded by mu_
  double burst_;         // guarded by mu_
  double tokens_;        // guarded by mu_
  int64_t last_ns_ = 0;  // guarded by mu_; 0 until first use
};

}  // namespace skald::server::ingest
