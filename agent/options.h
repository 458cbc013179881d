// AgentOptions: skald-agent's configuration, read from Promtail's YAML format
// (server, positions, clients, scrape_configs, limits_config, target_config)
// so a Promtail config can be used unchanged. Parsing is strict: an unknown
// key or a bad value fails with `file:line: key.path: message`.
//
// Plain value types; safe to copy. Defaults are Promtail's except where noted.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "agent/client/client_config.h"
#include "common/status.h"

namespace skald::agent {

struct ServerOptions {
  // Promtail defaults to 80; Skald defaults to 9080 (the port Promtail's docs
  // and examples use) so the agent runs unprivileged.
  int64_t http_listen_port = 9080;
  std::string http_listen_address;  // "" = all interfaces
  int64_t grpc_listen_port = 0;     // accepted for compatibility; unused
  std::string log_level = "info";   // debug, info, warn, error
  std::string log_format = "logfmt";  // logfmt or json
  bool disable = false;             // do not serve HTTP at all
};

struct PositionsOptions {
  std::string filename = "/var/log/positions.yaml";  // Promtail's default
  int64_t sync_period_ns = 10'000'000'000;
  bool ignore_invalid_yaml = false;
};

struct StaticConfig {
  std::vector<std::string> targets;  // informational (Promtail: localhost)
  std::map<std::string, std::string> labels;  // incl. __path__, __path_exclude__
};

struct ScrapeConfig {
  std::string job_name;
  std::vector<StaticConfig> static_configs;
  YAML::Node pipeline_stages;  // validated at load; built per file
  std::string file;            // config file name, for stage errors
};

struct LimitsOptions {
  bool readline_rate_enabled = false;
  double readline_rate = 10000;   // lines/s
  int64_t readline_burst = 10000;
  bool readline_rate_drop = true;  // drop above the rate (false: wait)
  int64_t max_streams = 0;         // 0 = unlimited
  int64_t max_line_size = 0;       // bytes; 0 = unlimited
  bool max_line_size_truncate = false;
};

struct TargetOptions {
  int64_t sync_period_ns = 10'000'000'000;  // re-glob interval
};

struct AgentOptions {
  ServerOptions server;
  PositionsOptions positions;
  std::vector<client::ClientConfig> clients;
  std::vector<ScrapeConfig> scrape_configs;
  LimitsOptions limits;
  TargetOptions target;
};

// The config used without -config.file: tail Docker json-file logs with the
// docker stage and push to http://127.0.0.1:3100/loki/api/v1/push.
AgentOptions DefaultAgentOptions();

// Parses YAML `text` (named `file` in errors). With `expand_env`, ${VAR} and
// ${VAR:-default} are replaced from the environment first (Promtail's
// -config.expand-env). InvalidArgument on any error.
common::Result<AgentOptions> ParseAgentOptions(const std::string& text, const std::string& file,
                                               bool expand_env);
// Reads and parses `path`. IOError when unreadable.
common::Result<AgentOptions> LoadAgentOptions(const std::string& path, bool expand_env);

// Replaces ${VAR}, ${VAR:-default} and $VAR from the environment.
std::string ExpandEnv(const std::string& text);

}  // namespace skald::agent
