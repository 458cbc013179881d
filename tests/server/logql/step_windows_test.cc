#include "server/logql/step_windows.h"

#include <doctest/doctest.h>

#include <vector>

namespace skald::server::logql {
namespace {

// Brute force: steps whose window (t - range - off, t - off] holds ts.
std::vector<size_t> Expected(const std::vector<int64_t>& steps, int64_t range, int64_t off, int64_t ts) {
  std::vector<size_t> out;
  for (size_t i = 0; i < steps.size(); ++i) {
    if (steps[i] - range - off < ts && ts <= steps[i] - off) out.push_back(i);
  }
  return out;
}

std::vector<size_t> Got(const StepWindows& w, int64_t ts) {
  size_t lo = 0, hi = 0;
  std::vector<size_t> out;
  if (!w.Covering(ts, &lo, &hi)) return out;
  for (size_t i = lo; i <= hi; ++i) out.push_back(i);
  return out;
}

TEST_CASE("step windows: a window holds its right edge and not its left edge") {
  StepWindows w({100, 110, 120}, 10, 0);
  CHECK(Got(w, 100) == std::vector<size_t>{0});
  CHECK(Got(w, 90) == std::vector<size_t>{});
  CHECK(Got(w, 91) == std::vector<size_t>{0});
  CHECK(Got(w, 101) == std::vector<size_t>{1});
  CHECK(Got(w, 121) == std::vector<size_t>{});
}

TEST_CASE("step windows: overlapping windows (range > step) give a run of steps") {
  StepWindows w({100, 110, 120, 130}, 25, 0);
  CHECK(Got(w, 100) == std::vector<size_t>{0, 1, 2});
  CHECK(Got(w, 121) == std::vector<size_t>{3});
}

// Calls fn(steps, range, offset, windows) for every step set, range and
// offset the brute-force comparisons below sweep.
template <typename Fn>
void ForEachWindowCase(Fn fn) {
  const std::vector<std::vector<int64_t>> step_sets = {
      {1000, 1060, 1120, 1180, 1240}, {1000, 1001, 1050, 1300}, {500}, {-200, -100, 0, 100}};
  for (const auto& steps : step_sets) {
    for (int64_t range : {1, 7, 60, 61, 300}) {
      for (int64_t off : {0, 13, -40}) {
        StepWindows w(steps, range, off);
        fn(steps, range, off, w);
      }
    }
  }
}

TEST_CASE("step windows: arithmetic and binary-search lookups agree with brute force") {
  ForEachWindowCase([](const std::vector<int64_t>& steps, int64_t range, int64_t off, const StepWindows& w) {
    for (int64_t ts = steps.front() - 400; ts <= steps.back() + 400; ++ts) {
      INFO("ts=" << ts << " range=" << range << " off=" << off);
      REQUIRE(Got(w, ts) == Expected(steps, range, off, ts));
    }
  });
}

TEST_CASE("step cursor agrees with Covering in ascending, descending and jumping order") {
  ForEachWindowCase([](const std::vector<int64_t>& steps, int64_t range, int64_t off, const StepWindows& w) {
    std::vector<int64_t> order;
    for (int64_t ts = steps.front() - 400; ts <= steps.back() + 400; ++ts) order.push_back(ts);
    std::vector<int64_t> desc(order.rbegin(), order.rend());
    std::vector<int64_t> jumps;
    for (size_t i = 0; i < order.size(); ++i) jumps.push_back(order[(i * 7919) % order.size()]);
    for (const auto* seq : {&order, &desc, &jumps}) {
      StepCursor c(w);
      for (int64_t ts : *seq) {
        size_t lo = 0, hi = 0, clo = 0, chi = 0;
        const bool want = w.Covering(ts, &lo, &hi);
        INFO("ts=" << ts << " range=" << range << " off=" << off);
        REQUIRE(c.Covering(ts, &clo, &chi) == want);
        if (want) {
          REQUIRE(clo == lo);
          REQUIRE(chi == hi);
          // The span is every timestamp with the same run, and holds ts.
          int64_t span_lo = 0, span_hi = 0;
          REQUIRE(c.Covering(ts, &clo, &chi, &span_lo, &span_hi));
          REQUIRE(span_lo <= ts);
          REQUIRE(ts <= span_hi);
          for (int64_t edge : {span_lo, span_hi}) {
            REQUIRE(w.Covering(edge, &clo, &chi));
            REQUIRE((clo == lo && chi == hi));
          }
          for (int64_t out : {span_lo - 1, span_hi + 1}) {
            REQUIRE((!w.Covering(out, &clo, &chi) || clo != lo || chi != hi));
          }
        }
      }
    }
  });
}

TEST_CASE("step cursor near the int64 limits answers as Covering") {
  StepWindows w({0, 10}, 5, 0);
  StepCursor c(w);
  size_t lo = 0, hi = 0;
  CHECK(c.Covering(10, &lo, &hi));
  CHECK(lo == 1);
  CHECK_FALSE(c.Covering(INT64_MAX, &lo, &hi));
  CHECK_FALSE(c.Covering(INT64_MIN, &lo, &hi));
}

TEST_CASE("step windows: timestamps near the int64 limits do not overflow") {
  StepWindows w({0, 10}, 5, 0);
  size_t lo = 0, hi = 0;
  CHECK_FALSE(w.Covering(INT64_MAX, &lo, &hi));
  CHECK_FALSE(w.Covering(INT64_MIN, &lo, &hi));
}

TEST_CASE("step totals: difference arrays give per-step counts and bytes, and merge") {
  StepTotals a(4), b(4);
  a.Add(0, 1, 10);
  a.Add(1, 3, 5);
  b.Add(3, 3, 7);
  a.Merge(b);
  std::vector<int64_t> counts, bytes;
  a.Totals(&counts, &bytes);
  CHECK(counts == std::vector<int64_t>{1, 2, 1, 2});
  CHECK(bytes == std::vector<int64_t>{10, 15, 5, 12});
}

TEST_CASE("step totals: adding n samples at once equals adding them one by one") {
  StepTotals one(5), many(5);
  for (int i = 0; i < 3; ++i) one.Add(1, 3, 4 + i);
  many.Add(1, 3, 3, 4 + 5 + 6);
  one.Add(0, 0, 2);
  many.Add(0, 0, 1, 2);
  std::vector<int64_t> c1, b1, c2, b2;
  one.Totals(&c1, &b1);
  many.Totals(&c2, &b2);
  CHECK(c1 == std::vector<int64_t>{1, 3, 3, 3, 0});
  CHECK(c1 == c2);
  CHECK(b1 == b2);
}

}  // namespace
}  // namespace skald::server::logql
