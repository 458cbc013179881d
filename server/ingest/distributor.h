// Distributor: the write path's front door for one decoded push.
//
// Validates the push against the tenant's limits (Validator), counts what it
// drops (loki_discarded_samples_total / loki_discarded_bytes_total with
// Loki's reasons), applies the tenant ingestion rate (token bucket; 429
// rejects the whole push) and hands the valid streams to a PushSink (the
// ingester), which answers only once they are durable. Valid streams are
// written even when others fail; the answer then carries the grouped
// validation errors (400).
//
// Concurrency: Push may be called from many threads at once. The limits
// function and the sink must be thread-safe and outlive the Distributor.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/entry.h"
#include "common/metrics.h"
#include "common/status.h"
#include "server/ingest/push_errors.h"
#include "server/ingest/rate_limiter.h"
#include "server/ingest/validator.h"

namespace skald::server::ingest {

// A tenant's write-path limits (Loki limits_config names; 3.x defaults).
struct DistributorLimits {
  ValidationLimits validation;
  // ingestion_rate_mb (4): tenant token-bucket rate in bytes per second.
  double ingestion_rate_bytes = 4.0 * 1024 * 1024;
  // ingestion_burst_size_mb (6): bucket size in bytes; a larger push is rejected.
  double ingestion_burst_bytes = 6.0 * 1024 * 1024;
};

using LimitsFn = std::function<DistributorLimits(std::string_view tenant)>;

// Where validated streams go (the Ingester; a fake in tests).
class PushSink {
 public:
  virtual ~PushSink() = default;
  // Writes `streams` for `tenant` and returns once they are durable. Returns
  // OK, or a 4xx Status for entries it refused (per-stream rate 429, stream
  // limit 429) while still writing the rest, or a 5xx Status when nothing
  // could be made durable. Counts its own discards.
  virtual common::Status Push(std::string_view tenant, std::vector<ValidStream>&& streams) = 0;
  // The same for streams whose entries view the push being written (valid
  // until this returns). The default copies them and calls Push; the
  // ingester writes straight from the views.
  virtual common::Status PushViews(std::string_view tenant, std::vector<ValidStreamView>&& streams);
};

class Distributor {
 public:
  // `metrics` may be null (no metrics). Everything passed must outlive this.
  Distributor(LimitsFn limits, PushSink* sink, const common::Clock* clock,
              common::MetricsRegistry* metrics);
  Distributor(const Distributor&) = delete;
  Distributor& operator=(const Distributor&) = delete;

  // Validates and writes `request` for `tenant`. OK means everything was
  // accepted (204). Otherwise: 422 for a push without streams, 429 when the
  // tenant rate is exceeded (nothing written), the sink's error, or 400 with
  // the grouped validation errors (valid streams were written).
  common::Status Push(std::string_view tenant, common::PushRequest&& request);
  // The same for a decoded view (lines over max_line_size may be cut in
  // place); the sink gets views into `request`.
  common::Status Push(std::string_view tenant, common::PushRequestView&& request);

 private:
  RateLimiter* TenantLimiter(std::string_view tenant, const DistributorLimits& limits);
  void CountDiscards(std::string_view tenant, const DiscardCounts& counts);

  // Constant after construction.
  const LimitsFn limits_;
  PushSink* const sink_;
  const common::Clock* const clock_;
  common::Family<common::Counter>* discarded_samples_ = nullptr;
  common::Family<common::Counter>* discarded_bytes_ = nullptr;
  common::Family<common::Counter>* lines_received_ = nullptr;
  common::Family<common::Counter>* bytes_received_ = nullptr;

  std::mutex mu_;
  std::map<std::string, std::unique_ptr<RateLimiter>, std::less<>> limiters_;  // guarded by mu_
};

// Adds `counts` to loki_discarded_samples_total / _bytes_total of `tenant`
// in `metrics` (no-op when null). Shared by the distributor and ingester.
void ReportDiscards(common::MetricsRegistry* metrics, std::string_view tenant,
                    const DiscardCounts& counts);

}  // namespace skald::server::ingest
