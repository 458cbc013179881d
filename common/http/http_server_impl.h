// Internal to common/http: the state shared by HttpServer's listener and its
// connection coroutines. Includes Asio/Beast; never include it from outside
// common/http.
//
// Concurrency: each connection's socket lives on its own strand; `sessions`
// and `active` are guarded by `mu`; `stopping` is atomic.
#pragma once

#include <utility>  // before Asio: Boost 1.74 + GCC 12 wrinkle

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <type_traits>
#include <thread>
#include <vector>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>

#include "common/http/http_server.h"
#include "common/metrics.h"

namespace skald::common::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;

// One live connection as Stop() sees it; lives in the session coroutine's
// frame and is touched only on the connection's strand (except the map).
struct SessionSlot {
  beast::tcp_stream* stream = nullptr;  // null once handed to a WebSocket session
  asio::any_io_executor executor;       // the connection's strand
  bool idle = false;  // waiting for the next request: safe to close on Stop
};

struct HttpServer::Impl {
  Impl(HttpServerOptions o, const Router& r, MetricsRegistry* m);

  // Runs f() on the worker pool and resumes the caller on its own executor.
  // (The result travels wrapped in std::optional: co_spawn needs a default-
  // constructible value type.)
  template <typename F>
  asio::awaitable<decltype(std::declval<F&>()())> OnWorkers(F f) {
    using T = decltype(f());
    if constexpr (std::is_void_v<T>) {
      co_await asio::co_spawn(
          workers.get_executor(),
          [f = std::move(f)]() mutable -> asio::awaitable<void> {
            f();
            co_return;
          },
          asio::use_awaitable);
    } else {
      std::optional<T> r = co_await asio::co_spawn(
          workers.get_executor(),
          [f = std::move(f)]() mutable -> asio::awaitable<std::optional<T>> { co_return std::optional<T>(f()); },
          asio::use_awaitable);
      co_return std::move(*r);
    }
  }

  void Register(uint64_t id, SessionSlot* slot);
  void Unregister(uint64_t id);
  void Observe(const std::string& method, const std::string& route, int status, bool ws, double seconds);

  const HttpServerOptions options;
  const Router& router;
  std::atomic<bool> stopping{false};
  std::atomic<uint64_t> next_session_id{1};
  uint16_t bound_port = 0;
  bool started = false;
  bool stopped = false;

  Family<Histogram>* request_duration = nullptr;  // null without a registry
  Family<Counter>* requests_total = nullptr;
  Gauge* connections = nullptr;

  std::mutex mu;
  std::condition_variable sessions_done;
  std::map<uint64_t, SessionSlot*> sessions;  // guarded by mu

  asio::thread_pool workers;
  std::vector<std::thread> io_threads;
  asio::io_context ioc;  // declared last: destroyed first, with its coroutine frames
  tcp::acceptor acceptor{ioc};
};

// The connection coroutine (http_session.cc). Owns `socket`.
asio::awaitable<void> RunSession(HttpServer::Impl* impl, tcp::socket socket);

}  // namespace skald::common::http
