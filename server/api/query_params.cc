#include "server/api/query_params.h"

#include <charconv>
#include <limits>

#include "common/time.h"

namespace skald::server::api {

using common::Result;
using common::Status;

namespace {

constexpr int64_t kDefaultSince = common::kNanosPerHour;
// Loki rejects range queries with more points than this per series.
constexpr int64_t kMaxPointsPerSeries = 11000;

Result<int64_t> ParseTimestampParam(const common::http::Request& req, std::string_view name,
                                    int64_t def) {
  std::string_view v = req.Param(name);
  if (v.empty()) return def;
  auto r = common::ParseLokiTimestamp(v);
  if (!r.ok()) {
    return Status::InvalidArgument("could not parse '" + std::string(name) +
                                   "' parameter: " + r.status().message());
  }
  return r;
}

Result<Direction> ParseDirection(const common::http::Request& req) {
  std::string_view v = req.Param("direction");
  if (v.empty()) return Direction::kBackward;
  if (common::http::EqualsIgnoreCase(v, "backward")) return Direction::kBackward;
  if (common::http::EqualsIgnoreCase(v, "forward")) return Direction::kForward;
  return Status::InvalidArgument("invalid direction '" + std::string(v) + "'");
}

}  // namespace

int64_t DefaultStepNanos(int64_t start_ns, int64_t end_ns) {
  int64_t secs = (end_ns - start_ns) / 250 / common::kNanosPerSecond;
  return std::max<int64_t>(secs, 1) * common::kNanosPerSecond;
}

Result<uint32_t> ParseLimit(const common::http::Request& req, uint32_t def) {
  std::string_view v = req.Param("limit");
  if (v.empty()) return def;
  int64_t n = 0;
  auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc() || ptr != v.data() + v.size()) {
    return Status::InvalidArgument("strconv.Atoi: parsing \"" + std::string(v) +
                                   "\": invalid syntax");
  }
  if (n <= 0) return Status::InvalidArgument("limit must be a positive value");
  if (n > std::numeric_limits<uint32_t>::max()) {
    return Status::InvalidArgument("limit must be less than or equal to 4294967295");
  }
  return static_cast<uint32_t>(n);
}

Result<TimeBounds> ParseTimeBounds(const common::http::Request& req, int64_t now_ns) {
  auto end = ParseTimestampParam(req, "end", now_ns);
  if (!end.ok()) return end.status();
  int64_t since = kDefaultSince;
  if (std::string_view s = req.Param("since"); !s.empty()) {
    auto d = common::ParsePromDuration(s);
    if (!d.ok()) {
      return Status::InvalidArgument("could not parse 'since' parameter: " + d.status().message());
    }
    since = *d;
  }
  auto start = ParseTimestampParam(req, "start", std::min(*end, now_ns) - since);
  if (!start.ok()) return start.status();
  return TimeBounds{*start, *end};
}

Result<RangeQueryParams> ParseRangeQuery(const common::http::Request& req, int64_t now_ns) {
  RangeQueryParams p;
  p.query = std::string(req.Param("query"));
  auto limit = ParseLimit(req, 100);
  if (!limit.ok()) return limit.status();
  p.limit = *limit;
  auto bounds = ParseTimeBounds(req, now_ns);
  if (!bounds.ok()) return bounds.status();
  p.start_ns = bounds->start_ns;
  p.end_ns = bounds->end_ns;
  if (p.end_ns < p.start_ns) {
    return Status::InvalidArgument("end timestamp must not be before or equal to start time");
  }
  auto dir = ParseDirection(req);
  if (!dir.ok()) return dir.status();
  p.direction = *dir;
  if (std::string_view s = req.Param("step"); !s.empty()) {
    auto step = common::ParseStepDuration(s);
    if (!step.ok()) return step.status();
    p.step_ns = *step;
  } else {
    p.step_ns = DefaultStepNanos(p.start_ns, p.end_ns);
  }
  if (p.step_ns <= 0) {
    return Status::InvalidArgument(
        "zero or negative query resolution step widths are not accepted. Try a positive integer");
  }
  if ((p.end_ns - p.start_ns) / p.step_ns > kMaxPointsPerSeries) {
    return Status::InvalidArgument(
        "exceeded maximum resolution of 11,000 points per time series. Try increasing the value "
        "of the step parameter");
  }
  if (std::string_view s = req.Param("interval"); !s.empty()) {
    auto iv = common::ParseStepDuration(s);
    if (!iv.ok()) return iv.status();
    if (*iv < 0) return Status::InvalidArgument("interval must be >= 0");
    p.interval_ns = *iv;
  }
  return p;
}

Result<InstantQueryParams> ParseInstantQuery(const common::http::Request& req, int64_t now_ns) {
  InstantQueryParams p;
  p.query = std::string(req.Param("query"));
  auto limit = ParseLimit(req, 100);
  if (!limit.ok()) return limit.status();
  p.limit = *limit;
  std::string_view t = req.Param("time");
  if (t.empty()) {
    p.time_ns = now_ns;
  } else {
    auto r = common::ParseLokiTimestamp(t);
    if (!r.ok()) {
      return Status::InvalidArgument("could not parse 'time' parameter: " + r.status().message());
    }
    p.time_ns = *r;
  }
  auto dir = ParseDirection(req);
  if (!dir.ok()) return dir.status();
  p.direction = *dir;
  return p;
}

}  // namespace skald::server::api
