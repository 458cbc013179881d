// Tests for the match stage (Promtail's documented examples) and for the
// registry accepting the newly supported stages.
#include <doctest/doctest.h>
#include <yaml-cpp/yaml.h>

#include "agent/pipeline/pipeline.h"

using namespace skald::agent::pipeline;

namespace {

Result<std::unique_ptr<Pipeline>> Build(const std::string& yaml) {
  return Pipeline::Create(YAML::Load(yaml), "test.yaml", "pipeline_stages");
}

std::vector<PipelineEntry> Feed(Pipeline* p, std::map<std::string, std::string> labels,
                                const std::string& line) {
  PipelineEntry e;
  e.labels = std::move(labels);
  e.line = line;
  std::vector<PipelineEntry> out;
  p->Process(std::move(e), &out);
  return out;
}

}  // namespace

TEST_CASE("match keep runs nested stages only on matching streams (documented example)") {
  auto p = Build(R"yaml(
- json:
    expressions:
      app:
- labels:
    app:
- match:
    selector: '{app="loki"}'
    stages:
    - json:
        expressions:
          msg: message
- match:
    selector: '{app="pokey"}'
    action: keep
    stages:
    - json:
        expressions:
          msg: msg
- output:
    source: msg
)yaml");
  REQUIRE(p.ok());
  auto out = Feed(p->get(), {}, R"({"time":"2012-11-01T22:08:41+00:00","app":"loki","component":["parser","type"],"level":"WARN","message":"app1 log line"})");
  REQUIRE(out.size() == 1);
  CHECK(out[0].line == "app1 log line");
  CHECK(out[0].labels["app"] == "loki");
  out = Feed(p->get(), {}, R"({"app":"pokey","msg":"app2 log line"})");
  REQUIRE(out.size() == 1);
  CHECK(out[0].line == "app2 log line");
  out = Feed(p->get(), {}, R"({"app":"other","msg":"untouched"})");
  REQUIRE(out.size() == 1);
  CHECK(out[0].line == R"({"app":"other","msg":"untouched"})");
}

TEST_CASE("match drop removes matching entries, honouring line filters") {
  auto p = Build(R"yaml(
- match:
    selector: '{app="promtail"} |~ ".*noisy error.*" != "keepme"'
    action: drop
    drop_counter_reason: promtail_noisy_error
)yaml");
  REQUIRE(p.ok());
  CHECK(Feed(p->get(), {{"app", "promtail"}}, "a noisy error here").empty());
  CHECK(Feed(p->get(), {{"app", "promtail"}}, "a noisy error keepme").size() == 1);
  CHECK(Feed(p->get(), {{"app", "promtail"}}, "quiet").size() == 1);
  CHECK(Feed(p->get(), {{"app", "other"}}, "a noisy error here").size() == 1);
}

TEST_CASE("match rejects bad configs") {
  CHECK_FALSE(Build("[{match: {selector: '{a=\"b\"}'}}]").ok());  // keep needs stages
  CHECK_FALSE(Build("[{match: {selector: '{a=\"b\"}', action: drop, stages: [{labels: {a: }}]}}]").ok());
  CHECK_FALSE(Build("[{match: {selector: '{a=\"b\"', action: drop}}]").ok());
  CHECK_FALSE(Build("[{match: {selector: '{a=\"b\"} | json', action: drop}}]").ok());
  CHECK_FALSE(Build("[{match: {selector: '{a=\"b\"}', action: maybe}}]").ok());
  CHECK_FALSE(Build("[{match: {selector: '{a=\"b\"}', stages: [{nosuch: {}}]}}]").ok());
}

TEST_CASE("match nested stages hold and flush stateful entries") {
  auto p = Build(R"yaml(
- match:
    selector: '{app="x"}'
    stages:
    - multiline:
        firstline: '^\d'
)yaml");
  REQUIRE(p.ok());
  CHECK(Feed(p->get(), {{"app", "x"}}, "1 start").empty());
  CHECK(Feed(p->get(), {{"app", "x"}}, "  more").empty());
  std::vector<PipelineEntry> out;
  (*p)->Flush(0, /*force=*/true, &out);
  REQUIRE(out.size() == 1);
  CHECK(out[0].line == "1 start\n  more");
}

TEST_CASE("registry builds logfmt, replace, template, pack, limit and match") {
  auto p = Build(R"yaml(
- logfmt: {mapping: {level: }}
- replace: {expression: '(secret)', replace: '***'}
- template: {source: level, template: '{{ ToUpper .Value }}'}
- labels: {level: }
- pack: {labels: [level], ingest_timestamp: false}
- limit: {rate: 100, burst: 100, drop: true}
- match: {selector: '{job="nope"}', action: drop}
)yaml");
  REQUIRE(p.ok());
  auto out = Feed(p->get(), {{"job", "j"}}, "level=warn secret");
  REQUIRE(out.size() == 1);
  CHECK(out[0].line == R"({"level":"WARN","_entry":"level=warn ***"})");
  CHECK_FALSE(out[0].labels.contains("level"));
  CHECK_FALSE(Build("[{metrics: {}}]").ok());
  CHECK_FALSE(Build("[{sampling: {rate: 0.5}}]").ok());
}

TEST_CASE("a top-level pipeline only tells its own last stage, not a nested one, it is last") {
  // docker is the last nested stage of `match`, but the outer `output`
  // stage still reads what it extracted.
  auto p = Build(R"yaml(
- match:
    selector: '{job="a"}'
    stages:
      - docker: {}
- output:
    source: stream
)yaml");
  REQUIRE(p.ok());
  (*p)->MarkTopLevel();
  auto out = Feed(p->get(), {{"job", "a"}},
                  R"({"log":"hello\n","stream":"stderr","time":"2019-04-30T02:12:41Z"})");
  REQUIRE(out.size() == 1);
  CHECK(out[0].line == "stderr");
}

TEST_CASE("a top-level pipeline whose last stage is docker still decodes") {
  auto p = Build("- docker: {}\n");
  REQUIRE(p.ok());
  (*p)->MarkTopLevel();
  auto out = Feed(p->get(), {{"job", "a"}},
                  R"({"log":"hello\n","stream":"stderr","time":"2019-04-30T02:12:41Z"})");
  REQUIRE(out.size() == 1);
  CHECK(out[0].line == "hello");
  CHECK(out[0].labels["stream"] == "stderr");
  CHECK(out[0].extracted.empty());
}
