// Label, series and index-stats endpoints, answered from the SQLite index
// and the ingester's head (unflushed streams appear at once):
//
//   GET|POST /loki/api/v1/labels, /loki/api/v1/label     {"status":"success","data":[..]}
//   GET|POST /loki/api/v1/label/{name}/values             (data omitted when empty)
//   GET|POST /loki/api/v1/series                          data always present
//   GET|POST /loki/api/v1/index/stats                     {"streams","chunks","bytes","entries"}
//   GET|POST /api/prom/label, /api/prom/label/{name}/values   {"values":[..]}
//   GET|POST /api/prom/series
//
// Parameters and defaults as Loki (`start`, `end`, `since` = 1h, `query`,
// `match[]`/`match`). Errors are plain-text 400s. Tenant isolated.
//
// Concurrency: handlers are pure functions of (ReadApi, Request); the index
// and ingester are thread-safe.
#pragma once

#include "common/clock.h"
#include "common/http/request.h"
#include "common/http/response.h"
#include "common/http/router.h"
#include "server/api/tenant.h"
#include "server/ingest/ingester.h"
#include "server/store/index.h"

namespace skald::server::api {

struct ReadApi {
  store::Index* index = nullptr;                // required
  const ingest::Ingester* ingester = nullptr;   // optional (head data)
  TenantOptions tenants;
  const common::Clock* clock = common::Clock::Real();
};

common::http::Response HandleLabels(const ReadApi& api, const common::http::Request& req);
common::http::Response HandleLabelValues(const ReadApi& api, const common::http::Request& req);
common::http::Response HandleSeries(const ReadApi& api, const common::http::Request& req);
common::http::Response HandleIndexStats(const ReadApi& api, const common::http::Request& req);
common::http::Response HandleLegacyLabels(const ReadApi& api, const common::http::Request& req);
common::http::Response HandleLegacyLabelValues(const ReadApi& api, const common::http::Request& req);

// Registers every route above (GET and POST). `api` must outlive the router.
void RegisterLabelRoutes(common::http::Router* router, const ReadApi* api);

}  // namespace skald::server::api
