#include "common/pattern.h"

#include <doctest/doctest.h>

namespace skald::common {
namespace {

std::vector<std::string_view> Match(const char* pat, std::string_view line, bool* ok = nullptr) {
  auto p = Pattern::Parse(pat);
  REQUIRE(p.ok());
  std::vector<std::string_view> out;
  bool r = p.value().Matches(line, &out);
  if (ok) *ok = r;
  return out;
}

TEST_CASE("pattern captures fields between literals") {
  auto m = Match(R"(<ip> - <_> [<ts>] "<method> <path> <_>")",
                 R"(1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET /a.gif HTTP/1.0" 200)");
  REQUIRE(m.size() == 4);
  CHECK(m[0] == "1.2.3.4");
  CHECK(m[1] == "10/Oct/2000:13:55:36 -0700");
  CHECK(m[2] == "GET");
  CHECK(m[3] == "/a.gif");
}

TEST_CASE("pattern trailing capture runs to the end of the line") {
  auto m = Match("<a> <b>", "x y z");
  REQUIRE(m.size() == 2);
  CHECK(m[1] == "y z");
}

TEST_CASE("pattern with a leading literal must match at line start") {
  bool ok = true;
  CHECK(Match("GET <p>", "xGET /a", &ok).empty());
  CHECK_FALSE(ok);
  CHECK(Match("GET <p>", "GET /a").at(0) == "/a");
}

TEST_CASE("pattern on an empty line matches nothing") {
  bool ok = true;
  CHECK(Match("<a>", "", &ok).empty());
  CHECK_FALSE(ok);
}

TEST_CASE("pattern capture takes the rest when the next literal is missing") {
  auto m = Match("<a> - <b> end", "1 - 2 3");
  REQUIRE(m.size() == 2);
  CHECK(m[1] == "2 3");
}

TEST_CASE("pattern treats non-identifier angle brackets as literal") {
  auto p = Pattern::Parse("<1> <a>");
  REQUIRE(p.ok());
  CHECK(p.value().names() == std::vector<std::string>{"a"});
  CHECK(p.value().nodes().front().text == "<1> ");
}

TEST_CASE("pattern validation messages match Loki") {
  CHECK(Pattern::Parse("foo").status().message() == "at least one capture is required");
  CHECK(Pattern::Parse("<a><b>").status().message() == "found consecutive capture: invalid expression");
  CHECK(Pattern::Parse("<a> <a>").status().message() == "duplicate capture name (a): invalid expression");
  CHECK(Pattern::ParseLineFilter("<a>").status().message() == "named captures are not allowed");
}

TEST_CASE("pattern line filter test requires non-empty wildcards") {
  auto p = Pattern::ParseLineFilter("<_> bar <_>");
  REQUIRE(p.ok());
  CHECK(p.value().Test("foo bar baz"));
  CHECK_FALSE(p.value().Test(" bar "));
  CHECK_FALSE(p.value().Test("foo bar"));
}

}  // namespace
}  // namespace skald::common
