// Server: the `skald` process. Owns the metrics registry, the router, the
// HTTP transport and the subsystems (services) that other parts plug in:
// RegisterApi() is where the ingest/query/store wiring adds its routes and
// services. Admin routes (/ready, /metrics, /config, /services, /log_level,
// buildinfo) are registered here.
//
// Lifecycle: Start() -> Running -> Shutdown() (from the main thread on
// SIGINT/SIGTERM): /ready turns 503 "Application is stopping", the listener
// stops accepting, in-flight requests finish, then services stop in reverse
// start order.
//
// Concurrency: Start/Shutdown from one thread; handlers run concurrently on
// the HTTP worker pool and only read state that is constant after Start or
// atomic.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "common/http/router.h"
#include "common/metrics.h"
#include "common/status.h"
#include "server/options.h"

namespace skald::common::http {
class HttpServer;
}
namespace skald::common {
class ThreadPool;
}
namespace skald::server::api {
class WritePath;
struct QueryApi;
}
namespace skald::server::logql {
class Engine;
}
namespace skald::server::query {
class StoreQuerier;
}

namespace skald::server {

class Server {
 public:
  explicit Server(Options options);
  ~Server();  // Shutdown()s if still running.
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // A subsystem with a Loki module name (shown by GET /services). `start`
  // runs in registration order during Start(); `stop` in reverse order
  // during Shutdown(). Register before Start().
  void AddService(std::string name, std::function<common::Status()> start, std::function<void()> stop);

  // Creates the data directory, registers routes, starts services, then
  // listens. Error (nothing left running) if any step fails.
  common::Status Start();
  // Graceful stop; idempotent.
  void Shutdown();

  // Bound HTTP port (after Start).
  uint16_t port() const;
  const Options& options() const { return options_; }
  common::MetricsRegistry* metrics() { return &metrics_; }
  common::http::Router* router() { return &router_; }
  // The write path (index, chunk store, ingester); set once Start() has run
  // RegisterApi, null before.
  api::WritePath* write_path() { return write_path_.get(); }

 private:
  enum class State : uint8_t { kNew = 0, kStarting = 1, kRunning = 2, kStopping = 3, kTerminated = 4 };
  struct Service {
    std::string name;
    std::function<common::Status()> start;
    std::function<void()> stop;
    bool started = false;
  };

  // The place where the ingest/query/store engineers add their routes and
  // services (push, query, labels, tail, ...).
  common::Status RegisterApi();
  void RegisterAdminRoutes();
  void StopServices();

  // Constant after construction.
  const Options options_;
  // Routes and services are set up in Start() before the listener starts.
  common::MetricsRegistry metrics_;
  common::http::Router router_;
  std::vector<Service> services_;
  std::unique_ptr<api::WritePath> write_path_;
  // The read path over write_path_'s index, chunks and ingester.
  std::unique_ptr<common::ThreadPool> query_pool_;
  std::unique_ptr<query::StoreQuerier> querier_;
  // Fills querier_'s chunk cache after the start (service "chunk-cache-warmup").
  std::thread warmup_;
  std::atomic<bool> warmup_stop_{false};
  std::unique_ptr<logql::Engine> engine_;
  std::unique_ptr<api::QueryApi> query_api_;
  std::unique_ptr<common::http::HttpServer> http_;
  std::atomic<State> state_{State::kNew};
};

// Runs the server until SIGINT/SIGTERM, then shuts down gracefully. Returns
// the process exit code (0 after a clean shutdown, 1 when start failed).
int RunServer(const Options& options);

// "skald, version 0.1.0 (branch: main, revision: abc)" plus build details.
std::string VersionString();

}  // namespace skald::server
