// Inputs that could exhaust the stack or take quadratic time are bounded.
#include <doctest/doctest.h>

#include "common/logql/parser.h"
#include "common/logql/printer.h"

namespace skald::common::logql {
namespace {

TEST_CASE("deep parenthesis nesting fails cleanly") {
  std::string q(5000, '(');
  q += "1";
  q += std::string(5000, ')');
  auto r = ParseExpr(q);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().message() == "parse error : query is nested too deeply (max 1000 levels)");
}

TEST_CASE("moderate nesting still parses") {
  std::string q(200, '(');
  q += "sum(rate({a=\"b\"}[1m]))";
  q += std::string(200, ')');
  CHECK(ParseExpr(q).ok());
}

TEST_CASE("a long label filter chain past the nesting cap fails cleanly") {
  std::string q = "{a=\"b\"} | x=\"1\"";
  for (int i = 0; i < 3000; ++i) q += ", x=\"1\"";
  CHECK_FALSE(ParseExpr(q).ok());
}

TEST_CASE("number runs without spaces lex in linear time") {
  std::string q = "{a=\"b\"} | x > ";
  while (q.size() < kMaxQueryBytes - 10) q += "1.";
  CHECK_FALSE(ParseExpr(q).ok());
  std::string dashes(kMaxQueryBytes - 1, '-');
  CHECK_FALSE(ParseExpr(dashes).ok());
}

TEST_CASE("a long line filter chain is formatted one filter per line after the first fits") {
  std::string q = "{a=\"b\"}";
  for (int i = 0; i < 2000; ++i) q += " |= \"abcdefgh\"";
  auto r = ParseExpr(q);
  REQUIRE(r.ok());
  std::string pretty = FormatQuery(**r);
  auto again = ParseExpr(pretty);
  REQUIRE(again.ok());
  CHECK(ToString(**again) == ToString(**r));
  // 100 characters hold 7 `|= "abcdefgh"` filters on the first line.
  CHECK(pretty.substr(0, pretty.find('\n', pretty.find('\n') + 1)) ==
        "{a=\"b\"}\n  |= \"abcdefgh\" |= \"abcdefgh\" |= \"abcdefgh\" |= \"abcdefgh\" |= "
        "\"abcdefgh\" |= \"abcdefgh\" |= \"abcdefgh\"");
}

TEST_CASE("a negative zero literal prints as 0 so it parses again") {
  auto r = ParseExpr("sum(rate({a=\"b\"}[1m])) + - 0");  // "-0" would lex as a duration
  REQUIRE(r.ok());
  CHECK(ToString(**r) == "(sum(rate({a=\"b\"}[1m])) + 0)");
}

}  // namespace
}  // namespace skald::common::logql
