// Options: every server setting, with Loki's YAML key names and defaults.
// Loaded from a YAML file (-config.file) strictly (an unknown key or a wrong
// type is an error naming file:line and key), then overridden by flags
// (Loki's single-dash long flags). Options::ToYaml renders the effective
// config for GET /config.
//
// A plain value type: build once at start, then read-only from any thread.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "common/tenant_limits.h"

namespace skald::server {

struct ServerOptions {
  std::string http_listen_address;  // "" = all interfaces
  int http_listen_port = 3100;      // 0 = ephemeral
  int grpc_listen_port = 9095;      // accepted for Loki compatibility; unused (no gRPC)
  int64_t http_server_read_timeout = 30 * common::kLimitSecond;    // ns
  int64_t http_server_write_timeout = 30 * common::kLimitSecond;   // ns
  int64_t http_server_idle_timeout = 120 * common::kLimitSecond;   // ns
  std::string log_level = "info";    // debug, info, warn, error
  std::string log_format = "logfmt";  // logfmt or json
  int http_io_threads = 0;      // Skald: socket threads; 0 = cores
  int http_worker_threads = 0;  // Skald: handler threads; 0 = 4 x cores
};

struct CommonOptions {
  std::string path_prefix = "./data";  // root of all data (wal, chunks, index)
};

struct WalOptions {
  bool enabled = true;             // write-ahead log for acknowledged pushes
  std::string dir;                 // "" = <path_prefix>/wal
  std::string sync_mode = "group";  // "group": fsync before ack (group commit); "none": no fsync
  bool flush_on_shutdown = true;   // flush all chunks on a clean shutdown
};

struct IngesterOptions {
  int64_t chunk_target_size = 1572864;            // compressed bytes that seal a chunk
  int64_t chunk_block_size = 262144;              // uncompressed bytes per block
  int64_t max_chunk_age = common::kLimitHour;     // ns; older chunks are flushed
  int64_t chunk_idle_period = 30 * common::kLimitMinute;  // ns; idle chunks are flushed
  int64_t flush_check_period = 30 * common::kLimitSecond;  // ns; how often flush conditions are checked
  int64_t max_head_memory_bytes = 48ll << 20;  // Skald: unflushed bytes in memory past which heads are compressed early, then chunks sealed; 0 = off
  int64_t memory_wait_timeout = 5 * common::kLimitSecond;  // Skald: ns a push waits while memory is over 2x the budget, then 429
  WalOptions wal;
};

struct RuntimeConfigOptions {
  std::string file;  // YAML with `overrides: {<tenant>: {<limits_config keys>}}`; "" = none
};

struct QueryOptions {
  int max_concurrency = 0;  // parallel query tasks; 0 = cores
  int64_t chunk_cache_bytes = 64ll << 20;  // Skald: opened chunks' indexes and blooms kept between queries; 0 = off
};

struct CompactorOptions {
  bool retention_enabled = false;  // apply retention_period and delete requests
  std::string working_directory;   // "" = <path_prefix>/compactor
};

struct Options {
  bool auth_enabled = false;  // false: every request is tenant "fake"
  ServerOptions server;
  CommonOptions common;
  IngesterOptions ingester;
  common::TenantLimits limits_config;
  RuntimeConfigOptions runtime_config;
  QueryOptions query;
  CompactorOptions compactor;

  // Per-tenant limits from runtime_config.file (filled by LoadRuntimeConfig).
  std::map<std::string, common::TenantLimits> tenant_overrides;

  // Limits for `tenant`: its override if any, else limits_config.
  const common::TenantLimits& LimitsFor(const std::string& tenant) const;

  // The config as YAML. mode "" = effective values, "defaults" = defaults,
  // "diffs" = only values that differ from the defaults.
  std::string ToYaml(std::string_view mode = {}) const;
};

// Parses YAML `text` (named `filename` in errors) over the defaults.
// InvalidArgument like `config.yaml:12: unknown key "chunk_taget_size" in
// ingester` or `config.yaml:3: cannot parse "abc" as int for
// server.http_listen_port`.
common::Result<Options> ParseYamlConfig(std::string_view text, std::string_view filename);

// Expands ${VAR}, ${VAR:-default} and $VAR from the environment (Loki's
// -config.expand-env); unset variables become "" (or the default).
std::string ExpandEnv(std::string_view text);

// Loads options->runtime_config.file (if set) into tenant_overrides; each
// tenant starts from limits_config. Errors name the file and line.
common::Status LoadRuntimeConfig(Options* options);

// What the command line asked for.
struct CommandLine {
  Options options;
  bool show_version = false;
  bool show_help = false;
  std::string help;  // usage text when show_help
};

// Parses argv (Loki-style `-flag=value` / `-flag value` or `--flag`), loads
// -config.file (with -config.expand-env), applies flags over the file, loads
// the runtime config and validates. InvalidArgument with a readable message
// on any error.
common::Result<CommandLine> ParseCommandLine(const std::vector<std::string>& args);

// "256KB" -> 256000, "1MiB" -> 1048576, "42" -> 42 (go-humanize ParseBytes).
common::Result<int64_t> ParseByteSize(std::string_view s);
// go-humanize Bytes: 256000 -> "256 kB", 3000000 -> "3.0 MB".
std::string FormatByteSize(int64_t bytes);

}  // namespace skald::server
