// StoreQuerier: the Querier over what the server holds — stored chunks
// (SQLite index + chunk files) and the ingester's unflushed head data —
// merged per stream. Chunk sources skip blocks by time and by bloom filter
// (ScanHints) and drop lines that cannot match before the pipeline runs.
//
// Concurrency: thread-safe (Index, ChunkStore and Ingester are); the sources
// it returns follow logql::EntrySource's contract.
#pragma once

#include <atomic>

#include <memory>
#include <string_view>
#include <vector>

#include "server/ingest/ingester.h"
#include "server/query/chunk_cache.h"
#include "server/logql/querier.h"
#include "server/store/chunk_store.h"
#include "server/store/index.h"

namespace skald::server::query {

// Default budget of the opened-chunk cache (indexes and blooms, no blocks):
// about what 2M lines of logs need (their blooms are ~48 MB).
constexpr size_t kDefaultChunkCacheBytes = size_t{64} << 20;

class StoreQuerier final : public logql::Querier {
 public:
  // Pointers are not owned and must outlive the querier; `ingester` may be
  // null (store only). `chunk_cache_bytes`: see ChunkCache (0 disables it).
  StoreQuerier(store::Index* index, store::ChunkStore* chunks, const ingest::Ingester* ingester,
               size_t chunk_cache_bytes = kDefaultChunkCacheBytes)
      : index_(index), chunks_(chunks), ingester_(ingester), cache_(chunk_cache_bytes) {}
  StoreQuerier(const StoreQuerier&) = delete;
  StoreQuerier& operator=(const StoreQuerier&) = delete;

  common::Result<std::vector<logql::StreamSources>> SelectStreams(
      std::string_view tenant, const std::vector<common::Matcher>& matchers, int64_t from,
      int64_t through) override;

  // Opens the newest stored chunks (every tenant's, by their last entry)
  // into the chunk cache until the next would not fit, so the first queries
  // after a start find their chunks' index and verified blooms in memory
  // instead of reading them (a trace-id lookup over 2M lines: 42 ms cold,
  // ~8 ms warm). Stops early once `*stop` is set. A chunk that fails to open
  // is skipped with a warning (a query reading it reports the error).
  // Returns the number of chunks cached.
  size_t WarmChunkCache(const std::atomic<bool>* stop = nullptr);
  ChunkCache& chunk_cache() { return cache_; }

 private:
  store::Index* index_;
  store::ChunkStore* chunks_;
  const ingest::Ingester* ingester_;
  ChunkCache cache_;
};

}  // namespace skald::server::query
