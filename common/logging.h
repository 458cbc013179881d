// Process-wide logging on spdlog, formatted like Loki's own logs:
//   logfmt: level=info ts=2026-11-22T01:02:03.123456789Z caller=server.cc:42 msg="listening"
//   json:   {"level":"info","ts":"2026-...Z","caller":"server.cc:42","msg":"listening"}
// Lines go to stderr. Use spdlog's SPDLOG_INFO(...) macros to get `caller`
// (plain spdlog::info omits it).
//
// Concurrency: InitLogging once at start (before other threads log);
// SetLogLevel/GetLogLevel and logging itself are thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace skald::common {

// Installs the default logger. `format` is "logfmt" or "json"; `level` is
// "debug", "info", "warn" or "error". InvalidArgument naming the bad value
// otherwise (nothing is changed then).
Status InitLogging(std::string_view format, std::string_view level);

// Changes the level at runtime (POST /log_level). InvalidArgument for an
// unknown level.
Status SetLogLevel(std::string_view level);
// The current level name ("debug", "info", "warn", "error").
std::string GetLogLevel();

// Checks a level or format name without changing anything.
bool IsValidLogLevel(std::string_view level);
bool IsValidLogFormat(std::string_view format);

// One formatted line without the trailing newline (exposed for tests).
// `caller` may be empty (then the key is omitted).
std::string FormatLogLine(std::string_view format, std::string_view level, int64_t ts_ns, std::string_view caller,
                          std::string_view msg);

}  // namespace skald::common
