#include "server/store/retention.h"

#include <set>
#include <vector>

#include "common/time.h"

namespace skald::server::store {

using common::Result;
using common::Status;

Retention::Retention(RetentionOptions options, Index* index, ChunkStore* store,
                     const common::Clock* clock)
    : options_(std::move(options)), index_(index), store_(store), clock_(clock) {}

int64_t Retention::PeriodFor(std::string_view tenant) const {
  auto it = options_.tenant_periods.find(tenant);
  return it != options_.tenant_periods.end() ? it->second : options_.period_ns;
}

Result<RetentionStats> Retention::Run(const LiveStreamFn& is_live) {
  std::lock_guard<std::mutex> lock(mu_);
  int64_t now = clock_->NowNanos();
  auto files = index_->ListFiles();
  if (!files.ok()) return files.status();
  RetentionStats stats;
  std::vector<uint64_t> drop;
  std::map<std::string, int64_t> cutoffs;  // tenants that lose files
  for (const ChunkFileInfo& f : *files) {
    int64_t period = PeriodFor(f.tenant);
    if (period <= 0) continue;
    int64_t cutoff = now - period;
    int64_t day_end = (f.day + 1) * common::kNanosPerDay;
    if (day_end > cutoff || (f.chunks > 0 && f.max_through > cutoff)) continue;
    drop.push_back(f.id);
    stats.chunks_deleted += f.chunks;
    cutoffs[f.tenant] = cutoff;
  }
  if (drop.empty()) return stats;
  SKALD_RETURN_IF_ERROR(store_->DeleteFiles(drop));
  stats.files_deleted = drop.size();
  for (const auto& [tenant, cutoff] : cutoffs) {
    SKALD_RETURN_IF_ERROR(index_->TrimStreamsBefore(tenant, cutoff));
    auto n = index_->DeleteStreamsWithoutChunks(
        tenant, [&](uint64_t id) { return is_live && is_live(tenant, id); });
    if (!n.ok()) return n.status();
    stats.streams_deleted += *n;
  }
  return stats;
}

}  // namespace skald::server::store
