#include "agent/client/line_recycler.h"

#include <doctest/doctest.h>

using namespace skald::agent::client;

namespace {
std::string WithCapacity(size_t cap, const std::string& text) {
  std::string s;
  s.reserve(cap);
  s = text;
  return s;
}
}  // namespace

TEST_CASE("line recycler keeps given buffers emptied and hands them out with their capacity") {
  LineRecycler r;
  std::vector<std::string> in;
  in.push_back(WithCapacity(400, "a line that was pushed"));
  const char* buf = in[0].data();
  r.Give(&in);
  CHECK(in.empty());
  REQUIRE(r.size() == 1);
  std::vector<std::string> out;
  r.Take(&out);
  CHECK(r.size() == 0);
  REQUIRE(out.size() == 1);
  CHECK(out[0].empty());
  CHECK(out[0].capacity() >= 400);
  CHECK(out[0].data() == buf);
}

TEST_CASE("line recycler frees small (SSO) and oversized buffers instead of keeping them") {
  LineRecycler r;
  std::vector<std::string> in;
  in.push_back("short");
  in.push_back(WithCapacity(kMaxRecycledLineCapacity + 1, "long"));
  r.Give(&in);
  CHECK(in.empty());
  CHECK(r.size() == 0);
}

TEST_CASE("line recycler keeps at most kMaxRecycledLines strings") {
  LineRecycler r;
  std::vector<std::string> in;
  for (size_t i = 0; i < kMaxRecycledLines + 10; ++i) in.push_back(WithCapacity(100, "x"));
  r.Give(&in);
  CHECK(r.size() == kMaxRecycledLines);
  in.push_back(WithCapacity(100, "y"));
  r.Give(&in);
  CHECK(r.size() == kMaxRecycledLines);
}

TEST_CASE("line recycler keeps at most kMaxRecycledBytes of capacity") {
  LineRecycler r;
  std::vector<std::string> in;
  const size_t cap = 4000;
  for (size_t i = 0; i < 2 * kMaxRecycledBytes / cap; ++i) in.push_back(WithCapacity(cap, "x"));
  r.Give(&in);
  std::vector<std::string> out;
  r.Take(&out);
  size_t bytes = 0;
  for (const std::string& s : out) bytes += s.capacity();
  CHECK(bytes >= kMaxRecycledBytes);
  CHECK(bytes < kMaxRecycledBytes + 2 * cap);  // stops at the first string over the bound
}

TEST_CASE("line recycler appends to a non-empty output") {
  LineRecycler r;
  std::vector<std::string> in;
  in.push_back(WithCapacity(100, "x"));
  r.Give(&in);
  std::vector<std::string> out;
  out.push_back(WithCapacity(100, "kept"));
  r.Take(&out);
  REQUIRE(out.size() == 2);
  CHECK(out[0] == "kept");
  CHECK(out[1].empty());
}
