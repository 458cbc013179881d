// Retention: drops whole days of chunks older than a per-tenant period.
//
// For each tenant with a period > 0, a chunk file is dropped when its day
// ended and all of its chunks ended at or before now - period. Order (each
// step crash-safe on its own): the files' chunk rows and file rows go in one
// index transaction, then the files (a crash in between leaves unknown files
// that ChunkStore::Recover removes), then streams left with no chunk and no
// head data (the ingester says which streams are live), and stream time
// ranges are trimmed to the chunks that remain.
//
// Concurrency: Run may be called from any thread; concurrent Runs are
// serialised by `mu_`. Writers and readers of the index and store keep
// working meanwhile (a query that listed a dropped chunk gets NotFound when
// it reads it).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/status.h"
#include "server/store/chunk_store.h"
#include "server/store/index.h"

namespace skald::server::store {

struct RetentionOptions {
  // How long chunks are kept, in ns; 0 keeps everything (Loki's
  // retention_period default, 0s, disables deletion).
  int64_t period_ns = 0;
  // Per-tenant overrides of period_ns (0 keeps that tenant's data forever).
  std::map<std::string, int64_t, std::less<>> tenant_periods;
};

struct RetentionStats {
  uint64_t files_deleted = 0;
  uint64_t chunks_deleted = 0;
  uint64_t streams_deleted = 0;
};

// True while the ingester still holds unflushed (head) data for the stream.
using LiveStreamFn = std::function<bool(std::string_view tenant, uint64_t stream_id)>;

class Retention {
 public:
  // `index`, `store` and `clock` are not owned and must outlive this object.
  Retention(RetentionOptions options, Index* index, ChunkStore* store, const common::Clock* clock);

  Retention(const Retention&) = delete;
  Retention& operator=(const Retention&) = delete;

  // One retention pass at clock->NowNanos(). Returns what was deleted, or
  // the first index / file system error (work done before it stays done;
  // the next pass continues).
  common::Result<RetentionStats> Run(const LiveStreamFn& is_live);

  // The retention period for `tenant` in ns (0 = keep forever).
  int64_t PeriodFor(std::string_view tenant) const;

 private:
  // Constant after construction.
  const RetentionOptions options_;
  Index* const index_;
  ChunkStore* const store_;
  const common::Clock* const clock_;

  std::mutex mu_;  // serialises Run
};

}  // namespace skald::server::store
