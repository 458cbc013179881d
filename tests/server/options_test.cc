#include "server/options.h"

#include <doctest/doctest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace skald::server {
namespace {

std::string ReadSourceFile(const std::string& rel) {
  const char* dir = std::getenv("SKALD_SOURCE_DIR");
  REQUIRE(dir != nullptr);
  std::ifstream in(std::string(dir) + "/" + rel);
  REQUIRE(in.good());
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST_CASE("config/server.yaml parses and equals the defaults") {
  auto o = ParseYamlConfig(ReadSourceFile("config/server.yaml"), "server.yaml");
  REQUIRE_MESSAGE(o.ok(), o.status().message());
  CHECK(o->ToYaml() == Options().ToYaml());
}

TEST_CASE("config/server.yaml documents every key") {
  std::string text = ReadSourceFile("config/server.yaml");
  auto o = ParseYamlConfig(text, "server.yaml");
  REQUIRE(o.ok());
  // Every key of the effective YAML appears in the file.
  std::istringstream lines(Options().ToYaml());
  std::string line;
  while (std::getline(lines, line)) {
    std::string key = line.substr(0, line.find(':'));
    key.erase(0, key.find_first_not_of(' '));
    CHECK_MESSAGE(text.find(key + ":") != std::string::npos, key);
  }
}

TEST_CASE("a YAML config overrides defaults in every section") {
  auto o = ParseYamlConfig(
      "auth_enabled: true\n"
      "server:\n  http_listen_port: 3200\n  http_server_read_timeout: 1m\n"
      "common:\n  path_prefix: /var/skald\n"
      "ingester:\n  wal:\n    sync_mode: none\n"
      "limits_config:\n  max_line_size: 1MiB\n  reject_old_samples_max_age: 3d\n  ingestion_rate_mb: 2.5\n",
      "c.yaml");
  REQUIRE_MESSAGE(o.ok(), o.status().message());
  CHECK(o->auth_enabled);
  CHECK(o->server.http_listen_port == 3200);
  CHECK(o->server.http_server_read_timeout == 60'000'000'000);
  CHECK(o->common.path_prefix == "/var/skald");
  CHECK(o->ingester.wal.sync_mode == "none");
  CHECK(o->limits_config.max_line_size == 1048576);
  CHECK(o->limits_config.reject_old_samples_max_age == 3 * common::kLimitDay);
  CHECK(o->limits_config.ingestion_rate_mb == 2.5);
}

TEST_CASE("an unknown key is an error naming file, line and section") {
  auto o = ParseYamlConfig("server:\n  http_listen_port: 1\ningester:\n  chunk_taget_size: 5\n", "config.yaml");
  REQUIRE_FALSE(o.ok());
  CHECK(o.status().message() == "config.yaml:4: unknown key \"chunk_taget_size\" in ingester");
}

TEST_CASE("an unknown top-level key is an error") {
  auto o = ParseYamlConfig("bogus: 1\n", "config.yaml");
  REQUIRE_FALSE(o.ok());
  CHECK(o.status().message() == "config.yaml:1: unknown key \"bogus\"");
}

TEST_CASE("a wrong type is an error naming file, line and key") {
  auto o = ParseYamlConfig("\n\nserver:\n  http_listen_port: abc\n", "config.yaml");
  REQUIRE_FALSE(o.ok());
  CHECK(o.status().message() == "config.yaml:4: cannot parse \"abc\" as int for server.http_listen_port");
}

TEST_CASE("malformed YAML is an error with a line") {
  auto o = ParseYamlConfig("server:\n  http_listen_port: [1\n", "config.yaml");
  REQUIRE_FALSE(o.ok());
  CHECK(o.status().message().rfind("config.yaml:", 0) == 0);
}

TEST_CASE("a section given a scalar is an error") {
  auto o = ParseYamlConfig("server: 5\n", "config.yaml");
  REQUIRE_FALSE(o.ok());
  CHECK(o.status().message() == "config.yaml:1: expected a map for server");
}

TEST_CASE("byte sizes use go-humanize units") {
  // dskit's ByteSize is base 2: KB means KiB.
  CHECK(ParseByteSize("256KB").value() == 262144);
  CHECK(ParseByteSize("256kb").value() == 262144);
  CHECK(ParseByteSize("1MiB").value() == 1048576);
  CHECK(ParseByteSize("3.0 MB").value() == 3145728);
  CHECK(ParseByteSize("42").value() == 42);
  CHECK_FALSE(ParseByteSize("lots").ok());
  CHECK_FALSE(ParseByteSize("5XB").ok());
  CHECK(FormatByteSize(262144) == "256KiB");
  CHECK(FormatByteSize(3145728) == "3MiB");
  CHECK(FormatByteSize(15728640) == "15MiB");
  CHECK(FormatByteSize(1000) == "1000B");
  CHECK(ParseByteSize(FormatByteSize(262144)).value() == 262144);
  CHECK(FormatByteSize(5) == "5B");
}

TEST_CASE("ExpandEnv expands ${VAR}, ${VAR:-default} and $VAR") {
  setenv("SKALD_TEST_PORT", "4100", 1);
  unsetenv("SKALD_TEST_UNSET");
  CHECK(ExpandEnv("port: ${SKALD_TEST_PORT}") == "port: 4100");
  CHECK(ExpandEnv("port: $SKALD_TEST_PORT") == "port: 4100");
  CHECK(ExpandEnv("p: ${SKALD_TEST_UNSET:-9}") == "p: 9");
  CHECK(ExpandEnv("p: ${SKALD_TEST_UNSET}") == "p: ");
  CHECK(ExpandEnv("cost: 5$") == "cost: 5$");
}

TEST_CASE("ToYaml diffs lists only non-default values and defaults ignores them") {
  Options o;
  o.server.http_listen_port = 4000;
  CHECK(o.ToYaml("diffs") == "server:\n  http_listen_port: 4000\n");
  CHECK(o.ToYaml("defaults") == Options().ToYaml());
  CHECK(o.ToYaml().find("http_listen_port: 4000") != std::string::npos);
}

TEST_CASE("ToYaml output parses back to the same options") {
  Options o;
  o.limits_config.max_line_size = 1000;
  o.ingester.wal.dir = "/tmp/wal";
  auto back = ParseYamlConfig(o.ToYaml(), "round.yaml");
  REQUIRE_MESSAGE(back.ok(), back.status().message());
  CHECK(back->ToYaml() == o.ToYaml());
}

TEST_CASE("flags use Loki's single-dash form and override the file") {
  std::string path = "/tmp/skald_options_test.yaml";
  {
    std::ofstream f(path);
    f << "server:\n  http_listen_port: 3200\n  log_level: warn\n";
  }
  auto cl = ParseCommandLine({"-config.file=" + path, "-server.http-listen-port=3300", "-auth.enabled",
                              "-common.path-prefix", "/tmp/x"});
  REQUIRE_MESSAGE(cl.ok(), cl.status().message());
  CHECK(cl->options.server.http_listen_port == 3300);
  CHECK(cl->options.server.log_level == "warn");
  CHECK(cl->options.auth_enabled);
  CHECK(cl->options.common.path_prefix == "/tmp/x");
}

TEST_CASE("-config.expand-env expands variables before parsing") {
  std::string path = "/tmp/skald_options_env_test.yaml";
  {
    std::ofstream f(path);
    f << "server:\n  http_listen_port: ${SKALD_TEST_PORT2:-3999}\n";
  }
  unsetenv("SKALD_TEST_PORT2");
  auto cl = ParseCommandLine({"-config.file=" + path, "-config.expand-env=true"});
  REQUIRE_MESSAGE(cl.ok(), cl.status().message());
  CHECK(cl->options.server.http_listen_port == 3999);
  auto raw = ParseCommandLine({"-config.file=" + path});
  CHECK_FALSE(raw.ok());
}

TEST_CASE("no arguments give the defaults") {
  auto cl = ParseCommandLine({});
  REQUIRE(cl.ok());
  CHECK(cl->options.server.http_listen_port == 3100);
  CHECK(cl->options.common.path_prefix == "./data");
}

TEST_CASE("an unknown flag or invalid log level is an error") {
  CHECK_FALSE(ParseCommandLine({"-no.such-flag=1"}).ok());
  CHECK_FALSE(ParseCommandLine({"-log.level=loud"}).ok());
  CHECK(ParseCommandLine({"-version"})->show_version);
}

TEST_CASE("runtime config overrides limits per tenant") {
  std::string path = "/tmp/skald_runtime_test.yaml";
  {
    std::ofstream f(path);
    f << "overrides:\n  tenant-a:\n    ingestion_rate_mb: 10\n    max_line_size: 1KB\n";
  }
  Options o;
  o.runtime_config.file = path;
  REQUIRE(LoadRuntimeConfig(&o).ok());
  CHECK(o.LimitsFor("tenant-a").ingestion_rate_mb == 10);
  CHECK(o.LimitsFor("tenant-a").max_line_size == 1024);  // base 2, as dskit
  CHECK(o.LimitsFor("tenant-a").max_label_names_per_series == 15);
  CHECK(o.LimitsFor("other").ingestion_rate_mb == 4);
}

TEST_CASE("runtime config rejects an unknown limit") {
  std::string path = "/tmp/skald_runtime_bad_test.yaml";
  {
    std::ofstream f(path);
    f << "overrides:\n  tenant-a:\n    ingestion_rate: 10\n";
  }
  Options o;
  o.runtime_config.file = path;
  common::Status s = LoadRuntimeConfig(&o);
  CHECK(s.message() == path + ":3: unknown key \"ingestion_rate\"");
}

}  // namespace
}  // namespace skald::server
