#include "server/logql/log/formatters.h"

#include <doctest/doctest.h>

#include "server/logql/log/json_parser.h"
#include "tests/server/logql/log/test_util.h"

namespace skald::server::logql::log {
namespace {

using testing::Must;
using testing::Run;

TEST_CASE("line_format replaces the line with the rendered template") {
  std::string out;
  Run({Must(LineFormatter::Create("{{.status}} {{.msg}}"))}, R"({status="200", msg="ok"})", "orig", &out);
  CHECK(out == "200 ok");
}

TEST_CASE("line_format renders missing labels as empty") {
  std::string out;
  Run({Must(LineFormatter::Create("[{{.nope}}]"))}, R"({a="1"})", "orig", &out);
  CHECK(out == "[]");
}

TEST_CASE("line_format sees the current line and timestamp") {
  std::string out;
  Run({Must(LineFormatter::Create(R"({{ __timestamp__ | date "2006-01-02" }} bar {{ .bar }} {{__line__}})"))},
      R"({bar="2"})", "L", &out, 1656331200000000000);
  CHECK(out == "2022-06-27 bar 2 L");
}

TEST_CASE("line_format exec error keeps the line and sets TemplateFormatErr") {
  std::string out;
  std::string lbls = Run({Must(LineFormatter::Create("{{ .a.b }}"))}, R"({a="1"})", "orig", &out);
  CHECK(out == "orig");
  CHECK(lbls.find(R"(__error__="TemplateFormatErr")") != std::string::npos);
}

TEST_CASE("line_format rejects an unknown function at creation") {
  CHECK_FALSE(LineFormatter::Create("{{ nosuch .a }}").ok());
}

TEST_CASE("label_format rename moves the value and deletes the source") {
  CHECK(Run({Must(LabelsFormatter::Create({{"dst", "src", true}}))}, R"({src="v", x="1"})", "l") ==
        R"({dst="v", x="1"})");
  CHECK(Run({Must(LabelsFormatter::Create({{"dst", "missing", true}}))}, R"({x="1"})", "l") == R"({x="1"})");
}

TEST_CASE("label_format rename of a stream label keeps the stream category") {
  Pipeline p({Must(LabelsFormatter::Create({{"dst", "src", true}}))});
  auto r = p.ForStream(testing::L(R"({src="v", x="1"})")).Process(0, "l");
  REQUIRE(r.keep);
  CHECK(r.labels->stream.ToString() == R"({dst="v", x="1"})");
  CHECK(r.labels->parsed.empty());
}

TEST_CASE("label_format templates read a snapshot and not each other's results") {
  CHECK(Run({Must(LabelsFormatter::Create({{"a", "{{.b}}", false}, {"c", "{{.a}}", false}}))},
            R"({a="A", b="B"})", "l") == R"({a="B", b="B", c="A"})");
}

TEST_CASE("label_format rejects repeated targets and __error__") {
  auto r = LabelsFormatter::Create({{"a", "x", true}, {"a", "{{.b}}", false}});
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().message() == "multiple label name 'a' not allowed in a single format operation");
  CHECK_FALSE(LabelsFormatter::Create({{"__error__", "x", false}}).ok());
}

TEST_CASE("json then line_format composes over parsed labels") {
  std::string out;
  Run({std::make_shared<JsonParser>(), Must(LineFormatter::Create("{{.level}}: {{.msg | ToUpper}}"))},
      R"({job="x"})", R"({"level":"info","msg":"hi"})", &out);
  CHECK(out == "info: HI");
}

}  // namespace
}  // namespace skald::server::logql::log
