#include "server/iter/sample_iterator.h"

#include <doctest/doctest.h>

using namespace skald::server::iter;

TEST_CASE("sample merge orders by timestamp and drops duplicates") {
  std::vector<std::unique_ptr<SampleIterator>> v;
  v.push_back(NewVectorSampleIterator("{a=\"1\"}", {{1, 1.0, 11}, {3, 1.0, 33}}));
  v.push_back(NewVectorSampleIterator("{a=\"1\"}", {{2, 2.0, 22}, {3, 1.0, 33}, {3, 5.0, 34}}));
  auto m = NewMergeSampleIterator(std::move(v));
  std::vector<int64_t> ts;
  std::vector<double> vals;
  while (m->Next()) {
    ts.push_back(m->At().timestamp_ns);
    vals.push_back(m->At().value);
  }
  CHECK(m->status().ok());
  CHECK(ts == std::vector<int64_t>{1, 2, 3, 3});
  CHECK(vals == std::vector<double>{1.0, 2.0, 1.0, 5.0});
}

TEST_CASE("sample merge keeps equal samples of different series") {
  std::vector<std::unique_ptr<SampleIterator>> v;
  v.push_back(NewVectorSampleIterator("{a=\"2\"}", {{1, 1.0, 7}}));
  v.push_back(NewVectorSampleIterator("{a=\"1\"}", {{1, 1.0, 7}}));
  auto m = NewMergeSampleIterator(std::move(v));
  REQUIRE(m->Next());
  CHECK(m->Labels() == "{a=\"1\"}");
  REQUIRE(m->Next());
  CHECK(m->Labels() == "{a=\"2\"}");
  CHECK_FALSE(m->Next());
}
