#include "server/api/tenant.h"

#include <fmt/format.h>

namespace skald::server::api {

using common::Result;
using common::Status;

namespace {

bool IsSupported(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case '!': case '-': case '_': case '.': case '*': case '\'': case '(': case ')':
      return true;
    default:
      return false;
  }
}

// Go's %c of a byte value: the rune U+00XX encoded as UTF-8.
std::string ByteAsRune(unsigned char c) {
  std::string s;
  if (c < 0x80) {
    s.push_back(static_cast<char>(c));
  } else {
    s.push_back(static_cast<char>(0xC0 | (c >> 6)));
    s.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  }
  return s;
}

}  // namespace

Status ValidateTenantId(std::string_view id) {
  for (char c : id) {
    if (!IsSupported(c)) {
      return Status::InvalidArgument(fmt::format("tenant ID '{}' contains unsupported character '{}'", id,
                                                 ByteAsRune(static_cast<unsigned char>(c))));
    }
  }
  if (id.size() > kMaxTenantIdLength) {
    return Status::InvalidArgument(fmt::format("tenant ID is too long: max {} characters", kMaxTenantIdLength));
  }
  if (id == "." || id == "..") return Status::InvalidArgument("tenant ID is '.' or '..'");
  return Status::OK();
}

Result<std::string> WriteTenant(const common::http::Request& req, const TenantOptions& opts) {
  if (!opts.auth_enabled) return opts.no_auth_tenant;
  std::string_view id = req.Header("X-Scope-OrgID");
  if (id.empty()) return Status::Unauthenticated("no org id");
  if (id.find('|') != std::string_view::npos) return Status::InvalidArgument("multiple org IDs present");
  SKALD_RETURN_IF_ERROR(ValidateTenantId(id));
  return std::string(id);
}

Result<std::string> ReadTenant(const common::http::Request& req, const TenantOptions& opts) {
  return WriteTenant(req, opts);
}

}  // namespace skald::server::api
