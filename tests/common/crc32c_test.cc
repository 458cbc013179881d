#include "common/crc32c.h"

#include <doctest/doctest.h>

#include <string>

using namespace skald::common;

TEST_CASE("crc32c matches the RFC 3720 test vectors") {
  std::string zeros(32, '\0');
  CHECK(crc32c::Value(zeros) == 0x8a9136aau);
  std::string ones(32, '\xff');
  CHECK(crc32c::Value(ones) == 0x62a8ab43u);
  std::string inc(32, '\0');
  for (int i = 0; i < 32; ++i) inc[i] = static_cast<char>(i);
  CHECK(crc32c::Value(inc) == 0x46dd794eu);
  CHECK(crc32c::Value("123456789") == 0xe3069283u);
}

TEST_CASE("crc32c extend equals crc of the concatenation") {
  std::string a = "hello ", b = "world, this spans more than eight bytes";
  CHECK(crc32c::Extend(crc32c::Value(a), b.data(), b.size()) == crc32c::Value(a + b));
}

TEST_CASE("crc32c portable and dispatched paths agree") {
  std::string data;
  for (int i = 0; i < 1000; ++i) data.push_back(static_cast<char>(i * 31 + 7));
  for (size_t n : {size_t{0}, size_t{1}, size_t{7}, size_t{8}, size_t{9}, size_t{1000}}) {
    CHECK(crc32c::ExtendPortableForTest(0, data.data(), n) == crc32c::Value(data.data(), n));
  }
}

TEST_CASE("crc32c mask round trips and changes the value") {
  uint32_t crc = crc32c::Value("foo");
  CHECK(crc32c::Mask(crc) != crc);
  CHECK(crc32c::Mask(crc32c::Mask(crc)) != crc);
  CHECK(crc32c::Unmask(crc32c::Mask(crc)) == crc);
}
