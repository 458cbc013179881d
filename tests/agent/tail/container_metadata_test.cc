#include "agent/tail/container_metadata.h"

#include <doctest/doctest.h>
#include <sys/stat.h>

#include "tail_test_util.h"

using namespace skald::agent::tail;
using skald::agent::tail::testing::TempDir;
using skald::agent::tail::testing::Write;

TEST_CASE("CRI paths give namespace, pod and container") {
  auto l = ContainerLabels("/var/log/pods/default_web-7d4b_0b1c-22/nginx/0.log");
  CHECK(l["namespace"] == "default");
  CHECK(l["pod"] == "web-7d4b");
  CHECK(l["container"] == "nginx");
}

TEST_CASE("docker config.v2.json gives container, image and compose labels") {
  auto l = DockerConfigLabels(
      R"({"ID":"abc","Name":"/shop-api-1","Image":"sha256:ff","Config":{"Image":"shop/api:1.2",)"
      R"("Labels":{"com.docker.compose.project":"shop","com.docker.compose.service":"api"}}})");
  CHECK(l["container"] == "shop-api-1");
  CHECK(l["image"] == "shop/api:1.2");
  CHECK(l["compose_project"] == "shop");
  CHECK(l["compose_service"] == "api");
}

TEST_CASE("docker labels are read from config.v2.json beside the log") {
  TempDir d;
  mkdir(d.File("containers").c_str(), 0755);
  mkdir(d.File("containers/abc").c_str(), 0755);
  Write(d.File("containers/abc/config.v2.json"), R"({"Name":"/web","Config":{"Image":"nginx"}})");
  auto l = ContainerLabels(d.File("containers/abc/abc-json.log"));
  CHECK(l["container"] == "web");
  CHECK(l["image"] == "nginx");
}

TEST_CASE("a corrupt config.v2.json gives no labels") {
  CHECK(DockerConfigLabels("{not json").empty());
}

TEST_CASE("other paths give no labels") {
  CHECK(ContainerLabels("/var/log/syslog").empty());
}
