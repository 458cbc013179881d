#include "server/api/query_params.h"

#include <doctest/doctest.h>

#include "common/time.h"

using namespace skald::server::api;
using skald::common::http::Request;
using skald::common::kNanosPerSecond;

namespace {
Request With(std::vector<std::pair<std::string, std::string>> params) {
  Request r;
  r.params = std::move(params);
  return r;
}
constexpr int64_t kNow = 1767229200LL * kNanosPerSecond;
}  // namespace

TEST_CASE("range query defaults: end now, one hour back, limit 100, backward, step range/250") {
  auto p = ParseRangeQuery(With({{"query", "{a=\"b\"}"}}), kNow);
  REQUIRE(p.ok());
  CHECK(p->end_ns == kNow);
  CHECK(p->start_ns == kNow - 3600 * kNanosPerSecond);
  CHECK(p->limit == 100);
  CHECK(p->direction == Direction::kBackward);
  CHECK(p->step_ns == 14 * kNanosPerSecond);
}

TEST_CASE("since sets the start when start is absent") {
  auto p = ParseRangeQuery(With({{"end", "1767227400"}, {"since", "15m"}}), kNow);
  REQUIRE(p.ok());
  CHECK(p->start_ns == (1767227400LL - 900) * kNanosPerSecond);
}

TEST_CASE("bad query_range parameters give Loki's messages") {
  struct Case {
    std::vector<std::pair<std::string, std::string>> params;
    std::string message;
  };
  std::vector<Case> cases = {
      {{{"limit", "0"}}, "limit must be a positive value"},
      {{{"limit", "abc"}}, "parsing \"abc\": invalid syntax"},
      {{{"direction", "sideways"}}, "invalid direction 'sideways'"},
      {{{"start", "notatime"}}, "parsing \"notatime\": invalid syntax"},
      {{{"end", "2026-13-45T99:00:00Z"}}, "could not parse 'end' parameter"},
      {{{"start", "1767227400"}, {"end", "1767226200"}},
       "end timestamp must not be before or equal to start time"},
      {{{"start", "1767225600"}, {"end", "1767229200"}, {"step", "0"}},
       "zero or negative query resolution step widths are not accepted"},
      {{{"start", "1767225600"}, {"end", "1767229200"}, {"step", "0.1"}},
       "exceeded maximum resolution of 11,000 points per"},
      {{{"step", "abc"}}, "cannot parse \"abc\" to a valid duration"},
      {{{"interval", "-1"}}, "interval must be >= 0"},
  };
  for (const auto& c : cases) {
    auto p = ParseRangeQuery(With(c.params), kNow);
    REQUIRE_FALSE(p.ok());
    CHECK_MESSAGE(p.status().message().find(c.message) != std::string::npos, p.status().message());
  }
}

TEST_CASE("instant query time accepts seconds, fractions, nanoseconds and RFC3339") {
  CHECK(ParseInstantQuery(With({{"time", "1767227400.5"}}), kNow)->time_ns ==
        1767227400500000000LL);
  CHECK(ParseInstantQuery(With({{"time", "1767227600000000000"}}), kNow)->time_ns ==
        1767227600000000000LL);
  CHECK(ParseInstantQuery(With({{"time", "2026-01-01T00:30:00Z"}}), kNow)->time_ns ==
        1767227400LL * kNanosPerSecond);
  auto bad = ParseInstantQuery(With({{"time", "yesterday"}}), kNow);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().message().find("parsing \"yesterday\": invalid syntax") != std::string::npos);
}
