// Router: maps (method, path) to a handler. Patterns are "/"-separated
// segments, each exact or "{param}" (matches one non-empty segment). Unknown
// path -> 404 `404 page not found` (Go's text); known path with another
// method -> 405.
//
// Handlers are pure Request -> Response functions (testable without sockets);
// the transport owns sockets, timeouts and body limits.
//
// Concurrency: register every route before HttpServer starts; afterwards the
// Router is read-only and Find/Dispatch are safe from any thread.
#pragma once

#include <cstddef>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "common/http/request.h"
#include "common/http/response.h"
#include "common/http/websocket_stream.h"

namespace skald::common::http {

// Loki's default -server.grpc-max-recv-msg-size (100 MiB); a larger body is
// rejected with 413 before the handler runs.
inline constexpr size_t kDefaultBodyLimit = 100u << 20;

using Handler = std::function<Response(const Request&)>;
// Returning a Response rejects the upgrade (e.g. 400); returning a stream
// accepts it and the transport pumps the stream's frames.
using WebSocketHandler =
    std::function<std::variant<Response, std::unique_ptr<WebSocketStream>>(const Request&)>;

struct RouteOptions {
  // Value of the `route` label in request metrics; empty: derived from the
  // pattern like Loki does ("/loki/api/v1/push" -> "loki_api_v1_push").
  std::string name;
  // Largest accepted request body in bytes; larger -> 413.
  size_t body_limit = kDefaultBodyLimit;
};

struct Route {
  std::vector<std::string> methods;
  std::string pattern;
  std::vector<std::string> segments;  // pattern split at '/'
  RouteOptions options;
  Handler handler;             // set for plain HTTP routes
  WebSocketHandler websocket;  // set for WebSocket routes
};

class Router {
 public:
  Router() = default;
  Router(const Router&) = delete;
  Router& operator=(const Router&) = delete;

  void Handle(std::initializer_list<std::string> methods, std::string pattern, Handler handler,
              RouteOptions options = {});
  void Handle(std::vector<std::string> methods, std::string pattern, Handler handler,
              RouteOptions options = {});
  // A GET route that upgrades to WebSocket.
  void HandleWebSocket(std::string pattern, WebSocketHandler handler, RouteOptions options = {});

  struct Match {
    const Route* route = nullptr;     // null: no route for this method and path
    bool path_known = false;          // some route matches the path (405 if route is null)
    std::map<std::string, std::string> path_params;
    std::vector<std::string> allowed;  // methods allowed on the path
  };
  // Finds the route for `method` and decoded `path`. A WebSocket route is only
  // returned when `websocket_upgrade` is true; otherwise plain routes.
  Match Find(std::string_view method, std::string_view path, bool websocket_upgrade = false) const;

  // Finds the plain route for req->method/path, fills req->path_params and
  // runs the handler; 404/405 responses when nothing matches. Does not parse
  // the target: req->path must be set (see ParseTargetAndForm).
  Response Dispatch(Request* req) const;

  // The route label for metrics ("other" when nothing matched).
  static std::string RouteLabel(const Match& match);

 private:
  std::vector<std::unique_ptr<Route>> routes_;
};

// 404 as Go's http.NotFound writes it.
Response NotFoundResponse();
// 405 as gorilla/mux writes it (empty body), plus an Allow header.
Response MethodNotAllowedResponse(const std::vector<std::string>& allowed);

}  // namespace skald::common::http
