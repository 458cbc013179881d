#include "common/logging.h"

#include <doctest/doctest.h>

namespace skald::common {
namespace {

constexpr int64_t kTs = 1700000000123456789;

TEST_CASE("logfmt lines carry level, ts, caller and a quoted msg") {
  CHECK(FormatLogLine("logfmt", "info", kTs, "server.cc:42", "server listening") ==
        "level=info ts=2023-11-14T22:13:20.123456789Z caller=server.cc:42 msg=\"server listening\"");
}

TEST_CASE("logfmt leaves a simple msg unquoted and omits an empty caller") {
  CHECK(FormatLogLine("logfmt", "warn", kTs, "", "stopping") == "level=warn ts=2023-11-14T22:13:20.123456789Z msg=stopping");
}

TEST_CASE("json log lines are escaped JSON objects") {
  CHECK(FormatLogLine("json", "error", kTs, "a.cc:1", "bad \"x\"") ==
        "{\"level\":\"error\",\"ts\":\"2023-11-14T22:13:20.123456789Z\",\"caller\":\"a.cc:1\",\"msg\":\"bad \\\"x\\\"\"}");
}

TEST_CASE("InitLogging rejects an unknown level or format") {
  CHECK(InitLogging("logfmt", "verbose").HttpStatus() == 400);
  CHECK(InitLogging("xml", "info").HttpStatus() == 400);
  CHECK(InitLogging("logfmt", "warn").ok());
  CHECK(GetLogLevel() == "warn");
  CHECK(SetLogLevel("debug").ok());
  CHECK(GetLogLevel() == "debug");
  CHECK_FALSE(SetLogLevel("loud").ok());
  CHECK(InitLogging("logfmt", "info").ok());
}

}  // namespace
}  // namespace skald::common
