#include "common/thread_pool.h"

#include <doctest/doctest.h>

#include <atomic>
#include <vector>

TEST_CASE("ParallelFor runs every index exactly once") {
  skald::common::ThreadPool pool(3);
  std::vector<std::atomic<int>> hits(1000);
  pool.ParallelFor(hits.size(), [&](size_t i) { hits[i].fetch_add(1); });
  for (auto& h : hits) CHECK(h.load() == 1);
}

TEST_CASE("ParallelFor nested inside a pool task does not deadlock") {
  skald::common::ThreadPool pool(1);
  std::atomic<int> sum{0};
  pool.ParallelFor(4, [&](size_t) {
    pool.ParallelFor(3, [&](size_t j) { sum.fetch_add(static_cast<int>(j)); });
  });
  CHECK(sum.load() == 12);
}
