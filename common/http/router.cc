#include "common/http/router.h"

#include <utility>

namespace skald::common::http {

namespace {

std::vector<std::string> SplitPath(std::string_view path) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t slash = path.find('/', start);
    out.emplace_back(path.substr(start, slash == std::string_view::npos ? std::string_view::npos
                                                                         : slash - start));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return out;
}

bool IsParam(const std::string& segment) {
  return segment.size() >= 2 && segment.front() == '{' && segment.back() == '}';
}

bool MatchSegments(const std::vector<std::string>& pattern, const std::vector<std::string>& path,
                   std::map<std::string, std::string>* params) {
  if (pattern.size() != path.size()) return false;
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (IsParam(pattern[i])) {
      if (path[i].empty()) return false;
      (*params)[pattern[i].substr(1, pattern[i].size() - 2)] = path[i];
    } else if (pattern[i] != path[i]) {
      return false;
    }
  }
  return true;
}

std::string DeriveRouteName(std::string_view pattern) {
  std::string out;
  for (char c : pattern) {
    bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (alnum) {
      out.push_back(c);
    } else if (c == '{' || c == '}') {
      continue;
    } else if (!out.empty() && out.back() != '_') {
      out.push_back('_');
    }
  }
  while (!out.empty() && out.back() == '_') out.pop_back();
  return out.empty() ? "root" : out;
}

}  // namespace

void Router::Handle(std::initializer_list<std::string> methods, std::string pattern, Handler handler,
                    RouteOptions options) {
  Handle(std::vector<std::string>(methods), std::move(pattern), std::move(handler), std::move(options));
}

void Router::Handle(std::vector<std::string> methods, std::string pattern, Handler handler,
                    RouteOptions options) {
  auto route = std::make_unique<Route>();
  route->methods = std::move(methods);
  route->segments = SplitPath(pattern);
  if (options.name.empty()) options.name = DeriveRouteName(pattern);
  route->pattern = std::move(pattern);
  route->options = std::move(options);
  route->handler = std::move(handler);
  routes_.push_back(std::move(route));
}

void Router::HandleWebSocket(std::string pattern, WebSocketHandler handler, RouteOptions options) {
  auto route = std::make_unique<Route>();
  route->methods = {"GET"};
  route->segments = SplitPath(pattern);
  if (options.name.empty()) options.name = DeriveRouteName(pattern);
  route->pattern = std::move(pattern);
  route->options = std::move(options);
  route->websocket = std::move(handler);
  routes_.push_back(std::move(route));
}

Router::Match Router::Find(std::string_view method, std::string_view path, bool websocket_upgrade) const {
  Match match;
  std::vector<std::string> segments = SplitPath(path);
  for (const auto& route : routes_) {
    bool is_ws = static_cast<bool>(route->websocket);
    if (is_ws && !websocket_upgrade) continue;
    std::map<std::string, std::string> params;
    if (!MatchSegments(route->segments, segments, &params)) continue;
    match.path_known = true;
    for (const auto& m : route->methods) {
      match.allowed.push_back(m);
      if (match.route == nullptr && m == method) {
        match.route = route.get();
        match.path_params = std::move(params);
      }
    }
  }
  // An upgrade request for a path with only plain routes falls back to them.
  if (match.route == nullptr && websocket_upgrade) {
    Match plain = Find(method, path, false);
    if (plain.route != nullptr) return plain;
  }
  return match;
}

Response Router::Dispatch(Request* req) const {
  Match match = Find(req->method, req->path);
  if (match.route == nullptr) {
    return match.path_known ? MethodNotAllowedResponse(match.allowed) : NotFoundResponse();
  }
  req->path_params = std::move(match.path_params);
  return match.route->handler(*req);
}

std::string Router::RouteLabel(const Match& match) {
  return match.route == nullptr ? "other" : match.route->options.name;
}

Response NotFoundResponse() { return Response::Text(404, "404 page not found\n"); }

Response MethodNotAllowedResponse(const std::vector<std::string>& allowed) {
  Response r{405, {}, {}, {}};
  std::string allow;
  for (const auto& m : allowed) {
    if (allow.find(m) != std::string::npos) continue;
    if (!allow.empty()) allow += ", ";
    allow += m;
  }
  if (!allow.empty()) r.AddHeader("Allow", allow);
  return r;
}

}  // namespace skald::common::http
