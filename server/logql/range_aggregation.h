// Range aggregations (`count_over_time({…} | json [5m])`, `quantile_over_time(
// 0.99, … | unwrap x [5m]) by (app)`): extracts samples from the selected
// streams on the thread pool, groups them into series (Loki's extractor
// rules: a grouping on the range aggregation, or one pushed down from an outer
// `sum`, is applied at extraction; an erroring sample keeps all its labels),
// then evaluates the window (t − range − offset, t − offset] at every step.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/labels.h"
#include "common/logql/ast.h"
#include "common/status.h"
#include "common/thread_pool.h"
#include "server/logql/querier.h"
#include "server/logql/query_result.h"

namespace skald::server::logql {

// Values of one series at each evaluation step (`has[i]` false: no value).
struct StepSeries {
  common::Labels labels;
  std::vector<double> values;
  std::vector<uint8_t> has;
};

struct EvalContext {
  std::string tenant;
  std::vector<int64_t> steps;  // evaluation times, ns, ascending
  int64_t max_query_range = 0;
  int64_t deadline_mono_ns = 0;
  Querier* querier = nullptr;
  common::ThreadPool* pool = nullptr;
  QueryStats* stats = nullptr;
};

// `override_grouping`: an outer sum's grouping pushed into extraction (Loki's
// canInjectVectorGrouping), used when the range aggregation has none.
common::Result<std::vector<StepSeries>> EvalRangeAggregation(
    const common::logql::RangeAggregationExpr& expr, const EvalContext& ctx,
    const common::logql::Grouping* override_grouping);

// Loki's `pipeline error: …` (400) for a series carrying __error__.
common::Status PipelineError(const common::Labels& series);

}  // namespace skald::server::logql
