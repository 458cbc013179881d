#include "common/logging.h"

#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <mutex>

#include "common/json_writer.h"
#include "common/labels.h"
#include "common/time.h"

namespace skald::common {

namespace {

bool ParseLevel(std::string_view level, spdlog::level::level_enum* out) {
  if (level == "debug") {
    *out = spdlog::level::debug;
  } else if (level == "info") {
    *out = spdlog::level::info;
  } else if (level == "warn") {
    *out = spdlog::level::warn;
  } else if (level == "error") {
    *out = spdlog::level::err;
  } else {
    return false;
  }
  return true;
}

std::string_view LevelName(spdlog::level::level_enum l) {
  switch (l) {
    case spdlog::level::trace:
    case spdlog::level::debug: return "debug";
    case spdlog::level::info: return "info";
    case spdlog::level::warn: return "warn";
    default: return "error";
  }
}

// logfmt values are quoted when empty or when they hold a space, '=', '"'
// or a control character (go-logfmt's rule).
void AppendLogfmtValue(std::string* out, std::string_view v) {
  bool quote = v.empty();
  for (unsigned char c : v) {
    if (c <= ' ' || c == '=' || c == '"' || c == 0x7f) quote = true;
  }
  if (quote) {
    AppendGoQuoted(out, v);
  } else {
    out->append(v);
  }
}

std::string_view BaseName(const char* path) {
  std::string_view p(path == nullptr ? "" : path);
  size_t slash = p.rfind('/');
  return slash == std::string_view::npos ? p : p.substr(slash + 1);
}

class LokiSink : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit LokiSink(std::string format) : format_(std::move(format)) {}

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    int64_t ns = std::chrono::duration_cast<std::chrono::nanoseconds>(msg.time.time_since_epoch()).count();
    std::string caller;
    if (!msg.source.empty()) {
      caller = std::string(BaseName(msg.source.filename)) + ":" + std::to_string(msg.source.line);
    }
    std::string line = FormatLogLine(format_, LevelName(msg.level), ns, caller,
                                     std::string_view(msg.payload.data(), msg.payload.size()));
    line.push_back('\n');
    std::fwrite(line.data(), 1, line.size(), stderr);
  }
  void flush_() override { std::fflush(stderr); }

 private:
  const std::string format_;
};

}  // namespace

bool IsValidLogLevel(std::string_view level) {
  spdlog::level::level_enum l;
  return ParseLevel(level, &l);
}

bool IsValidLogFormat(std::string_view format) { return format == "logfmt" || format == "json"; }

std::string FormatLogLine(std::string_view format, std::string_view level, int64_t ts_ns, std::string_view caller,
                          std::string_view msg) {
  std::string out;
  std::string ts = FormatRFC3339Nano(ts_ns);
  if (format == "json") {
    JsonWriter w(&out);
    w.BeginObject().Key("level").String(level).Key("ts").String(ts);
    if (!caller.empty()) w.Key("caller").String(caller);
    w.Key("msg").String(msg).EndObject();
    return out;
  }
  out.append("level=").append(level).append(" ts=").append(ts);
  if (!caller.empty()) {
    out.append(" caller=");
    AppendLogfmtValue(&out, caller);
  }
  out.append(" msg=");
  AppendLogfmtValue(&out, msg);
  return out;
}

Status InitLogging(std::string_view format, std::string_view level) {
  if (!IsValidLogFormat(format)) {
    return Status::InvalidArgument("invalid log format \"" + std::string(format) + "\" (want logfmt or json)");
  }
  spdlog::level::level_enum l;
  if (!ParseLevel(level, &l)) {
    return Status::InvalidArgument("invalid log level \"" + std::string(level) +
                                   "\" (want debug, info, warn or error)");
  }
  auto logger = std::make_shared<spdlog::logger>("skald", std::make_shared<LokiSink>(std::string(format)));
  logger->set_level(l);
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
  return Status::OK();
}

Status SetLogLevel(std::string_view level) {
  spdlog::level::level_enum l;
  if (!ParseLevel(level, &l)) {
    return Status::InvalidArgument("invalid log level \"" + std::string(level) + "\"");
  }
  spdlog::set_level(l);
  return Status::OK();
}

std::string GetLogLevel() { return std::string(LevelName(spdlog::get_level())); }

}  // namespace skald::common
