#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "common/template_convert.h"
#include "server/logql/log/unwrap.h"

namespace skald::server::logql::log {
namespace {

TEST_CASE("plain decimals convert exactly as ParseGoFloat") {
  std::mt19937_64 rng(5);
  for (int i = 0; i < 20000; ++i) {
    std::string s;
    if (rng() % 2) s.push_back('-');
    const int int_digits = 1 + static_cast<int>(rng() % 20);
    for (int d = 0; d < int_digits; ++d) s.push_back(static_cast<char>('0' + rng() % 10));
    if (rng() % 3) {
      s.push_back('.');
      const int frac_digits = 1 + static_cast<int>(rng() % 25);
      for (int d = 0; d < frac_digits; ++d) s.push_back(static_cast<char>('0' + rng() % 10));
    }
    CAPTURE(s);
    auto fast = ParsePlainDecimal(s);
    auto full = common::ParseGoFloat(s);
    REQUIRE(fast.has_value());
    REQUIRE(full.ok());
    // Bit-identical (so -0 stays -0).
    CHECK(std::memcmp(&*fast, &full.value(), sizeof(double)) == 0);
  }
}

TEST_CASE("short plain decimals (the exact-division path) convert exactly as ParseGoFloat") {
  std::mt19937_64 rng(7);
  std::vector<std::string> cases = {"0", "-0", "0.0", "-0.000", "27.49", "0.1", "0.3", "999999999999999",
                                    "99999999999999.9", "0.000000000000001", "1234567890.12345",
                                    "9007199254740993", "0.1000000000000001"};
  for (int i = 0; i < 40000; ++i) {
    std::string s;
    if (rng() % 2) s.push_back('-');
    const int int_digits = 1 + static_cast<int>(rng() % 8);
    for (int d = 0; d < int_digits; ++d) s.push_back(static_cast<char>('0' + rng() % 10));
    if (rng() % 4) {
      s.push_back('.');
      const int frac_digits = 1 + static_cast<int>(rng() % 9);
      for (int d = 0; d < frac_digits; ++d) s.push_back(static_cast<char>('0' + rng() % 10));
    }
    cases.push_back(std::move(s));
  }
  for (const std::string& s : cases) {
    CAPTURE(s);
    auto fast = ParsePlainDecimal(s);
    auto full = common::ParseGoFloat(s);
    REQUIRE(fast.has_value());
    REQUIRE(full.ok());
    CHECK(std::memcmp(&*fast, &full.value(), sizeof(double)) == 0);
  }
}

TEST_CASE("other float forms are left to the full parser") {
  for (const char* s : {"", "-", ".5", "5.", "+1", "1e3", "1E-2", "0x1p4", "inf", "NaN", "1_000", " 1", "1 ",
                        "--1", "1.2.3", "12a"}) {
    CAPTURE(s);
    CHECK_FALSE(ParsePlainDecimal(s).has_value());
  }
}

TEST_CASE("a plain decimal out of double range is left to the full parser, which rejects it") {
  const std::string huge = "1" + std::string(400, '0');
  CHECK_FALSE(ParsePlainDecimal(huge).has_value());
  CHECK_FALSE(common::ParseGoFloat(huge).ok());
}

}  // namespace
}  // namespace skald::server::logql::log
