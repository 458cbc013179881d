// Evaluation of log queries (a stream selector with a pipeline): selects the
// streams, runs one task per entry source on the thread pool (filters pushed
// into the scan, then the pipeline), keeps the `limit` best entries in the
// requested direction, skipping sources that can no longer contribute, and
// merges them with duplicates removed.
#pragma once

#include <cstdint>
#include <string>

#include "common/logql/ast.h"
#include "common/status.h"
#include "common/thread_pool.h"
#include "server/iter/entry_iterator.h"
#include "server/logql/querier.h"
#include "server/logql/query_result.h"

namespace skald::server::logql {

struct LogQueryParams {
  std::string tenant;
  int64_t start_ns = 0;  // inclusive
  int64_t end_ns = 0;    // exclusive
  uint32_t limit = 100;
  iter::Direction direction = iter::Direction::kBackward;
  int64_t interval_ns = 0;
  int64_t deadline_mono_ns = 0;  // 0 = none; Clock::Real()->MonotonicNanos() based
};

common::Result<QueryResult> EvalLogQuery(const common::logql::LogSelectorExpr& expr,
                                         const LogQueryParams& params, Querier& querier,
                                         common::ThreadPool& pool);

}  // namespace skald::server::logql
