#include "common/logql/go_format.h"

#include <doctest/doctest.h>

#include <cmath>

namespace skald::common::logql {
namespace {

TEST_CASE("FormatGoFloatV matches Go's %v") {
  CHECK(FormatGoFloatV(1) == "1");
  CHECK(FormatGoFloatV(-1.5) == "-1.5");
  CHECK(FormatGoFloatV(0.0001) == "0.0001");
  CHECK(FormatGoFloatV(0.00001) == "1e-05");
  CHECK(FormatGoFloatV(123456) == "123456");
  CHECK(FormatGoFloatV(1234567) == "1.234567e+06");
  CHECK(FormatGoFloatV(1e21) == "1e+21");
  CHECK(FormatGoFloatV(1e100) == "1e+100");
  CHECK(FormatGoFloatV(NAN) == "NaN");
  CHECK(FormatGoFloatV(-INFINITY) == "-Inf");
}

TEST_CASE("ParseGoFloat accepts Go syntax and reports strconv errors") {
  CHECK(*ParseGoFloat("1e3") == 1000);
  CHECK(*ParseGoFloat(".5") == 0.5);
  CHECK(*ParseGoFloat("0x1p4") == 16);
  CHECK(ParseGoFloat("0x10").status().message() ==
        "strconv.ParseFloat: parsing \"0x10\": invalid syntax");
  CHECK(ParseGoFloat("1e400").status().message() ==
        "strconv.ParseFloat: parsing \"1e400\": value out of range");
}

TEST_CASE("Prometheus model durations parse and print like Go's model.Duration") {
  CHECK(*ParsePromModelDuration("1h30m") == 5'400'000'000'000);
  CHECK(ParsePromModelDuration("30m1h").status().message() ==
        "not a valid duration string: \"30m1h\"");
  CHECK(ParsePromModelDuration("5x").status().message() == "unknown unit \"x\" in duration \"5x\"");
  CHECK(ParsePromModelDuration("").status().message() == "empty duration string");
  CHECK(FormatPromModelDuration(90LL * 24 * 3600 * 1'000'000'000) == "90d");
  CHECK(FormatPromModelDuration(14LL * 24 * 3600 * 1'000'000'000) == "2w");
  CHECK(FormatPromModelDuration(1'500'000'000) == "1s500ms");
  CHECK(FormatPromModelDuration(0) == "0s");
}

TEST_CASE("LogQL durations fall back to Go units") {
  CHECK(*ParseLogqlDuration("250us") == 250'000);
  CHECK(*ParseLogqlDuration("1.5h") == 5'400'000'000'000);
  CHECK(*ParseLogqlDuration("-5m") == -300'000'000'000);
  CHECK_FALSE(ParseLogqlDuration("5minutes").ok());
}

TEST_CASE("humanize bytes parse both unit systems and print SI with one decimal") {
  CHECK(*ParseHumanizeBytes("2.5KiB") == 2560);
  CHECK(*ParseHumanizeBytes("1MB") == 1'000'000);
  CHECK(*ParseHumanizeBytes("10k") == 10'000);
  CHECK_FALSE(ParseHumanizeBytes("5XB").ok());
  CHECK(FormatHumanizeBytes(9) == "9B");
  CHECK(FormatHumanizeBytes(2560) == "2.6kB");
  CHECK(FormatHumanizeBytes(1'000'000) == "1.0MB");
  CHECK(FormatHumanizeBytes(15'000) == "15kB");
}

}  // namespace
}  // namespace skald::common::logql
