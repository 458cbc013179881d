// skald-agent: a Promtail-compatible log tailing agent.
//
// Flags use Promtail's single-dash long form (-config.file=x); they are
// rewritten to CLI11's --config.file=x before parsing.
#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <malloc.h>

#include <csignal>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "agent/agent.h"
#include "agent/options.h"
#include "common/logging.h"

namespace {

// Build identity macros are defined only for the server's TU (common/CMakeLists.txt).
constexpr const char* kVersion = "0.1.0";

std::vector<std::string> RewriteArgs(int argc, char** argv) {
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a.size() > 2 && a[0] == '-' && a[1] != '-' && std::isalpha(static_cast<unsigned char>(a[1])) &&
        a != "-h") {
      a = "-" + a;
    }
    args.push_back(std::move(a));
  }
  std::reverse(args.begin(), args.end());  // CLI11 parses a reversed vector
  return args;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace skald;
  // Memory (the agent runs on every host; target <= 30 MiB RSS): lines are
  // allocated by the reader thread and freed by the client's sender thread,
  // so per-thread malloc arenas (up to 8 x cores, 64 MiB of address space
  // each) only add fragmentation; two suffice for these few threads. (A
  // fixed M_MMAP_THRESHOLD was tried too: it also pins the trim threshold,
  // and the heap was trimmed and faulted back in per batch for no RSS gain.)
  mallopt(M_ARENA_MAX, 1);
  CLI::App app{"skald-agent: tails log files and pushes them to Skald or Loki"};
  std::string config_file, positions_file, client_url, log_level;
  bool expand_env = false, dry_run = false, version = false, check = false;
  int64_t port = -1;
  app.add_option("--config.file", config_file, "Promtail-style YAML config file");
  app.add_flag("--config.expand-env", expand_env, "expand ${VAR} in the config file");
  app.add_flag("--dry-run", dry_run, "print entries instead of pushing; positions are not saved");
  app.add_flag("--check-syntax", check, "validate the config file and exit");
  app.add_option("--server.http-listen-port", port, "HTTP port for /ready and /metrics");
  app.add_option("--positions.file", positions_file, "positions file");
  app.add_option("--client.url", client_url, "push URL (replaces the clients list)");
  app.add_option("--log.level", log_level, "debug, info, warn, error");
  app.add_flag("--version", version, "print the version and exit");
  try {
    app.parse(RewriteArgs(argc, argv));
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (version) {
    std::cout << "skald-agent, version " << kVersion << "\n";
    return 0;
  }
  common::Result<agent::AgentOptions> opts =
      config_file.empty() ? common::Result<agent::AgentOptions>(agent::DefaultAgentOptions())
                          : agent::LoadAgentOptions(config_file, expand_env);
  if (!opts.ok()) {
    std::cerr << "error loading config: " << opts.status().message() << "\n";
    return 1;
  }
  if (check) {
    std::cout << "Valid config file! No syntax issues found\n";
    return 0;
  }
  if (port >= 0) opts->server.http_listen_port = port;
  if (!positions_file.empty()) opts->positions.filename = positions_file;
  if (!client_url.empty()) {
    agent::client::ClientConfig c =
        opts->clients.empty() ? agent::client::ClientConfig{} : opts->clients[0];
    c.url = client_url;
    opts->clients = {c};
  }
  if (!log_level.empty()) opts->server.log_level = log_level;
  common::Status ls = common::InitLogging(opts->server.log_format, opts->server.log_level);
  if (!ls.ok()) {
    std::cerr << "error: " << ls.message() << "\n";
    return 1;
  }
  if (opts->clients.empty() && !dry_run) {
    std::cerr << "error: no clients configured (set clients: or -client.url)\n";
    return 1;
  }

  // Block the stop signals before any thread starts; wait for them below.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);

  agent::AgentRunOptions run;
  run.dry_run = dry_run;
  agent::Agent a(std::move(*opts), run);
  common::Status s = a.Start();
  if (!s.ok()) {
    std::cerr << "error starting agent: " << s.message() << "\n";
    return 1;
  }
  spdlog::info("skald-agent started: http_port={}", a.http_port());
  int sig = 0;
  sigwait(&set, &sig);
  spdlog::info("received signal, shutting down: signal={}", sig);
  a.Stop();
  return 0;
}
