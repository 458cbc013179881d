// Evaluation of metric queries (range and vector aggregations, binary
// operators, literals, vector(), label_replace) over a Querier.
#pragma once

#include <cstdint>
#include <string>

#include "common/logql/ast.h"
#include "common/status.h"
#include "common/thread_pool.h"
#include "server/logql/querier.h"
#include "server/logql/query_result.h"

namespace skald::server::logql {

struct MetricQueryParams {
  std::string tenant;
  // Evaluation steps start, start+step, ... <= end (ns). Instant: start == end.
  int64_t start_ns = 0;
  int64_t end_ns = 0;
  int64_t step_ns = 0;
  bool instant = false;
  int64_t max_series = 500;       // distinct output series; more -> 400
  int64_t max_query_range = 0;    // longest [range] allowed; 0 = unlimited
  int64_t deadline_mono_ns = 0;   // 0 = none
};

// Matrix for range queries, vector (or scalar) for instant ones.
// InvalidArgument for `pipeline error: …`, the series limit and invalid
// parameters; Timeout past the deadline.
common::Result<QueryResult> EvalMetricQuery(const common::logql::Expr& expr,
                                            const MetricQueryParams& params, Querier& querier,
                                            common::ThreadPool& pool);

}  // namespace skald::server::logql
