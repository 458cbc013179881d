#include "common/coding.h"

#include <doctest/doctest.h>

#include <limits>
#include <vector>

using namespace skald::common;

TEST_CASE("fixed32 and fixed64 round trip little-endian") {
  std::string s;
  PutFixed32(&s, 0x04030201u);
  PutFixed64(&s, 0x0807060504030201ull);
  REQUIRE(s.size() == 12);
  CHECK(s[0] == 1);
  CHECK(s[3] == 4);
  CHECK(s[4] == 1);
  CHECK(s[11] == 8);
  std::string_view in(s);
  uint32_t a = 0;
  uint64_t b = 0;
  REQUIRE(GetFixed32(&in, &a));
  REQUIRE(GetFixed64(&in, &b));
  CHECK(a == 0x04030201u);
  CHECK(b == 0x0807060504030201ull);
  CHECK(in.empty());
  CHECK_FALSE(GetFixed32(&in, &a));
}

TEST_CASE("varint64 round trips across powers of two") {
  std::vector<uint64_t> values = {0, 1, 127, 128, 255, 300, std::numeric_limits<uint64_t>::max()};
  for (int i = 0; i < 64; ++i) {
    values.push_back(uint64_t{1} << i);
    values.push_back((uint64_t{1} << i) - 1);
  }
  std::string s;
  for (uint64_t v : values) PutVarint64(&s, v);
  std::string_view in(s);
  for (uint64_t v : values) {
    uint64_t got = 0;
    REQUIRE(GetVarint64(&in, &got));
    CHECK(got == v);
  }
  CHECK(in.empty());
}

TEST_CASE("varint length matches encoding") {
  for (uint64_t v : {uint64_t{0}, uint64_t{127}, uint64_t{128}, uint64_t{1} << 35, ~uint64_t{0}}) {
    std::string s;
    PutVarint64(&s, v);
    CHECK(static_cast<int>(s.size()) == VarintLength(v));
  }
  std::string s;
  PutVarint64(&s, ~uint64_t{0});
  CHECK(s.size() == kMaxVarint64Bytes);
}

TEST_CASE("truncated varint is rejected") {
  std::string s;
  PutVarint64(&s, uint64_t{1} << 40);
  std::string_view in(s.data(), s.size() - 1);
  uint64_t v = 0;
  CHECK_FALSE(GetVarint64(&in, &v));
}

TEST_CASE("overlong varint is rejected") {
  std::string s(11, '\x80');
  std::string_view in(s);
  uint64_t v = 0;
  CHECK_FALSE(GetVarint64(&in, &v));
}

TEST_CASE("varint32 rejects values above 32 bits") {
  std::string s;
  PutVarint64(&s, uint64_t{1} << 33);
  std::string_view in(s);
  uint32_t v = 0;
  CHECK_FALSE(GetVarint32(&in, &v));
  CHECK(in.size() == s.size());
}

TEST_CASE("zigzag signed varints round trip") {
  for (int64_t v : {int64_t{0}, int64_t{-1}, int64_t{1}, int64_t{-64}, int64_t{64},
                    std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max()}) {
    std::string s;
    PutVarsint64(&s, v);
    std::string_view in(s);
    int64_t got = 0;
    REQUIRE(GetVarsint64(&in, &got));
    CHECK(got == v);
  }
  std::string small;
  PutVarsint64(&small, -1);
  CHECK(small.size() == 1);
}

TEST_CASE("length-prefixed strings round trip and reject short input") {
  std::string s;
  PutLengthPrefixed(&s, "hello");
  PutLengthPrefixed(&s, "");
  std::string_view in(s), a, b;
  REQUIRE(GetLengthPrefixed(&in, &a));
  REQUIRE(GetLengthPrefixed(&in, &b));
  CHECK(a == "hello");
  CHECK(b.empty());
  std::string bad;
  PutVarint64(&bad, 10);
  bad += "abc";
  std::string_view bin(bad), out;
  CHECK_FALSE(GetLengthPrefixed(&bin, &out));
}
