#include "server/api/write_path.h"

#include <spdlog/spdlog.h>

#include <utility>

#include "common/otlp_codec.h"
#include "server/api/error_response.h"
#include "server/chunk/chunk_builder.h"
#include "server/ingest/wal_writer.h"

namespace skald::server::api {

using common::Result;
using common::Status;
using common::http::Request;
using common::http::Response;

ingest::DistributorLimits DistributorLimitsFrom(const common::TenantLimits& l) {
  ingest::DistributorLimits d;
  auto& v = d.validation;
  v.max_label_names_per_series = static_cast<int>(l.max_label_names_per_series);
  v.max_label_name_length = static_cast<size_t>(l.max_label_name_length);
  v.max_label_value_length = static_cast<size_t>(l.max_label_value_length);
  v.reject_old_samples = l.reject_old_samples;
  v.reject_old_samples_max_age_ns = l.reject_old_samples_max_age;
  v.creation_grace_period_ns = l.creation_grace_period;
  v.max_line_size = static_cast<size_t>(l.max_line_size);
  v.max_line_size_truncate = l.max_line_size_truncate;
  v.allow_structured_metadata = l.allow_structured_metadata;
  v.max_structured_metadata_size = static_cast<size_t>(l.max_structured_metadata_size);
  v.max_structured_metadata_entries_count = static_cast<size_t>(l.max_structured_metadata_entries_count);
  d.ingestion_rate_bytes = l.ingestion_rate_mb * 1024 * 1024;
  d.ingestion_burst_bytes = l.ingestion_burst_size_mb * 1024 * 1024;
  return d;
}

ingest::IngesterLimits IngesterLimitsFrom(const common::TenantLimits& l) {
  ingest::IngesterLimits i;
  i.per_stream_rate_bytes = static_cast<double>(l.per_stream_rate_limit);
  i.per_stream_burst_bytes = static_cast<double>(l.per_stream_rate_limit_burst);
  i.max_streams = l.max_global_streams_per_user;
  if (l.max_streams_per_user > 0 && (i.max_streams == 0 || l.max_streams_per_user < i.max_streams)) {
    i.max_streams = l.max_streams_per_user;
  }
  return i;
}

Result<std::unique_ptr<WritePath>> WritePath::Create(WritePathOptions options, common::MetricsRegistry* metrics) {
  std::unique_ptr<WritePath> p(new WritePath(std::move(options)));
  const WritePathOptions& o = p->options_;
  common::Env* env = common::Env::Default();
  SKALD_RETURN_IF_ERROR(env->CreateDirs(o.data_dir));

  store::IndexOptions io;
  io.path = o.data_dir + "/index.db";
  auto index = store::Index::Open(io);
  if (!index.ok()) return index.status();
  p->index_ = std::move(index).value();

  store::ChunkStoreOptions co;
  co.root = o.data_dir + "/chunks";
  auto chunks = store::ChunkStore::Open(co, p->index_.get());
  if (!chunks.ok()) return chunks.status();
  p->chunks_ = std::move(chunks).value();

  const std::string wal_dir = o.wal_dir.empty() ? o.data_dir + "/wal" : o.wal_dir;
  ingest::IngesterOptions ing = o.ingester;
  if (o.wal_enabled) {
    ingest::WalOptions wo;
    wo.dir = wal_dir;
    wo.sync = o.wal_sync_mode == "none" ? ingest::WalSyncPolicy::kNone : ingest::WalSyncPolicy::kGroup;
    auto wal = ingest::WalWriter::Open(env, wo);
    if (!wal.ok()) return wal.status();
    p->wal_ = std::move(wal).value();
    ing.marks_path = wal_dir + "/flush.marks";
  } else {
    p->wal_ = std::make_unique<ingest::NullWriteLog>();
    ing.marks_path.clear();
  }

  ing.stream.chunk.block_bytes = o.chunk_block_size;
  p->writer_ = std::make_unique<ingest::StoreChunkWriter>(p->index_.get(), p->chunks_.get());

  auto limits = o.limits;
  p->ingester_ = std::make_unique<ingest::Ingester>(
      ing, [limits](std::string_view t) { return IngesterLimitsFrom(limits(t)); }, p->wal_.get(),
      p->writer_.get(), o.clock, metrics);
  p->distributor_ = std::make_unique<ingest::Distributor>(
      [limits](std::string_view t) { return DistributorLimitsFrom(limits(t)); }, p->ingester_.get(), o.clock,
      metrics);

  PushHandlerOptions po;
  po.tenant = o.tenants;
  const common::Clock* clock = o.clock;
  OtlpDecoder otlp = [clock](std::string_view ct, std::string_view ce, std::string_view body) {
    common::OtlpOptions oo;
    oo.clock = clock;
    return common::DecodeOtlpLogs(ct, ce, body, oo);
  };
  p->push_ = std::make_unique<PushHandler>(po, p->distributor_.get(), std::move(otlp));

  p->read_.index = p->index_.get();
  p->read_.ingester = p->ingester_.get();
  p->read_.tenants = o.tenants;
  p->read_.clock = o.clock;
  return p;
}

WritePath::~WritePath() { Stop(); }

Status WritePath::Start() {
  SKALD_RETURN_IF_ERROR(ingester_->Recover());
  ingester_->Start();
  started_ = true;
  return Status::OK();
}

void WritePath::Stop() {
  if (!started_) return;
  started_ = false;
  Status s = ingester_->Shutdown();
  if (!s.ok()) spdlog::error("final flush failed: {}", s.ToString());
}

void WritePath::Register(common::http::Router* router) {
  push_->Register(router);
  RegisterLabelRoutes(router, &read_);
  ingest::Ingester* ing = ingester_.get();
  router->Handle({"GET", "POST"}, "/flush", [ing](const Request&) {
    Status s = ing->Flush();
    if (!s.ok()) return ErrorResponse(Status::Internal(s.message()));
    return Response::NoContent();
  });
}

}  // namespace skald::server::api
