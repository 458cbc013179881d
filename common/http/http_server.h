// HttpServer: the HTTP/1.1 + WebSocket transport (Boost.Beast, hidden behind
// a pimpl so includers stay Beast-free).
//
// Shape: N I/O threads run the listener and one coroutine per connection
// (expires_after -> co_await read -> handle -> co_await write -> loop while
// keep-alive). Handlers run on a separate worker pool, so they may block
// (e.g. a push waiting for a WAL fsync) while I/O threads never do. Per-route
// body limits (413), read/write/idle timeouts, request metrics
// (loki_request_duration_seconds{method,route,status_code,ws}).
//
// Concurrency: Start() and Stop() from one controlling thread. The Router
// must outlive the server and must not change after Start().
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "common/http/router.h"
#include "common/status.h"

namespace skald::common {
class MetricsRegistry;
}

namespace skald::common::http {

// Largest request header block; larger -> 431-style close (Go's
// DefaultMaxHeaderBytes is 1 MiB).
inline constexpr size_t kMaxHeaderBytes = 1u << 20;

struct HttpServerOptions {
  // Listen address; "" listens on all IPv4 interfaces (Loki's default).
  std::string address;
  // Listen port; 0 picks an ephemeral port (see HttpServer::port()).
  uint16_t port = 3100;
  // I/O threads running the sockets; 0 = hardware cores.
  int io_threads = 0;
  // Threads running handlers; 0 = 4 x hardware cores.
  int worker_threads = 0;
  // Reading one request (headers of the first request, and every body).
  std::chrono::milliseconds read_timeout{30'000};
  // Writing one response.
  std::chrono::milliseconds write_timeout{30'000};
  // Waiting for the next request on a keep-alive connection.
  std::chrono::milliseconds idle_timeout{120'000};
  // Stop() waits at most this long for in-flight requests before closing.
  std::chrono::milliseconds shutdown_timeout{30'000};
};

class HttpServer {
 public:
  // `router` must outlive the server. `metrics` may be null (no metrics).
  HttpServer(HttpServerOptions options, const Router& router, MetricsRegistry* metrics);
  ~HttpServer();  // Stop()s if running.
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds, listens and starts the threads. IOError naming the address when
  // the address cannot be resolved or bound.
  Status Start();
  // The bound port (valid after a successful Start()).
  uint16_t port() const;
  // Stops accepting, closes idle connections, lets in-flight requests finish
  // (up to shutdown_timeout), then joins all threads. Idempotent.
  void Stop();

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace skald::common::http
