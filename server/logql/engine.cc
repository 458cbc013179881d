#include "server/logql/engine.h"

#include "common/clock.h"
#include "common/logql/parser.h"
#include "common/time.h"
#include "server/logql/log_query.h"
#include "server/logql/metric_query.h"

namespace skald::server::logql {

using common::Result;
using common::Status;

namespace {

std::string FormatLimitDuration(int64_t ns) { return common::FormatPromDuration(ns); }

}  // namespace

Result<QueryResult> Engine::Query(const QueryRequest& req) const {
  auto parsed = common::logql::ParseExpr(req.query);
  if (!parsed.ok()) return parsed.status();
  const common::logql::Expr& expr = **parsed;
  const auto& limits = req.limits;

  if (limits.max_query_length > 0 && req.end_ns - req.start_ns > limits.max_query_length) {
    return Status::InvalidArgument(
        "the query time range exceeds the limit (query length: " +
        common::FormatGoDuration(req.end_ns - req.start_ns) +
        ", limit: " + FormatLimitDuration(limits.max_query_length) + ")");
  }
  const int64_t deadline =
      limits.query_timeout > 0 ? common::Clock::Real()->MonotonicNanos() + limits.query_timeout : 0;

  if (!common::logql::IsMetricQuery(expr)) {
    if (req.instant) {
      return Status::InvalidArgument(
          "log queries are not supported as an instant query type, please change your query to "
          "a range query type");
    }
    if (limits.max_entries_limit_per_query > 0 &&
        static_cast<int64_t>(req.limit) > limits.max_entries_limit_per_query) {
      return Status::InvalidArgument(
          "max entries limit per query exceeded, limit > max_entries_limit_per_query (" +
          std::to_string(req.limit) + " > " + std::to_string(limits.max_entries_limit_per_query) +
          ")");
    }
    LogQueryParams p;
    p.tenant = req.tenant;
    p.start_ns = req.start_ns;
    p.end_ns = req.end_ns;
    p.limit = req.limit;
    p.direction = req.direction;
    p.interval_ns = req.interval_ns;
    p.deadline_mono_ns = deadline;
    return EvalLogQuery(expr.As<common::logql::LogSelectorExpr>(), p, *querier_, *pool_);
  }

  MetricQueryParams p;
  p.tenant = req.tenant;
  p.start_ns = req.start_ns;
  p.end_ns = req.end_ns;
  p.step_ns = req.step_ns;
  p.instant = req.instant;
  p.max_series = limits.max_query_series;
  p.max_query_range = limits.max_query_range;
  p.deadline_mono_ns = deadline;
  return EvalMetricQuery(expr, p, *querier_, *pool_);
}

}  // namespace skald::server::logql
