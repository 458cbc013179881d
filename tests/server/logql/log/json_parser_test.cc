#include "server/logql/log/json_parser.h"

#include <doctest/doctest.h>

#include "tests/server/logql/log/test_util.h"

namespace skald::server::logql::log {
namespace {

using testing::Run;

std::string Json(const std::string& line, const std::string& stream = R"({job="x"})") {
  return Run({std::make_shared<JsonParser>()}, stream, line);
}

std::string JsonExpr(std::vector<JsonParam> params, const std::string& line) {
  auto p = JsonExpressionParser::Create(std::move(params));
  REQUIRE(p.ok());
  return Run({StagePtr(std::move(p.value()))}, R"({job="x"})", line);
}

TEST_CASE("json flattens nested objects with underscores") {
  CHECK(Json(R"({"app":"foo","namespace":"prod","pod":{"uid":"foo","deployment":{"ref":"foobar"}}})") ==
        R"({app="foo", job="x", namespace="prod", pod_deployment_ref="foobar", pod_uid="foo"})");
}

TEST_CASE("json keeps numbers as text and booleans as true/false") {
  CHECK(Json(R"({"counter":1, "price": {"_net_":5.56909}, "ok": true, "n": -1e3 })") ==
        R"({counter="1", job="x", n="-1e3", ok="true", price__net_="5.56909"})");
}

TEST_CASE("json skips arrays and nulls") {
  CHECK(Json(R"({"counter":1, "price": {"net_":["10","20"]}, "z": null})") == R"({counter="1", job="x"})");
}

TEST_CASE("json unescapes strings") {
  CHECK(Json(R"({"foo":"foo\"bar","u":"\u00f6"})") == R"({foo="foo\"bar", job="x", u="ö"})");
}

TEST_CASE("json sanitises keys") {
  CHECK(Json(R"({"cou-nter":1, "1a": "x", " sp ": "y", "é": "z"})") ==
        R"({_="z", _1a="x", cou_nter="1", job="x", sp="y"})");
}

TEST_CASE("json renames keys that clash with stream labels") {
  CHECK(Json(R"({"job":"y"})") == R"({job="x", job_extracted="y"})");
}

TEST_CASE("json on a non-object line sets JSONParserErr and keeps the line") {
  CHECK(Json("not json") ==
        R"({__error__="JSONParserErr", __error_details__="Value looks like object, but can't find closing '}' symbol", job="x"})");
}

TEST_CASE("json on a truncated object sets JSONParserErr") {
  std::string r = Json(R"({"a":"b")");
  CHECK(r.find(R"(__error__="JSONParserErr")") != std::string::npos);
}

TEST_CASE("json path expressions parse and reject bad forms") {
  CHECK(ParseJsonPath(R"(pod.deployment.params[0]["param"])").ok());
  CHECK(ParseJsonPath(R"(["field with space"])").ok());
  CHECK(ParseJsonPath("[0]").ok());
  CHECK_FALSE(ParseJsonPath("field with space").ok());
  CHECK_FALSE(ParseJsonPath(R"(["pod")").ok());
}

TEST_CASE("json params extract paths, raw objects and arrays, and empty when absent") {
  std::string line =
      R"({"app":"foo","pod":{"uid":"u1","params":[{"param":"p0"}]},"servers":["a","b"],"x y":7,"n":null})";
  CHECK(JsonExpr({{"app", "app"},
                  {"uid", "pod.uid"},
                  {"first", "servers[0]"},
                  {"servers", "servers"},
                  {"param", R"(pod.params[0]["param"])"},
                  {"xy", R"(["x y"])"},
                  {"missing", "nope.deeper"}},
                 line) ==
        R"({app="foo", first="a", job="x", param="p0", servers="[\"a\",\"b\"]", uid="u1", xy="7"})");
}

TEST_CASE("json param returning an object gives its JSON text") {
  CHECK(JsonExpr({{"pod", "pod"}}, R"({"pod":{"uid":"foo","deployment":{"ref":"foobar"}}})") ==
        R"({job="x", pod="{\"uid\":\"foo\",\"deployment\":{\"ref\":\"foobar\"}}"})");
}

TEST_CASE("json params on a non-JSON line set JSONParserErr") {
  CHECK(JsonExpr({{"a", "a"}}, "foo") == R"({__error__="JSONParserErr", job="x"})");
}

TEST_CASE("unpack sets string fields and replaces the line with _entry") {
  std::string out;
  CHECK(Run({std::make_shared<UnpackParser>()}, R"({job="x"})",
            R"({"bar":1,"app":"foo","namespace":"prod","_entry":"some message","pod":{"uid":"1"}})", &out) ==
        R"({app="foo", job="x", namespace="prod"})");
  CHECK(out == "some message");
}

TEST_CASE("unpack on a non-object line sets JSONParserErr") {
  CHECK(Run({std::make_shared<UnpackParser>()}, R"({job="x"})", "[1]") ==
        R"({__error__="JSONParserErr", __error_details__="expecting json object(6), but it is not", job="x"})");
}

TEST_CASE("json reuses its parser across lines of a stream") {
  Pipeline p({std::make_shared<JsonParser>()});
  auto& sp = p.ForStream(testing::L(R"({job="x"})"));
  CHECK(sp.Process(0, R"({"a":"1"})").labels->labels.ToString() == R"({a="1", job="x"})");
  CHECK(sp.Process(0, R"({"b":"2"})").labels->labels.ToString() == R"({b="2", job="x"})");
}

}  // namespace
}  // namespace skald::server::logql::log
