#include "server/server.h"

#include <signal.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>
#include <system_error>

#include "common/clock.h"
#include "common/http/http_server.h"
#include "common/json_writer.h"
#include "common/logging.h"
#include "common/process_metrics.h"
#include "common/thread_pool.h"
#include "server/api/query_handler.h"
#include "server/api/tail_handler.h"
#include "server/api/volume_handler.h"
#include "server/api/write_path.h"
#include "server/logql/engine.h"
#include "server/query/store_querier.h"

namespace skald::server {

using common::Status;
using common::http::Request;
using common::http::Response;

namespace {

std::string CompilerVersion() {
#if defined(__clang__)
  return std::string("clang ") + __clang_version__;
#elif defined(__GNUC__)
  return std::string("gcc ") + __VERSION__;
#else
  return "unknown";
#endif
}

Response BuildInfo(const Request&) {
  std::string out;
  common::JsonWriter w(&out);
  w.BeginObject()
      .Key("version").String(SKALD_VERSION)
      .Key("revision").String(SKALD_REVISION)
      .Key("branch").String(SKALD_BRANCH)
      .Key("buildUser").String("")
      .Key("buildDate").String(SKALD_BUILD_DATE)
      .Key("goVersion").String(CompilerVersion())
      .EndObject();
  return Response::Json(200, out);
}

Response LogLevelMessage(int status, std::string_view outcome, std::string msg) {
  std::string out;
  common::JsonWriter w(&out);
  w.BeginObject().Key("status").String(outcome).Key("message").String(msg).EndObject();
  return Response::Json(status, out);
}

Response LogLevel(const Request& req) {
  if (req.method == "GET") return LogLevelMessage(200, "success", "Current log level is " + common::GetLogLevel());
  std::string level(req.Param("log_level"));
  Status s = common::SetLogLevel(level);
  if (!s.ok()) return LogLevelMessage(400, "failed", "Invalid log level: " + level);
  spdlog::info("log level set to {}", level);
  return LogLevelMessage(200, "success", "Log level set to " + level);
}

common::http::HttpServerOptions HttpOptions(const Options& o) {
  common::http::HttpServerOptions h;
  h.address = o.server.http_listen_address;
  h.port = static_cast<uint16_t>(o.server.http_listen_port);
  h.io_threads = o.server.http_io_threads;
  h.worker_threads = o.server.http_worker_threads;
  auto ms = [](int64_t ns) { return std::chrono::milliseconds(ns / 1'000'000); };
  h.read_timeout = ms(o.server.http_server_read_timeout);
  h.write_timeout = ms(o.server.http_server_write_timeout);
  h.idle_timeout = ms(o.server.http_server_idle_timeout);
  return h;
}

}  // namespace

std::string VersionString() {
  return std::string("skald, version ") + SKALD_VERSION + " (branch: " + SKALD_BRANCH +
         ", revision: " + SKALD_REVISION + ")\n  build date: " + SKALD_BUILD_DATE +
         "\n  compiler: " + CompilerVersion();
}

Server::Server(Options options) : options_(std::move(options)) {}

Server::~Server() { Shutdown(); }

void Server::AddService(std::string name, std::function<Status()> start, std::function<void()> stop) {
  services_.push_back(Service{std::move(name), std::move(start), std::move(stop), false});
}

uint16_t Server::port() const { return http_ ? http_->port() : 0; }

Status Server::RegisterApi() {
  // Ingest, query, store and compactor wiring goes here: construct the
  // subsystems from options_, AddService(...) them, and register their
  // routes on router_ (e.g. api::PushHandler::Register(&router_)).
  api::WritePathOptions wp;
  wp.data_dir = options_.common.path_prefix;
  wp.wal_dir = options_.ingester.wal.dir;
  wp.wal_enabled = options_.ingester.wal.enabled;
  wp.wal_sync_mode = options_.ingester.wal.sync_mode;
  wp.ingester.stream.chunk_target_size = static_cast<uint64_t>(options_.ingester.chunk_target_size);
  wp.ingester.stream.max_chunk_age_ns = options_.ingester.max_chunk_age;
  wp.ingester.stream.chunk_idle_period_ns = options_.ingester.chunk_idle_period;
  wp.ingester.flush_check_period_ns = options_.ingester.flush_check_period;
  wp.ingester.max_head_memory_bytes = static_cast<uint64_t>(std::max<int64_t>(0, options_.ingester.max_head_memory_bytes));
  wp.ingester.memory_wait_timeout_ns = std::max<int64_t>(0, options_.ingester.memory_wait_timeout);
  wp.ingester.flush_on_shutdown = options_.ingester.wal.flush_on_shutdown;
  wp.chunk_block_size = static_cast<size_t>(options_.ingester.chunk_block_size);
  wp.tenants.auth_enabled = options_.auth_enabled;
  wp.limits = [this](std::string_view t) { return options_.LimitsFor(std::string(t)); };
  auto write_path = api::WritePath::Create(std::move(wp), &metrics_);
  if (!write_path.ok()) return write_path.status();
  write_path_ = std::move(write_path).value();
  write_path_->Register(&router_);
  AddService("ingester", [this] { return write_path_->Start(); }, [this] { write_path_->Stop(); });
  api::VolumeApi volume;
  volume.index = write_path_->index();
  volume.ingester = write_path_->ingester();
  volume.tenants.auth_enabled = options_.auth_enabled;
  volume.limits = [this](std::string_view t) { return options_.LimitsFor(std::string(t)); };
  api::RegisterVolumeRoutes(&router_, std::move(volume));

  query_pool_ = std::make_unique<common::ThreadPool>(
      static_cast<size_t>(std::max(0, options_.query.max_concurrency)));
  querier_ = std::make_unique<query::StoreQuerier>(
      write_path_->index(), write_path_->chunks(), write_path_->ingester(),
      static_cast<size_t>(std::max<int64_t>(0, options_.query.chunk_cache_bytes)));
  engine_ = std::make_unique<logql::Engine>(querier_.get(), query_pool_.get());
  // Once the store is open, fill the chunk cache with the newest chunks in
  // the background: the first queries after a start then do not read every
  // chunk's blooms. Queries are served meanwhile.
  AddService(
      "chunk-cache-warmup",
      [this] {
        warmup_ = std::thread([this] {
          const int64_t t0 = common::Clock::Real()->MonotonicNanos();
          const size_t n = querier_->WarmChunkCache(&warmup_stop_);
          spdlog::info("chunk cache warmed: {} chunks, {} MiB in {} ms", n,
                       querier_->chunk_cache().bytes() >> 20,
                       (common::Clock::Real()->MonotonicNanos() - t0) / 1'000'000);
        });
        return Status::OK();
      },
      [this] {
        warmup_stop_.store(true);
        if (warmup_.joinable()) warmup_.join();
      });
  query_api_ = std::make_unique<api::QueryApi>();
  query_api_->engine = engine_.get();
  query_api_->tenants.auth_enabled = options_.auth_enabled;
  query_api_->limits = [this](std::string_view t) { return options_.LimitsFor(std::string(t)); };
  api::RegisterQueryRoutes(&router_, query_api_.get());
  api::RegisterTailRoutes(&router_, query_api_.get());
  return Status::OK();
}

void Server::RegisterAdminRoutes() {
  router_.Handle({"GET"}, "/ready", [this](const Request&) {
    switch (state_.load()) {
      case State::kRunning: return Response::Text(200, "ready\n");
      case State::kStopping:
      case State::kTerminated: return Response::Text(503, "Application is stopping\n");
      default: return Response::Text(503, "Some services are not Running:\nStarting: 1\n");
    }
  });
  router_.Handle({"GET"}, "/metrics", [this](const Request&) {
    Response r{200, "text/plain; version=0.0.4; charset=utf-8", metrics_.Expose(), {}};
    return r;
  });
  router_.Handle({"GET"}, "/loki/api/v1/status/buildinfo", BuildInfo);
  router_.Handle({"GET"}, "/config", [this](const Request& req) {
    std::string mode(req.Param("mode"));
    if (!mode.empty() && mode != "diffs" && mode != "defaults") {
      return Response::Text(400, "invalid mode \"" + mode + "\" (want diffs or defaults)\n");
    }
    return Response{200, "text/plain; charset=utf-8", options_.ToYaml(mode), {}};
  });
  router_.Handle({"GET"}, "/services", [this](const Request&) {
    const char* state = state_.load() == State::kRunning ? "Running" : "Stopping";
    std::string out = std::string("server => ") + state + "\n";
    for (const auto& s : services_) out += s.name + " => " + (s.started ? state : "New") + "\n";
    return Response::Text(200, out);
  });
  router_.Handle({"GET", "POST"}, "/log_level", LogLevel);
}

Status Server::Start() {
  if (state_.load() != State::kNew) return Status::Internal("server already started");
  state_.store(State::kStarting);
  std::error_code ec;
  std::filesystem::create_directories(options_.common.path_prefix, ec);
  if (ec) return Status::IOError("cannot create data directory: " + ec.message(), options_.common.path_prefix);
  common::RegisterProcessMetrics(&metrics_);
  RegisterAdminRoutes();
  SKALD_RETURN_IF_ERROR(RegisterApi());
  for (auto& s : services_) {
    Status st = s.start ? s.start() : Status::OK();
    if (!st.ok()) {
      spdlog::error("module {} failed to start: {}", s.name, st.ToString());
      StopServices();
      state_.store(State::kTerminated);
      return st;
    }
    s.started = true;
  }
  http_ = std::make_unique<common::http::HttpServer>(HttpOptions(options_), router_, &metrics_);
  Status st = http_->Start();
  if (!st.ok()) {
    StopServices();
    state_.store(State::kTerminated);
    return st;
  }
  state_.store(State::kRunning);
  spdlog::info("Skald started; listening on {}:{}",
               options_.server.http_listen_address.empty() ? "0.0.0.0" : options_.server.http_listen_address,
               http_->port());
  return Status::OK();
}

void Server::StopServices() {
  for (auto it = services_.rbegin(); it != services_.rend(); ++it) {
    if (!it->started) continue;
    spdlog::info("stopping module {}", it->name);
    if (it->stop) it->stop();
    it->started = false;
  }
}

void Server::Shutdown() {
  State s = state_.load();
  if (s != State::kRunning && s != State::kStarting) return;
  state_.store(State::kStopping);
  spdlog::info("Skald stopping: no new connections, finishing in-flight requests");
  if (http_) http_->Stop();
  StopServices();
  state_.store(State::kTerminated);
  spdlog::info("Skald stopped");
}

int RunServer(const Options& options) {
  Status log = common::InitLogging(options.server.log_format, options.server.log_level);
  if (!log.ok()) {
    std::fprintf(stderr, "%s\n", log.message().c_str());
    return 1;
  }
  // Block the shutdown signals in every thread (threads inherit the mask);
  // the main thread waits for them with sigwait.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  spdlog::info("Starting Skald version={}", SKALD_VERSION);
  Server server(options);
  Status st = server.Start();
  if (!st.ok()) {
    spdlog::error("error initialising Skald: {}", st.message());
    return 1;
  }
  int sig = 0;
  sigwait(&signals, &sig);
  spdlog::info("received signal {}, shutting down", sig == SIGINT ? "SIGINT" : "SIGTERM");
  server.Shutdown();
  return 0;
}

}  // namespace skald::server
