#include <doctest/doctest.h>

#include "common/time.h"
#include "stage_test_util.h"

using namespace skald::agent::pipeline;
using namespace skald::agent::pipeline::testing;

TEST_CASE("docker stage decodes Docker's documented example") {
  auto s = Make(NewDockerStage, "{}");
  REQUIRE(s.ok());
  auto out = Run(s->get(), {R"({"log":"log message\n","stream":"stderr","time":"2019-04-30T02:12:41.8443515Z"})"});
  REQUIRE(out.size() == 1);
  CHECK(out[0].line == "log message");
  CHECK(out[0].labels["stream"] == "stderr");
  CHECK(out[0].timestamp_ns == 1556590361844351500);
}

TEST_CASE("docker stage rejoins lines split at 16 KiB") {
  auto s = Make(NewDockerStage, "{}");
  auto out = Run(s->get(), {R"({"log":"part one ","stream":"stdout","time":"2019-04-30T02:12:41Z"})",
                            R"({"log":"part two\n","stream":"stdout","time":"2019-04-30T02:12:42Z"})"});
  REQUIRE(out.size() == 1);
  CHECK(out[0].line == "part one part two");
  CHECK(out[0].timestamp_ns == 1556590361000000000);
}

TEST_CASE("docker stage keeps partials of stdout and stderr apart") {
  auto s = Make(NewDockerStage, "{}");
  auto out = Run(s->get(), {R"({"log":"a1","stream":"stdout","time":"2019-04-30T02:12:41Z"})",
                            R"({"log":"b\n","stream":"stderr","time":"2019-04-30T02:12:41Z"})",
                            R"({"log":"a2\n","stream":"stdout","time":"2019-04-30T02:12:41Z"})"});
  REQUIRE(out.size() == 2);
  CHECK(out[0].line == "b");
  CHECK(out[1].line == "a1a2");
}

TEST_CASE("docker stage reports the held partial's start offset") {
  auto s = Make(NewDockerStage, "{}");
  std::vector<PipelineEntry> out;
  (*s)->Process(EntryOf(R"({"log":"x","stream":"stdout","time":"2019-04-30T02:12:41Z"})", 100), &out);
  CHECK(out.empty());
  REQUIRE((*s)->PendingStart().has_value());
  CHECK(*(*s)->PendingStart() == 100);
  (*s)->Flush(0, true, &out);
  REQUIRE(out.size() == 1);
  CHECK(out[0].line == "x");
  CHECK_FALSE((*s)->PendingStart().has_value());
}

TEST_CASE("docker stage passes a non-JSON line through unchanged") {
  auto s = Make(NewDockerStage, "{}");
  auto out = Run(s->get(), {"plain text {"});
  REQUIRE(out.size() == 1);
  CHECK(out[0].line == "plain text {");
  CHECK(out[0].labels.empty());
}

TEST_CASE("docker stage rejects options") {
  CHECK_FALSE(Make(NewDockerStage, "{foo: 1}").ok());
}

TEST_CASE("docker stage fills extracted output, stream and timestamp for later stages") {
  auto s = Make(NewDockerStage, "{}");
  auto out = Run(s->get(), {R"({"log":"hello\n","stream":"stdout","time":"2019-04-30T02:12:41Z"})"});
  REQUIRE(out.size() == 1);
  CHECK(out[0].extracted["output"] == "hello");
  CHECK(out[0].extracted["stream"] == "stdout");
  CHECK(out[0].extracted["timestamp"] == "2019-04-30T02:12:41Z");
}

TEST_CASE("docker stage as the last stage skips extracted but decodes the same") {
  auto s = Make(NewDockerStage, "{}");
  (*s)->SetIsLast(true);
  auto out = Run(s->get(), {R"({"log":"hello\n","stream":"stderr","time":"2019-04-30T02:12:41Z"})"});
  REQUIRE(out.size() == 1);
  CHECK(out[0].extracted.empty());
  CHECK(out[0].line == "hello");
  CHECK(out[0].labels["stream"] == "stderr");
  CHECK(out[0].timestamp_ns == 1556590361000000000);
}

TEST_CASE("docker stage passes malformed or non-docker JSON through unchanged") {
  const char* cases[] = {
      R"({"log":"x\n","stream":"stdout"} trailing)",
      R"({"log":5,"stream":"stdout"})",
      R"({"stream":"stdout","time":"2019-04-30T02:12:41Z"})",
      R"({"log":"x\n","stream":)",
      R"(["log","x"])",
      R"({"log":"unterminated)",
      "",
  };
  for (const char* c : cases) {
    CAPTURE(c);
    auto s = Make(NewDockerStage, "{}");
    auto out = Run(s->get(), {c});
    REQUIRE(out.size() == 1);
    CHECK(out[0].line == c);
    CHECK(out[0].labels.empty());
  }
}

TEST_CASE("docker stage takes the first of duplicate keys, skips others, unescapes") {
  auto s = Make(NewDockerStage, "{}");
  auto out = Run(s->get(), {R"({"attrs":{"a":[1,2,{"b":null}]},"log":"q\"\u00e9\n","log":"second\n","stream":"stderr","time":"2019-04-30T02:12:41Z","x":1})"});
  REQUIRE(out.size() == 1);
  CHECK(out[0].line == "q\"\xc3\xa9");
  CHECK(out[0].labels["stream"] == "stderr");
}

TEST_CASE("docker stage ignores a stream or time that is not a string") {
  auto s = Make(NewDockerStage, "{}");
  auto out = Run(s->get(), {R"({"log":"x\n","stream":7,"time":null})"});
  REQUIRE(out.size() == 1);
  CHECK(out[0].line == "x");
  CHECK(out[0].labels.empty());
}

TEST_CASE("docker stage decodes a line with and without spare capacity alike") {
  const std::string json = R"({"log":"hello\n","stream":"stdout","time":"2019-04-30T02:12:41Z"})";
  for (size_t spare : {size_t{0}, size_t{64}}) {
    CAPTURE(spare);
    auto s = Make(NewDockerStage, "{}");
    PipelineEntry e;
    e.line.reserve(json.size() + spare);
    e.line.assign(json);
    std::vector<PipelineEntry> out;
    (*s)->Process(std::move(e), &out);
    REQUIRE(out.size() == 1);
    CHECK(out[0].line == "hello");
    CHECK(out[0].timestamp_ns == 1556590361000000000);
  }
}

TEST_CASE("docker stage times: remembered seconds give the same values as a full parse") {
  auto s = Make(NewDockerStage, "{}");
  const char* times[] = {"2019-04-30T02:12:41.8443515Z", "2019-04-30T02:12:41.9Z",
                         "2019-04-30T02:12:41.000000001Z", "2019-04-30T02:12:41Z",
                         "2019-04-30T02:12:41.5+01:00",    "2019-04-30T02:12:41.12x4Z",
                         "2019-04-30T02:12:42.25Z",        "1969-12-31T23:59:59.5Z"};
  for (const char* t : times) {
    CAPTURE(t);
    std::string line = std::string(R"({"log":"x\n","stream":"stdout","time":")") + t + "\"}";
    auto out = Run(s->get(), {line});
    REQUIRE(out.size() == 1);
    auto want = skald::common::ParseRFC3339(t);
    if (want.ok()) {
      CHECK(out[0].timestamp_ns == *want);
    } else {
      CHECK(out[0].timestamp_ns == EntryOf("", 0).timestamp_ns);  // left as the reader set it
    }
  }
}
