#include <doctest/doctest.h>

#include <limits>
#include <string>

#include "common/push_codec.h"

using namespace skald::common;  // NOLINT: test brevity

namespace {

Status JsonStatus(std::string_view body) { return DecodePushJson(body).status(); }

}  // namespace

TEST_CASE("push JSON decodes the documented example") {
  auto got = DecodePushJson(R"({"streams":[
    {"stream":{"job":"api","env":"prod"},
     "values":[
       ["1700000000000000000","plain line"],
       ["1700000000000000001","line with metadata",{"trace_id":"abc123","user_id":"u1"}]
     ]}]})");
  REQUIRE(got.ok());
  REQUIRE(got->streams.size() == 1);
  const PushStream& s = got->streams[0];
  CHECK(s.labels == R"({env="prod", job="api"})");
  REQUIRE(s.entries.size() == 2);
  CHECK(s.entries[0] == Entry{1700000000000000000, "plain line", {}});
  CHECK(s.entries[1] == Entry{1700000000000000001,
                              "line with metadata",
                              {{"trace_id", "abc123"}, {"user_id", "u1"}}});
}

TEST_CASE("push JSON round-trips metadata, unicode, escapes and empty lines") {
  PushRequest req;
  req.streams.push_back(
      PushStream{R"({env="prod", job="a\"b"})",
                 {Entry{1, "", {}},
                  Entry{-5, "héllo ✓ <tag> & \"q\" \\ \n\t\x01", {{"k", "v\"x"}, {"a", "ü"}}},
                  Entry{std::numeric_limits<int64_t>::max(), "max", {}}}});
  req.streams.push_back(PushStream{R"({job="other"})", {Entry{2, "x", {}}}});
  auto got = DecodePushJson(EncodePushJson(req));
  REQUIRE(got.ok());
  REQUIRE(got->streams.size() == 2);
  for (size_t i = 0; i < 2; ++i) {
    CHECK(got->streams[i].labels == req.streams[i].labels);
    CHECK(got->streams[i].entries == req.streams[i].entries);
  }
}

TEST_CASE("push JSON builds a sorted, Go-quoted label string; the last duplicate wins") {
  auto got =
      DecodePushJson(R"({"streams":[{"stream":{"z":"1","a":"x\"y\n","z":"2"},"values":[]}]})");
  REQUIRE(got.ok());
  CHECK(got->streams[0].labels == R"({a="x\"y\n", z="2"})");
}

TEST_CASE("push JSON decodes escape sequences in structured metadata") {
  auto got = DecodePushJson(
      R"({"streams":[{"stream":{"a":"1"},"values":[["1","l",{"k":"a\u00e9\"b\\"}]]}]})");
  REQUIRE(got.ok());
  CHECK(got->streams[0].entries[0].metadata == std::vector<Label>{{"k", "a\xc3\xa9\"b\\"}});
}

TEST_CASE("push JSON skips null values, null elements and unknown keys") {
  auto got = DecodePushJson(R"({"extra":{"x":[1,2]},"streams":[null,
      {"stream":{"a":"1"},"values":null},
      {"stream":{"a":"2"},"values":[null,["5","kept"],null],"other":true}]})");
  REQUIRE(got.ok());
  REQUIRE(got->streams.size() == 2);
  CHECK(got->streams[0].entries.empty());
  REQUIRE(got->streams[1].entries.size() == 1);
  CHECK(got->streams[1].entries[0].line == "kept");
}

TEST_CASE("push JSON accepts stream before or after values") {
  auto got = DecodePushJson(R"({"streams":[{"values":[["7","l"]],"stream":{"b":"2"}}]})");
  REQUIRE(got.ok());
  CHECK(got->streams[0].labels == R"({b="2"})");
  CHECK(got->streams[0].entries[0].timestamp_ns == 7);
}

TEST_CASE("push JSON rejects a number timestamp") {
  Status s =
      JsonStatus(R"({"streams":[{"stream":{"a":"1"},"values":[[1700000000000000000,"l"]]}]})");
  CHECK(s.code() == StatusCode::kInvalidArgument);
  CHECK(s.message().find("timestamp must be a JSON string") != std::string::npos);
  CHECK(s.message().find("streams[0].values[0]") != std::string::npos);
}

TEST_CASE("push JSON rejects an RFC3339 or otherwise non-integer timestamp string") {
  for (const char* ts : {"2024-01-01T00:00:00Z", "", "+5", "1.5", "99999999999999999999", "12a"}) {
    std::string body =
        std::string(R"({"streams":[{"stream":{"a":"1"},"values":[[")") + ts + R"(","l"]]}]})";
    Status s = JsonStatus(body);
    CHECK_MESSAGE(s.code() == StatusCode::kInvalidArgument, ts);
    CHECK(s.message().find("int64 of Unix nanoseconds") != std::string::npos);
  }
}

TEST_CASE("push JSON rejects values with 4 or more elements") {
  Status s = JsonStatus(R"({"streams":[{"stream":{"a":"1"},"values":[["1","l",{},"extra"]]}]})");
  CHECK(s.code() == StatusCode::kInvalidArgument);
  CHECK(s.message().find("2 or 3 elements") != std::string::npos);
}

TEST_CASE("push JSON rejects wrongly typed parts") {
  for (const char* body : {
           R"({"streams":[{"stream":{"a":"1"},"values":[["1",5]]}]})",            // line number
           R"({"streams":[{"stream":{"a":"1"},"values":[["1","l","md"]]}]})",     // md string
           R"({"streams":[{"stream":{"a":"1"},"values":[["1","l",{"k":1}]]}]})",  // md value number
           R"({"streams":[{"stream":{"a":1},"values":[]}]})",                     // label number
           R"({"streams":[{"stream":"x","values":[]}]})",                         // stream string
           R"({"streams":[{"stream":{},"values":{}}]})",                          // values object
           R"({"streams":[{"stream":{},"values":["1"]}]})",                       // value string
           R"({"streams":{}})",                                                   // streams object
           R"({"streams":[5]})",                                                  // stream number
           R"([])",                                                               // root array
       }) {
    CHECK_MESSAGE(JsonStatus(body).code() == StatusCode::kInvalidArgument, body);
  }
}

TEST_CASE("push JSON rejects invalid JSON") {
  for (const char* body :
       {"", "{", "not json", R"({"streams":[{"stream":{"a":"1"},"values":[["1","l"]]})",
        R"({"streams":[{"stream":{"a":"1"},"values":[["1","l]]}]})",
        "{\"streams\":[{\"stream\":{\"a\":\"\xff\"}}]}"}) {
    CHECK_MESSAGE(JsonStatus(body).code() == StatusCode::kInvalidArgument, body);
  }
}

TEST_CASE("push JSON decodes an empty stream list") {
  auto got = DecodePushJson(R"({"streams":[]})");
  REQUIRE(got.ok());
  CHECK(got->streams.empty());
  auto none = DecodePushJson("{}");
  REQUIRE(none.ok());
  CHECK(none->streams.empty());
}

// ---- legacy ----

TEST_CASE("legacy push JSON decodes labels, RFC3339Nano ts and lines") {
  auto got = DecodeLegacyPushJson(
      R"({"streams":[{"labels":"{foo=\"bar\"}","entries":[{"ts":"2018-12-18T08:28:06.801064-04:00","line":"fizzbuzz"}]}]})");
  REQUIRE(got.ok());
  REQUIRE(got->streams.size() == 1);
  CHECK(got->streams[0].labels == R"({foo="bar"})");
  REQUIRE(got->streams[0].entries.size() == 1);
  CHECK(got->streams[0].entries[0].line == "fizzbuzz");
  CHECK(got->streams[0].entries[0].timestamp_ns == 1545136086801064000);
}

TEST_CASE("legacy push JSON matches keys case-insensitively and reads metadata") {
  auto got = DecodeLegacyPushJson(
      R"({"Streams":[{"Labels":"{a=\"1\"}","Entries":[{"TS":"1970-01-01T00:00:01Z","Line":"l",)"
      R"("structuredMetadata":[{"name":"k","value":"v"}]}]}]})");
  REQUIRE(got.ok());
  const Entry& e = got->streams[0].entries[0];
  CHECK(e.timestamp_ns == 1'000'000'000);
  CHECK(e.metadata == std::vector<Label>{{"k", "v"}});
}

TEST_CASE("legacy push JSON rejects a nanosecond string or number ts") {
  for (
      const char* body :
      {R"({"streams":[{"labels":"{a=\"1\"}","entries":[{"ts":"1700000000000000000","line":"l"}]}]})",
       R"({"streams":[{"labels":"{a=\"1\"}","entries":[{"ts":17,"line":"l"}]}]})",
       R"({"streams":[{"labels":5,"entries":[]}]})"}) {
    auto got = DecodeLegacyPushJson(body);
    CHECK_MESSAGE(got.status().code() == StatusCode::kInvalidArgument, body);
  }
}
