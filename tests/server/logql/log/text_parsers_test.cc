#include <doctest/doctest.h>

#include "server/logql/log/logfmt_parser.h"
#include "server/logql/log/regexp_parser.h"
#include "tests/server/logql/log/test_util.h"

namespace skald::server::logql::log {
namespace {

using testing::Must;
using testing::Run;

std::string Logfmt(const std::string& line, LogfmtOptions o = {}, std::vector<LogfmtParam> params = {},
                   const std::string& stream = R"({foo="bar"})") {
  return Run({Must(LogfmtParser::Create(o, std::move(params)))}, stream, line);
}

TEST_CASE("logfmt extracts pairs and unquotes values") {
  CHECK(Logfmt(R"(a=1 b="x \"y\"" c=z)") == R"({a="1", b="x \"y\"", c="z", foo="bar"})");
}

TEST_CASE("logfmt skips malformed pairs silently without strict") {
  CHECK(Logfmt(R"(foo="foo bar" =notkey bar=10ms)") == R"({bar="10ms", foo="bar", foo_extracted="foo bar"})");
}

TEST_CASE("logfmt strict stops at the first error and flags it") {
  CHECK(Logfmt(R"(foo="foo bar" =notkey bar=10ms)", {true, false}) ==
        R"({__error__="LogfmtParserErr", __error_details__="logfmt syntax error at pos 15 : unexpected '='", foo="bar", foo_extracted="foo bar"})");
}

TEST_CASE("logfmt drops keys without value unless keep-empty") {
  LabelsBuilder b(testing::L(R"({foo="bar"})"));
  auto p = LogfmtParser::Create({false, true});
  REQUIRE(p.ok());
  b.Reset();
  std::string_view line = "flag x=1 e=";
  p.value()->Process(0, line, b);
  CHECK(b.Get("flag") == std::optional<std::string_view>(""));
  CHECK(b.Get("e") == std::optional<std::string_view>(""));
  b.Reset();
  auto q = LogfmtParser::Create({});
  q.value()->Process(0, line, b);
  CHECK_FALSE(b.Get("flag").has_value());
  CHECK(b.Get("x") == std::optional<std::string_view>("1"));
}

TEST_CASE("logfmt keeps the first of duplicate keys") {
  CHECK(Logfmt("a=1 a=2") == R"({a="1", foo="bar"})");
}

TEST_CASE("logfmt sanitises keys") {
  CHECK(Logfmt("a.b=1 1x=2") == R"({_1x="2", a_b="1", foo="bar"})");
}

TEST_CASE("logfmt unterminated quote is an error in strict mode") {
  CHECK(Logfmt(R"(a="x)", {true, false}) ==
        R"({__error__="LogfmtParserErr", __error_details__="logfmt syntax error at pos 5 : unterminated quoted value", foo="bar"})");
}

TEST_CASE("logfmt params extract only the listed keys under their labels") {
  CHECK(Logfmt("host=h1 fwd=1.2.3.4 other=x", {}, {{"host", "host"}, {"fwd_ip", "fwd"}}) ==
        R"({foo="bar", fwd_ip="1.2.3.4", host="h1"})");
}

TEST_CASE("regexp extracts named groups of the first match") {
  CHECK(Run({Must(RegexpParser::Create(R"((?P<method>\w+) (?P<path>\S+))"))}, R"({job="x"})",
            "GET /api/v1 HTTP") == R"({job="x", method="GET", path="/api/v1"})");
}

TEST_CASE("regexp without a match extracts nothing") {
  CHECK(Run({Must(RegexpParser::Create(R"((?P<num>\d+))"))}, R"({job="x"})", "none") == R"({job="x"})");
}

TEST_CASE("regexp requires a named group") {
  auto r = RegexpParser::Create("(a)");
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().message() == "at least one named capture must be supplied");
  CHECK_FALSE(RegexpParser::Create("(?P<a>x)(?P<a>y)").ok());
}

TEST_CASE("pattern extracts captures and renames clashes") {
  CHECK(Run({Must(PatternParser::Create(R"(<_> msg="<method> <path> (<status>) <duration>")"))},
            R"({method="bar"})",
            R"(level=debug ts=2021-05-19T07:54:26.864644382Z caller=logging.go:66 traceID=7fbb92fd0eb9c65d msg="POST /loki/api/v1/push (204) 1.238734ms")") ==
        R"({duration="1.238734ms", method="bar", method_extracted="POST", path="/loki/api/v1/push", status="204"})");
}

TEST_CASE("pattern with a leading literal not at line start extracts nothing") {
  CHECK(Run({Must(PatternParser::Create("GET <path>"))}, R"({job="x"})", "x GET /a") == R"({job="x"})");
}

TEST_CASE("pattern capture takes the rest of the line when the next literal is missing") {
  CHECK(Run({Must(PatternParser::Create("<a> - <b> end"))}, R"({job="x"})", "1 - 2 3") ==
        R"({a="1", b="2 3", job="x"})");
}

TEST_CASE("pattern rejects invalid expressions") {
  CHECK(PatternParser::Create("<_> x").status().message() == "at least one capture is required");
  CHECK(PatternParser::Create("<a><b>").status().message() == "found consecutive capture: invalid expression");
  CHECK(PatternParser::Create("<a> <a>").status().message() ==
        "duplicate capture name (a): invalid expression");
}

}  // namespace
}  // namespace skald::server::logql::log
