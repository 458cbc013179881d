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

TEST_CASE("SkipVarints stops exactly where decoding n varints stops") {
  // Mixed lengths (1 to 10 bytes) so runs of stop bits straddle the 8-byte
  // words the skip reads, then a trailer that must be left in place.
  std::string s;
  uint64_t x = 0x9E3779B97F4A7C15ull;
  std::vector<uint64_t> values;
  for (int i = 0; i < 300; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    values.push_back(x >> (x % 64));
    PutVarint64(&s, values.back());
  }
  for (uint64_t n = 0; n <= values.size(); ++n) {
    for (size_t trailer : {size_t{0}, size_t{3}, size_t{9}}) {
      std::string buf = s + std::string(trailer, '\x05');
      std::string_view decoded(buf);
      for (uint64_t i = 0; i < n; ++i) {
        uint64_t v = 0;
        REQUIRE(GetVarint64(&decoded, &v));
      }
      std::string_view skipped(buf);
      CAPTURE(n);
      CAPTURE(trailer);
      REQUIRE(SkipVarints(&skipped, n));
      CHECK(skipped.data() == decoded.data());
      CHECK(skipped.size() == decoded.size());
    }
  }
}

TEST_CASE("SkipVarints fails on a run cut short") {
  std::string s;
  for (uint64_t v : {1u, 300u, 70000u}) PutVarint64(&s, v);
  std::string_view in(s);
  CHECK_FALSE(SkipVarints(&in, 4));
  std::string_view cut(s.data(), s.size() - 1);  // the last varint lacks its stop byte
  CHECK_FALSE(SkipVarints(&cut, 3));
  std::string_view two(s.data(), s.size() - 1);
  CHECK(SkipVarints(&two, 2));
  CHECK(two.size() == 2);  // the cut third varint's first two bytes remain
}

TEST_CASE("DecodeVarint64 decodes every length, with 8 bytes readable and near the end of input") {
  std::vector<uint64_t> values = {0, 1, 127, 128, 16383, 16384, std::numeric_limits<uint64_t>::max()};
  for (int i = 0; i < 64; ++i) {
    values.push_back(uint64_t{1} << i);
    values.push_back((uint64_t{1} << i) - 1);
    values.push_back((uint64_t{1} << i) | 0x5555);
  }
  for (uint64_t v : values) {
    std::string s;
    PutVarint64(&s, v);
    for (size_t pad : {size_t{0}, size_t{1}, size_t{7}, size_t{12}}) {
      std::string buf = s + std::string(pad, '\xff');  // continuation bytes after it
      uint64_t got = 0;
      const char* p = DecodeVarint64(buf.data(), buf.data() + buf.size(), &got);
      CAPTURE(v);
      CAPTURE(pad);
      REQUIRE(p != nullptr);
      CHECK(got == v);
      CHECK(p == buf.data() + s.size());
    }
  }
  // Truncated (no stop byte within the input) and over-long encodings fail.
  const std::string cont(12, '\x80');
  uint64_t v = 0;
  for (size_t n = 0; n <= cont.size(); ++n) {
    CHECK(DecodeVarint64(cont.data(), cont.data() + n, &v) == nullptr);
  }
}
