// Engine: evaluates a LogQL query for one tenant over a Querier.
//
// Log queries (`{app="api"} |= "x" | json`) return streams; metric queries
// return a matrix (range), a vector (instant) or a scalar. Per-chunk work runs
// on the shared ThreadPool. The engine applies the tenant's query limits
// (max entries, max series, max query length, timeout) with Loki's messages.
//
// Concurrency: Query may be called from many threads at once; the engine holds
// no mutable state of its own.
#pragma once

#include <cstdint>
#include <string>

#include "common/status.h"
#include "common/tenant_limits.h"
#include "common/thread_pool.h"
#include "server/iter/entry_iterator.h"
#include "server/logql/querier.h"
#include "server/logql/query_result.h"

namespace skald::server::logql {

struct QueryRequest {
  std::string tenant;
  std::string query;
  // Range queries: log entries with start <= ts < end; metric steps at
  // start, start+step, ... <= end. Instant queries: start == end == time.
  int64_t start_ns = 0;
  int64_t end_ns = 0;
  int64_t step_ns = 0;
  int64_t interval_ns = 0;
  uint32_t limit = 100;
  iter::Direction direction = iter::Direction::kBackward;
  bool instant = false;
  common::TenantLimits limits;
};

class Engine {
 public:
  Engine(Querier* querier, common::ThreadPool* pool) : querier_(querier), pool_(pool) {}
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // The result, or: InvalidArgument (parse errors `parse error at line L, col
  // C: …`, limits, pipeline errors) -> 400; Timeout -> 504; others -> 500.
  common::Result<QueryResult> Query(const QueryRequest& req) const;

  Querier* querier() const { return querier_; }
  common::ThreadPool* pool() const { return pool_; }

 private:
  Querier* querier_;
  common::ThreadPool* pool_;
};

}  // namespace skald::server::logql
