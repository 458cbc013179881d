#include "server/ingest/distributor.h"

#include <fmt/format.h>

#include <utility>

namespace skald::server::ingest {

using common::Status;

namespace {
constexpr char kDiscardedSamples[] = "loki_discarded_samples_total";
constexpr char kDiscardedSamplesHelp[] = "The total number of samples that were discarded.";
constexpr char kDiscardedBytes[] = "loki_discarded_bytes_total";
constexpr char kDiscardedBytesHelp[] = "The total number of bytes that were discarded.";
}  // namespace

void ReportDiscards(common::MetricsRegistry* metrics, std::string_view tenant,
                    const DiscardCounts& counts) {
  if (metrics == nullptr || counts.by_reason.empty()) return;
  auto* samples = metrics->AddCounter(kDiscardedSamples, kDiscardedSamplesHelp, {"reason", "tenant"});
  auto* bytes = metrics->AddCounter(kDiscardedBytes, kDiscardedBytesHelp, {"reason", "tenant"});
  for (const auto& [r, c] : counts.by_reason) {
    samples->WithLabels({r, std::string(tenant)})->Inc(static_cast<double>(c.lines));
    bytes->WithLabels({r, std::string(tenant)})->Inc(static_cast<double>(c.bytes));
  }
}

Distributor::Distributor(LimitsFn limits, PushSink* sink, const common::Clock* clock,
                         common::MetricsRegistry* metrics)
    : limits_(std::move(limits)), sink_(sink), clock_(clock) {
  if (metrics != nullptr) {
    discarded_samples_ = metrics->AddCounter(kDiscardedSamples, kDiscardedSamplesHelp, {"reason", "tenant"});
    discarded_bytes_ = metrics->AddCounter(kDiscardedBytes, kDiscardedBytesHelp, {"reason", "tenant"});
    lines_received_ = metrics->AddCounter("loki_distributor_lines_received_total",
                                          "The total number of lines received per tenant", {"tenant"});
    bytes_received_ = metrics->AddCounter("loki_distributor_bytes_received_total",
                                          "The total number of uncompressed bytes received per tenant",
                                          {"tenant"});
  }
}

RateLimiter* Distributor::TenantLimiter(std::string_view tenant, const DistributorLimits& limits) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = limiters_.find(tenant);
  if (it == limiters_.end()) {
    it = limiters_
             .emplace(std::string(tenant),
                      std::make_unique<RateLimiter>(limits.ingestion_rate_bytes, limits.ingestion_burst_bytes))
             .first;
  } else if (it->second->rate() != limits.ingestion_rate_bytes ||
             it->second->burst() != limits.ingestion_burst_bytes) {
    it->second->SetLimits(limits.ingestion_rate_bytes, limits.ingestion_burst_bytes);  // runtime override
  }
  return it->second.get();
}

void Distributor::CountDiscards(std::string_view tenant, const DiscardCounts& counts) {
  if (discarded_samples_ == nullptr) return;
  for (const auto& [r, c] : counts.by_reason) {
    discarded_samples_->WithLabels({r, std::string(tenant)})->Inc(static_cast<double>(c.lines));
    discarded_bytes_->WithLabels({r, std::string(tenant)})->Inc(static_cast<double>(c.bytes));
  }
}

Status PushSink::PushViews(std::string_view tenant, std::vector<ValidStreamView>&& streams) {
  std::vector<ValidStream> owned;
  owned.reserve(streams.size());
  for (const ValidStreamView& s : streams) owned.push_back(ToOwnedStream(s));
  return Push(tenant, std::move(owned));
}

Status Distributor::Push(std::string_view tenant, common::PushRequest&& request) {
  return Push(tenant, common::PushRequestView::Own(std::move(request)));
}

Status Distributor::Push(std::string_view tenant, common::PushRequestView&& request) {
  if (request.streams.empty()) {
    return Status::Unprocessable("error at least one valid stream is required for ingestion");
  }
  const DistributorLimits limits = limits_(tenant);
  const int64_t now = clock_->NowNanos();
  ValidationViewResult v = ValidatePushView(limits.validation, now, request);
  CountDiscards(tenant, v.discards);
  if (lines_received_ != nullptr && v.lines > 0) {
    lines_received_->WithLabels({std::string(tenant)})->Inc(static_cast<double>(v.lines));
    bytes_received_->WithLabels({std::string(tenant)})->Inc(static_cast<double>(v.bytes));
  }
  const Status validation_error =
      v.errors.empty() ? Status::OK() : Status::InvalidArgument(v.errors.Message());
  if (v.streams.empty()) return validation_error;

  RateLimiter* limiter = TenantLimiter(tenant, limits);
  if (!limiter->AllowN(now, static_cast<double>(v.bytes))) {
    DiscardCounts rate;
    rate.Add(reason::kRateLimited, v.lines, v.bytes);
    CountDiscards(tenant, rate);
    return Status::ResourceExhausted(fmt::format(
        "ingestion rate limit exceeded for user {} (limit: {} bytes/sec) while attempting to ingest '{}' "
        "lines totaling '{}' bytes, reduce log volume or contact your Loki administrator to see if the "
        "limit can be increased",
        tenant, static_cast<int64_t>(limits.ingestion_rate_bytes), v.lines, v.bytes));
  }
  Status written = sink_->PushViews(tenant, std::move(v.streams));
  if (!written.ok()) return written;
  return validation_error;
}

}  // namespace skald::server::ingest
