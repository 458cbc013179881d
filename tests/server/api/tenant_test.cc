#include "server/api/tenant.h"

#include <doctest/doctest.h>

#include <string>

using namespace skald::server::api;
using skald::common::http::Request;

namespace {
Request WithOrg(std::string id) {
  Request r;
  r.headers.emplace_back("X-Scope-OrgID", std::move(id));
  return r;
}
}  // namespace

TEST_CASE("tenant is fake when auth is disabled, whatever the header says") {
  TenantOptions o;
  CHECK(*WriteTenant(WithOrg("team-a"), o) == "fake");
  CHECK(*WriteTenant(Request{}, o) == "fake");
}

TEST_CASE("tenant header is required when auth is enabled") {
  TenantOptions o{true, "fake"};
  auto r = WriteTenant(Request{}, o);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().HttpStatus() == 401);
  CHECK(r.status().message() == "no org id");
}

TEST_CASE("tenant header is read case-insensitively") {
  TenantOptions o{true, "fake"};
  Request r;
  r.headers.emplace_back("x-scope-orgid", "Team_1.(prod)*!'");
  CHECK(*WriteTenant(r, o) == "Team_1.(prod)*!'");
}

TEST_CASE("tenant id with an unsupported character is rejected") {
  auto s = ValidateTenantId("a/b");
  CHECK(s.HttpStatus() == 400);
  CHECK(s.message() == "tenant ID 'a/b' contains unsupported character '/'");
}

TEST_CASE("tenant id longer than 150 bytes is rejected") {
  CHECK(ValidateTenantId(std::string(150, 'a')).ok());
  auto s = ValidateTenantId(std::string(151, 'a'));
  CHECK(s.message() == "tenant ID is too long: max 150 characters");
}

TEST_CASE("tenant ids . and .. are rejected") {
  CHECK(ValidateTenantId(".").message() == "tenant ID is '.' or '..'");
  CHECK(ValidateTenantId("..").message() == "tenant ID is '.' or '..'");
  CHECK(ValidateTenantId("...").ok());
}

TEST_CASE("a push names exactly one tenant") {
  TenantOptions o{true, "fake"};
  auto r = WriteTenant(WithOrg("a|b"), o);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().HttpStatus() == 400);
}
