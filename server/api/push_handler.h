// PushHandler: Loki's write endpoints.
//
//   POST /loki/api/v1/push   protobuf+snappy or v1 JSON (gzip/deflate ok)
//   POST /api/prom/push      same; JSON bodies use the legacy shape
//   POST /otlp/v1/logs       OTLP/HTTP logs (when an OTLP decoder is set)
//
// Each request: tenant (X-Scope-OrgID) -> decode (common/push_codec; the
// protobuf body into views over the decompressed bytes, kept alive until the
// push is durable) ->
// Distributor::Push (validate, rate limit, ingester; returns once the WAL
// append is durable) -> 204, or the error as Loki answers it (plain text,
// 4xx/5xx). OTLP errors use the same text body; 500s become 503 so OTLP
// clients retry (the protobuf google.rpc.Status body is not produced).
//
// Concurrency: the handlers are const and may run on many threads at once;
// the Distributor is thread-safe.
#pragma once

#include <cstddef>
#include <functional>

#include "common/entry.h"
#include "common/http/request.h"
#include "common/http/response.h"
#include "common/http/router.h"
#include "common/status.h"
#include "server/api/tenant.h"
#include "server/ingest/distributor.h"

namespace skald::server::api {

// Decodes an OTLP/HTTP logs body into a push (common/otlp_codec).
using OtlpDecoder = std::function<common::Result<common::PushRequest>(
    std::string_view content_type, std::string_view content_encoding, std::string_view body)>;

struct PushHandlerOptions {
  TenantOptions tenant;
  // distributor.max-decompressed-size: a body larger after decompression is
  // rejected with 413. Lower than Loki's 5000 MiB so one push cannot take
  // the machine's memory.
  size_t max_decompressed_bytes = size_t{512} << 20;
};

class PushHandler {
 public:
  // `distributor` must outlive the handler. `otlp` may be empty (no OTLP route).
  PushHandler(PushHandlerOptions options, ingest::Distributor* distributor, OtlpDecoder otlp = {});
  PushHandler(const PushHandler&) = delete;
  PushHandler& operator=(const PushHandler&) = delete;

  // POST /loki/api/v1/push and /api/prom/push: 204 or a plain-text error.
  common::http::Response Push(const common::http::Request& req) const;
  // POST /otlp/v1/logs: 204 or an error (500 rewritten to 503).
  common::http::Response PushOtlp(const common::http::Request& req) const;

  // Registers the routes above on `router`; the handler must outlive it.
  void Register(common::http::Router* router) const;

 private:
  common::Status Ingest(common::Result<common::PushRequestView> decoded, const std::string& tenant) const;

  const PushHandlerOptions options_;
  ingest::Distributor* const distributor_;
  const OtlpDecoder otlp_;
};

}  // namespace skald::server::api
