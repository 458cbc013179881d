#include "common/http/http_server_impl.h"

#include <spdlog/spdlog.h>

#include <boost/asio/redirect_error.hpp>

namespace skald::common::http {

namespace {

int ResolveThreads(int requested, int per_core) {
  if (requested > 0) return requested;
  int cores = static_cast<int>(std::thread::hardware_concurrency());
  return std::max(1, cores) * per_core;
}

asio::awaitable<void> AcceptLoop(HttpServer::Impl* impl) {
  for (;;) {
    tcp::socket socket(asio::make_strand(impl->ioc));
    boost::system::error_code ec;
    co_await impl->acceptor.async_accept(socket, asio::redirect_error(asio::use_awaitable, ec));
    if (impl->stopping.load() || ec == asio::error::operation_aborted) co_return;
    if (ec) {
      // E.g. out of file descriptors: back off briefly instead of spinning.
      spdlog::warn("http: accept failed: {}", ec.message());
      asio::steady_timer t(impl->ioc, std::chrono::milliseconds(50));
      co_await t.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    auto ex = socket.get_executor();
    asio::co_spawn(ex, RunSession(impl, std::move(socket)), [](std::exception_ptr e) {
      if (!e) return;
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        spdlog::warn("http: connection ended by exception: {}", ex.what());
      } catch (...) {
        spdlog::warn("http: connection ended by unknown exception");
      }
    });
  }
}

}  // namespace

HttpServer::Impl::Impl(HttpServerOptions o, const Router& r, MetricsRegistry* m)
    : options(std::move(o)),
      router(r),
      workers(static_cast<size_t>(ResolveThreads(options.worker_threads, 4))),
      ioc(ResolveThreads(options.io_threads, 1)) {
  if (m != nullptr) {
    request_duration = m->AddHistogram("loki_request_duration_seconds", "Time (in seconds) spent serving HTTP requests.",
                                       {"method", "route", "status_code", "ws"});
    requests_total = m->AddCounter("skald_http_requests_total", "Total HTTP requests served.",
                                   {"method", "route", "status_code"});
    connections = m->AddGauge("loki_tcp_connections", "Current number of accepted TCP connections.",
                              {"protocol"})
                      ->WithLabels({"http"});
  }
}

void HttpServer::Impl::Register(uint64_t id, SessionSlot* slot) {
  std::lock_guard<std::mutex> lock(mu);
  sessions[id] = slot;
  if (connections) connections->Inc();
}

void HttpServer::Impl::Unregister(uint64_t id) {
  std::lock_guard<std::mutex> lock(mu);
  sessions.erase(id);
  if (connections) connections->Dec();
  if (sessions.empty()) sessions_done.notify_all();
}

void HttpServer::Impl::Observe(const std::string& method, const std::string& route, int status, bool ws,
                               double seconds) {
  if (request_duration == nullptr) return;
  std::string code = std::to_string(status);
  request_duration->WithLabels({method, route, code, ws ? "true" : "false"})->Observe(seconds);
  requests_total->WithLabels({method, route, code})->Inc();
}

HttpServer::HttpServer(HttpServerOptions options, const Router& router, MetricsRegistry* metrics)
    : impl_(std::make_unique<Impl>(std::move(options), router, metrics)) {}

HttpServer::~HttpServer() { Stop(); }

Status HttpServer::Start() {
  if (impl_->started) return Status::Internal("http server already started");
  const std::string host = impl_->options.address.empty() ? "0.0.0.0" : impl_->options.address;
  const std::string where = host + ":" + std::to_string(impl_->options.port);
  boost::system::error_code ec;
  tcp::resolver resolver(impl_->ioc);
  auto results = resolver.resolve(host, std::to_string(impl_->options.port),
                                  tcp::resolver::passive | tcp::resolver::numeric_service, ec);
  if (ec || results.empty()) return Status::IOError("listen tcp " + where + ": " + ec.message());
  tcp::endpoint endpoint = results.begin()->endpoint();
  auto& acc = impl_->acceptor;
  acc.open(endpoint.protocol(), ec);
  if (!ec) acc.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acc.bind(endpoint, ec);
  if (!ec) acc.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return Status::IOError("listen tcp " + where + ": bind: " + ec.message());
  impl_->bound_port = acc.local_endpoint().port();
  impl_->started = true;
  asio::co_spawn(impl_->ioc, AcceptLoop(impl_.get()), asio::detached);
  int n = ResolveThreads(impl_->options.io_threads, 1);
  for (int i = 0; i < n; ++i) impl_->io_threads.emplace_back([this] { impl_->ioc.run(); });
  return Status::OK();
}

uint16_t HttpServer::port() const { return impl_->bound_port; }

void HttpServer::Stop() {
  Impl& s = *impl_;
  if (!s.started || s.stopped) return;
  s.stopped = true;
  s.stopping.store(true);
  asio::post(s.ioc, [&s] {
    boost::system::error_code ec;
    s.acceptor.close(ec);
  });
  {
    std::unique_lock<std::mutex> lock(s.mu);
    for (const auto& [id, slot] : s.sessions) {
      uint64_t session_id = id;
      asio::post(slot->executor, [&s, session_id] {
        std::lock_guard<std::mutex> inner(s.mu);
        auto it = s.sessions.find(session_id);
        SessionSlot* found = it == s.sessions.end() ? nullptr : it->second;
        if (found != nullptr && found->idle && found->stream != nullptr) found->stream->cancel();
      });
    }
    s.sessions_done.wait_for(lock, s.options.shutdown_timeout, [&s] { return s.sessions.empty(); });
  }
  s.ioc.stop();
  for (auto& t : s.io_threads) t.join();
  s.io_threads.clear();
  s.workers.stop();
  s.workers.join();
}

}  // namespace skald::common::http
