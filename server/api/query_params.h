// Query parameters of Loki's read endpoints, parsed with Loki's defaults and
// error texts (CONTRACT §1.1, §1.4): timestamps by the ten-digit rule, `since`
// (1h), `limit` (100), `direction` (backward), `step` (range/250, at least
// 1 s, at most 11,000 points), `interval`. Pure functions.
#pragma once

#include <cstdint>
#include <string>

#include "common/http/request.h"
#include "common/status.h"

namespace skald::server::api {

enum class Direction : uint8_t { kBackward = 0, kForward = 1 };

struct TimeBounds {
  int64_t start_ns = 0;
  int64_t end_ns = 0;
};

struct RangeQueryParams {
  std::string query;
  int64_t start_ns = 0;
  int64_t end_ns = 0;
  int64_t step_ns = 0;
  int64_t interval_ns = 0;
  uint32_t limit = 100;
  Direction direction = Direction::kBackward;
};

struct InstantQueryParams {
  std::string query;
  int64_t time_ns = 0;
  uint32_t limit = 100;
  Direction direction = Direction::kBackward;
};

// `start`, `end`, `since` with Loki's defaults: end = now, since = 1h,
// start = min(end, now) - since. Errors: `could not parse 'start' parameter: …`.
common::Result<TimeBounds> ParseTimeBounds(const common::http::Request& req, int64_t now_ns);

// query_range parameters; InvalidArgument with Loki's message on bad input.
common::Result<RangeQueryParams> ParseRangeQuery(const common::http::Request& req, int64_t now_ns);

// query (instant) parameters.
common::Result<InstantQueryParams> ParseInstantQuery(const common::http::Request& req,
                                                     int64_t now_ns);

// `limit`: positive integer, default `def`.
common::Result<uint32_t> ParseLimit(const common::http::Request& req, uint32_t def);

// Loki's default step for a range: max(floor(range / 250) seconds, 1 s).
int64_t DefaultStepNanos(int64_t start_ns, int64_t end_ns);

}  // namespace skald::server::api
