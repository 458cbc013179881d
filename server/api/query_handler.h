// Query handlers: /loki/api/v1/query_range, /loki/api/v1/query, the legacy
// /api/prom/query, and /loki/api/v1/format_query. Pure request -> response
// functions over a LogQL Engine; errors are Loki's plain-text bodies.
#pragma once

#include <functional>
#include <string_view>

#include "common/clock.h"
#include "common/http/router.h"
#include "common/tenant_limits.h"
#include "server/api/tenant.h"
#include "server/logql/engine.h"

namespace skald::server::api {

struct QueryApi {
  const logql::Engine* engine = nullptr;
  TenantOptions tenants;
  // The effective limits of a tenant (limits_config + runtime overrides).
  std::function<common::TenantLimits(std::string_view tenant)> limits;
  const common::Clock* clock = common::Clock::Real();
};

common::http::Response HandleQueryRange(const QueryApi& api, const common::http::Request& req);
common::http::Response HandleInstantQuery(const QueryApi& api, const common::http::Request& req);
common::http::Response HandleLegacyQuery(const QueryApi& api, const common::http::Request& req);
common::http::Response HandleFormatQuery(const common::http::Request& req);

// Registers the four routes (GET and POST each). `api` must outlive the router.
void RegisterQueryRoutes(common::http::Router* router, const QueryApi* api);

// Loki's 504 text for a query past its deadline.
inline constexpr std::string_view kQueryTimeoutMessage =
    "request timed out, decrease the duration of the request or add more label matchers (prefer "
    "exact match over regex match) to reduce the amount of data processed";

}  // namespace skald::server::api
