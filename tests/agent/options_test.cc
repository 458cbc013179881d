#include "agent/options.h"

#include <doctest/doctest.h>

#include <cstdlib>
#include <string>

using skald::agent::AgentOptions;
using skald::agent::LoadAgentOptions;
using skald::agent::ParseAgentOptions;

namespace {

std::string SourceDir() {
  const char* d = std::getenv("SKALD_SOURCE_DIR");
  return d != nullptr ? d : ".";
}

const char* kMinimal = R"(
clients:
  - url: http://localhost:3100/loki/api/v1/push
scrape_configs:
  - job_name: app
    static_configs:
      - labels:
          job: app
          __path__: /var/log/*.log
)";

}  // namespace

TEST_CASE("config/agent.yaml parses with every documented key") {
  auto o = LoadAgentOptions(SourceDir() + "/config/agent.yaml", true);
  REQUIRE_MESSAGE(o.ok(), o.status().message());
  CHECK(o->server.http_listen_port == 9080);
  REQUIRE(o->clients.size() == 1);
  CHECK(o->clients[0].backoff.max_retries == 10);
  CHECK(o->clients[0].batchsize_bytes == 1048576);
  CHECK(o->scrape_configs.size() == 3);
  CHECK(o->positions.sync_period_ns == 10'000'000'000);
}

TEST_CASE("config/agent-demo.yaml parses") {
  auto o = LoadAgentOptions(SourceDir() + "/config/agent-demo.yaml", false);
  REQUIRE_MESSAGE(o.ok(), o.status().message());
}

TEST_CASE("defaults follow Promtail for clients and positions") {
  auto o = ParseAgentOptions(kMinimal, "a.yaml", false);
  REQUIRE_MESSAGE(o.ok(), o.status().message());
  CHECK(o->clients[0].batchwait_ns == 1'000'000'000);
  CHECK(o->clients[0].timeout_ns == 10'000'000'000);
  CHECK(o->clients[0].backoff.min_period_ns == 500'000'000);
  CHECK(o->clients[0].backoff.max_period_ns == 300'000'000'000);
  CHECK(o->positions.filename == "/var/log/positions.yaml");
  CHECK(o->target.sync_period_ns == 10'000'000'000);
}

TEST_CASE("an unknown key names the file, line and key path") {
  std::string text = std::string(kMinimal) + "    batchwaitt: 1s\n";
  text = R"(clients:
  - url: http://x/loki/api/v1/push
    batchwaitt: 1s
)";
  auto o = ParseAgentOptions(text, "agent.yaml", false);
  REQUIRE_FALSE(o.ok());
  CHECK(o.status().message().find("agent.yaml:3") != std::string::npos);
  CHECK(o.status().message().find("clients[0].batchwaitt") != std::string::npos);
}

TEST_CASE("a bad duration names the key") {
  auto o = ParseAgentOptions("positions:\n  sync_period: soon\n", "p.yaml", false);
  REQUIRE_FALSE(o.ok());
  CHECK(o.status().message().find("p.yaml:2") != std::string::npos);
  CHECK(o.status().message().find("positions.sync_period") != std::string::npos);
}

TEST_CASE("an unknown pipeline stage is rejected with its path") {
  std::string text = std::string(kMinimal) + "    pipeline_stages:\n      - jsonn: {}\n";
  auto o = ParseAgentOptions(text, "s.yaml", false);
  REQUIRE_FALSE(o.ok());
  CHECK(o.status().message().find("s.yaml:11") != std::string::npos);
  CHECK(o.status().message().find("unknown stage \"jsonn\"") != std::string::npos);
}

TEST_CASE("an unknown key inside a stage is rejected") {
  std::string text =
      std::string(kMinimal) + "    pipeline_stages:\n      - regex:\n          expresion: a\n";
  auto o = ParseAgentOptions(text, "s.yaml", false);
  REQUIRE_FALSE(o.ok());
  CHECK(o.status().message().find("pipeline_stages[0].regex.expresion") != std::string::npos);
}

TEST_CASE("a client without url is rejected") {
  auto o = ParseAgentOptions("clients:\n  - tenant_id: a\n", "c.yaml", false);
  REQUIRE_FALSE(o.ok());
  CHECK(o.status().message().find("clients[0].url") != std::string::npos);
}

TEST_CASE("relabel_configs is rejected clearly rather than ignored") {
  std::string text = std::string(kMinimal) + "    relabel_configs: []\n";
  auto o = ParseAgentOptions(text, "r.yaml", false);
  REQUIRE_FALSE(o.ok());
  CHECK(o.status().message().find("not supported") != std::string::npos);
}

TEST_CASE("expand-env substitutes variables and defaults") {
  setenv("SKALD_TEST_URL", "http://envhost:3100/loki/api/v1/push", 1);
  auto o = ParseAgentOptions("clients:\n  - url: ${SKALD_TEST_URL}\n    tenant_id: ${NOPE_X:-t1}\n",
                             "e.yaml", true);
  REQUIRE_MESSAGE(o.ok(), o.status().message());
  CHECK(o->clients[0].url == "http://envhost:3100/loki/api/v1/push");
  CHECK(o->clients[0].tenant_id == "t1");
}

TEST_CASE("malformed YAML reports the line") {
  auto o = ParseAgentOptions("server:\n  http_listen_port: [\n", "m.yaml", false);
  REQUIRE_FALSE(o.ok());
  CHECK(o.status().message().find("m.yaml:") != std::string::npos);
}

TEST_CASE("the config-less default tails docker logs into localhost:3100") {
  AgentOptions o = skald::agent::DefaultAgentOptions();
  REQUIRE(o.clients.size() == 1);
  CHECK(o.clients[0].url == "http://127.0.0.1:3100/loki/api/v1/push");
  CHECK(o.scrape_configs[0].static_configs[0].labels.at("__path__") ==
        "/var/lib/docker/containers/*/*-json.log");
}
