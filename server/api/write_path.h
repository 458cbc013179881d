// WritePath: the write path and index-backed read endpoints, assembled.
//
// Owns, in dependency order: the SQLite Index, the ChunkStore (recovered on
// open), the WAL (WalWriter, or none when disabled), the chunk writer
// (ChunkBuilder encoding -> ChunkStore), the Ingester (WAL replay on Start),
// the Distributor, and the handlers: push (+OTLP), labels/series/stats and
// /flush. The query engineer's StoreQuerier takes index(), chunks() and
// ingester() from here.
//
// Lifecycle: Create -> Register(router) -> Start() (recovery, flush loop) ->
// Stop() (flush loop stops; everything is flushed when flush_on_shutdown).
// Concurrency: after Start, handlers run concurrently; all parts are
// thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/http/router.h"
#include "common/metrics.h"
#include "common/status.h"
#include "common/tenant_limits.h"
#include "server/api/labels_handler.h"
#include "server/api/push_handler.h"
#include "server/ingest/distributor.h"
#include "server/ingest/flush.h"
#include "server/ingest/ingester.h"
#include "server/ingest/write_log.h"
#include "server/store/chunk_store.h"
#include "server/store/index.h"

namespace skald::server::api {

struct WritePathOptions {
  // Root of all data: <data_dir>/index.db, <data_dir>/chunks, <data_dir>/wal.
  std::string data_dir = "./data";
  // wal.dir; "" = <data_dir>/wal.
  std::string wal_dir;
  // wal.enabled: log pushes before acknowledging them.
  bool wal_enabled = true;
  // wal.sync_mode: "group" (fsync before ack, shared) or "none".
  std::string wal_sync_mode = "group";
  // Ingester settings (chunk sizes, ages, flush period, flush on shutdown).
  ingest::IngesterOptions ingester;
  // chunk_block_size: uncompressed bytes per block.
  size_t chunk_block_size = 262144;
  // auth_enabled / no-auth tenant.
  TenantOptions tenants;
  // Effective limits of a tenant (limits_config + runtime overrides).
  std::function<common::TenantLimits(std::string_view tenant)> limits;
  const common::Clock* clock = common::Clock::Real();
};

class WritePath {
 public:
  // Opens the index and chunk store (repairing them) and the WAL. Returns
  // the assembled path (owned by the caller) or the first open error.
  static common::Result<std::unique_ptr<WritePath>> Create(WritePathOptions options,
                                                           common::MetricsRegistry* metrics);
  ~WritePath();
  WritePath(const WritePath&) = delete;
  WritePath& operator=(const WritePath&) = delete;

  // Replays the WAL into the ingester and starts its flush loop.
  common::Status Start();
  // Stops the flush loop; flushes everything when flush_on_shutdown.
  void Stop();
  // Push, OTLP, labels, series, index/stats and /flush routes.
  void Register(common::http::Router* router);

  store::Index* index() { return index_.get(); }
  store::ChunkStore* chunks() { return chunks_.get(); }
  ingest::Ingester* ingester() { return ingester_.get(); }

 private:
  explicit WritePath(WritePathOptions options) : options_(std::move(options)) {}

  const WritePathOptions options_;
  std::unique_ptr<store::Index> index_;
  std::unique_ptr<store::ChunkStore> chunks_;
  std::unique_ptr<ingest::WriteLog> wal_;
  std::unique_ptr<ingest::ChunkWriter> writer_;
  std::unique_ptr<ingest::Ingester> ingester_;
  std::unique_ptr<ingest::Distributor> distributor_;
  std::unique_ptr<PushHandler> push_;
  ReadApi read_;
  bool started_ = false;
};

// The distributor's view of TenantLimits (Loki's units: MB rates are MiB).
ingest::DistributorLimits DistributorLimitsFrom(const common::TenantLimits& l);
// The ingester's view of TenantLimits.
ingest::IngesterLimits IngesterLimitsFrom(const common::TenantLimits& l);

}  // namespace skald::server::api
