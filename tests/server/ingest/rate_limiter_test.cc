#include "server/ingest/rate_limiter.h"

#include <doctest/doctest.h>

using skald::server::ingest::RateLimiter;

namespace {
constexpr int64_t kSec = 1'000'000'000;
}

TEST_CASE("rate limiter allows up to the burst at once") {
  RateLimiter r(10, 100);
  CHECK(r.AllowN(kSec, 60));
  CHECK(r.AllowN(kSec, 40));
  CHECK_FALSE(r.AllowN(kSec, 1));
}

TEST_CASE("rate limiter never allows more than the burst") {
  RateLimiter r(1000, 100);
  CHECK_FALSE(r.AllowN(kSec, 101));
  CHECK(r.AllowN(kSec, 100));  // the refused request took nothing
}

TEST_CASE("rate limiter refills at the rate") {
  RateLimiter r(10, 100);
  CHECK(r.AllowN(kSec, 100));
  CHECK_FALSE(r.AllowN(kSec + kSec / 2, 6));
  CHECK(r.AllowN(kSec + kSec / 2, 5));
  CHECK(r.AllowN(20 * kSec, 100));  // capped at the burst, not more
  CHECK_FALSE(r.AllowN(20 * kSec, 1));
}

TEST_CASE("rate limiter with a zero rate allows everything") {
  RateLimiter r(0, 0);
  CHECK(r.AllowN(kSec, 1e12));
}

TEST_CASE("rate limiter caps tokens at a lowered burst") {
  RateLimiter r(10, 100);
  r.SetLimits(10, 20);
  CHECK_FALSE(r.AllowN(kSec, 21));
  CHECK(r.AllowN(kSec, 20));
}
