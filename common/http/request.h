// Request: one parsed HTTP request as handlers see it (plain std types, no
// Beast, so handler code compiles fast).
//
// Built by the transport (HttpServer) or by a test, then read-only while a
// handler runs; a const Request is safe to read from any thread.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace skald::common::http {

using KeyValues = std::vector<std::pair<std::string, std::string>>;

struct Request {
  std::string method;  // "GET", "POST", ...
  std::string target;  // raw request target, e.g. "/loki/api/v1/query?query=..."
  std::string path;    // percent-decoded path, no query string
  // Like Go's Request.Form after ParseForm: values from an
  // application/x-www-form-urlencoded POST/PUT/PATCH body first, then the URL
  // query string; repeated keys are kept in order.
  KeyValues params;
  KeyValues headers;  // in arrival order; names as sent
  std::map<std::string, std::string> path_params;  // "{name}" segments of the route
  std::string body;
  std::string remote_address;  // "ip:port" of the peer; empty in tests

  // Value of the first header named `name` (ASCII case-insensitive); "" if
  // absent. The view points into this Request.
  std::string_view Header(std::string_view name) const;
  // First value of parameter `name`; "" if absent. Points into this Request.
  std::string_view Param(std::string_view name) const;
  // All values of parameter `name` in order; empty if absent.
  std::vector<std::string> Params(std::string_view name) const;
  bool HasParam(std::string_view name) const;
  // The "{name}" path segment matched by the route; "" if absent.
  std::string_view PathParam(std::string_view name) const;
};

// ASCII case-insensitive equality (header names, methods).
bool EqualsIgnoreCase(std::string_view a, std::string_view b);

}  // namespace skald::common::http
