#include <doctest/doctest.h>

#include "stage_test_util.h"

using namespace skald::agent::pipeline;
using namespace skald::agent::pipeline::testing;

TEST_CASE("cri stage decodes a full line") {
  auto s = Make(NewCriStage, "{}");
  REQUIRE(s.ok());
  auto out = Run(s->get(), {"2019-01-01T01:00:00.000000001Z stderr F my message"});
  REQUIRE(out.size() == 1);
  CHECK(out[0].line == "my message");
  CHECK(out[0].labels["stream"] == "stderr");
  CHECK(out[0].timestamp_ns == 1546304400000000001);
}

TEST_CASE("cri stage joins P lines until F") {
  auto s = Make(NewCriStage, "{}");
  auto out = Run(s->get(), {"2016-10-06T00:17:09.669794202Z stdout P log content 1",
                            "2016-10-06T00:17:09.669794203Z stdout P  and 2",
                            "2016-10-06T00:17:09.669794204Z stdout F  end"});
  REQUIRE(out.size() == 1);
  CHECK(out[0].line == "log content 1 and 2 end");
  CHECK(out[0].timestamp_ns == 1475713029669794202);
  CHECK(out[0].start_offset == 0);
}

TEST_CASE("cri stage truncates a joined line at max_partial_line_size") {
  auto s = Make(NewCriStage, "{max_partial_line_size: 5, max_partial_line_size_truncate: true}");
  REQUIRE(s.ok());
  auto out = Run(s->get(), {"2016-10-06T00:17:09Z stdout P abc", "2016-10-06T00:17:09Z stdout P def",
                            "2016-10-06T00:17:09Z stdout F ghi"});
  REQUIRE(out.size() == 1);
  CHECK(out[0].line == "abcde");
}

TEST_CASE("cri stage emits a trailing P line on force flush") {
  auto s = Make(NewCriStage, "{}");
  auto out = Run(s->get(), {"2016-10-06T00:17:09Z stdout P dangling"});
  CHECK(out.empty());
  (*s)->Flush(0, true, &out);
  REQUIRE(out.size() == 1);
  CHECK(out[0].line == "dangling");
}

TEST_CASE("cri stage passes malformed lines through") {
  auto s = Make(NewCriStage, "{}");
  auto out = Run(s->get(), {"not a cri line", "2016-10-06T00:17:09Z stdweird F x"});
  REQUIRE(out.size() == 2);
  CHECK(out[0].line == "not a cri line");
  CHECK(out[1].labels.empty());
}

TEST_CASE("cri stage rejects unknown options") {
  auto s = Make(NewCriStage, "{max_partial_linez: 3}");
  REQUIRE_FALSE(s.ok());
  CHECK(s.status().message().find("max_partial_linez") != std::string::npos);
}

TEST_CASE("cri stage as the last stage skips extracted but decodes the same") {
  auto s = Make(NewCriStage, "{}");
  auto kept = Run(s->get(), {"2019-01-01T01:00:00.000000001Z stderr F my message"});
  REQUIRE(kept.size() == 1);
  CHECK(kept[0].extracted["content"] == "my message");
  CHECK(kept[0].extracted["flags"] == "F");
  (*s)->SetIsLast(true);
  auto out = Run(s->get(), {"2019-01-01T01:00:00.000000001Z stderr F my message"});
  REQUIRE(out.size() == 1);
  CHECK(out[0].extracted.empty());
  CHECK(out[0].line == "my message");
  CHECK(out[0].labels["stream"] == "stderr");
  CHECK(out[0].timestamp_ns == 1546304400000000001);
}
