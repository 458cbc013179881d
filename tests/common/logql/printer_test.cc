// FormatQuery against Loki's own prettier tests (which use a width of 20).
#include <doctest/doctest.h>

#include "common/logql/parser.h"
#include "common/logql/printer.h"

namespace skald::common::logql {
namespace {

std::string Pretty20(std::string_view q) {
  auto r = ParseExpr(q);
  REQUIRE_MESSAGE(r.ok(), r.status().message());
  return FormatQuery(**r, 20);
}

TEST_CASE("a bare selector is never split") {
  CHECK(Pretty20(R"({job="loki", instance="localhost"})") == R"({job="loki", instance="localhost"})");
}

TEST_CASE("a long pipeline puts each stage on its own line") {
  CHECK(Pretty20(R"({job="loki", instance="localhost"}|logfmt|level="error" )") ==
        "{job=\"loki\", instance=\"localhost\"}\n  | logfmt\n  | level=\"error\"");
}

TEST_CASE("a long range aggregation indents its log range") {
  CHECK(Pretty20(R"(count_over_time({job="loki", instance="localhost"}|logfmt[1m]))") ==
        "count_over_time(\n  {job=\"loki\", instance=\"localhost\"}\n    | logfmt [1m]\n)");
}

TEST_CASE("a long line filter chain puts each filter on its own line") {
  CHECK(Pretty20(R"(count_over_time({job="loki", instance="localhost"}|= "error" != "memcached" |= ip("192.168.0.1") |logfmt[1m]))") ==
        "count_over_time(\n  {job=\"loki\", instance=\"localhost\"}\n    |= \"error\"\n"
        "    != \"memcached\"\n    |= ip(\"192.168.0.1\")\n    | logfmt [1m]\n)");
}

TEST_CASE("short expressions print as ToString") {
  auto r = ParseExpr(R"(sum by (a) (rate({x="y"}[5m] offset 1h)))");
  REQUIRE(r.ok());
  CHECK(FormatQuery(**r) == R"(sum by (a)(rate({x="y"}[5m] offset 1h0m0s)))");
}

TEST_CASE("a long binary expression puts the operator on its own line") {
  CHECK(Pretty20(R"(sum(rate({a="b"}[1m])) / on (x, y) group_left (z) sum(rate({a="c"}[1m])))") ==
        "  sum(\n    rate({a=\"b\"}[1m])\n  )\n/ on (x, y) group_left (z)\n  sum(\n"
        "    rate({a=\"c\"}[1m])\n  )");
}

}  // namespace
}  // namespace skald::common::logql
