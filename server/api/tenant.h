// Tenant: which tenant a request belongs to (X-Scope-OrgID), as Loki's
// auth middleware and dskit's tenant package decide it.
//
// With auth disabled every request is the no-auth tenant (`fake`) and the
// header is ignored. With auth enabled the header is required (401 `no org
// id`) and must be one valid tenant ID (CONTRACT §1.1). Pure functions.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "common/http/request.h"
#include "common/status.h"

namespace skald::server::api {

// dskit's MaxTenantIDLength: a longer ID is rejected with 400.
constexpr size_t kMaxTenantIdLength = 150;

struct TenantOptions {
  // auth_enabled: require X-Scope-OrgID.
  bool auth_enabled = false;
  // auth.no-auth-tenant: the tenant of every request when auth is disabled.
  std::string no_auth_tenant = "fake";
};

// dskit ValidTenantID: chars [A-Za-z0-9!-_.*'()], at most 150 bytes, not "."
// or "..". Returns OK or InvalidArgument with dskit's message.
common::Status ValidateTenantId(std::string_view id);

// The single tenant of a write request. Errors: Unauthenticated `no org id`
// (401); InvalidArgument for an invalid ID or several IDs (`a|b`).
common::Result<std::string> WriteTenant(const common::http::Request& req, const TenantOptions& opts);

// The tenant of a read request. Same rules as WriteTenant (multi-tenant
// queries are not supported).
common::Result<std::string> ReadTenant(const common::http::Request& req, const TenantOptions& opts);

}  // namespace skald::server::api
