// Drops by the drop, match (action: drop) and limit (drop: true) stages are
// counted like Promtail: logentry_dropped_lines_total{reason} (and
// logentry_dropped_lines_by_label_total for limit by_label_name), exposed
// through CustomMetrics::Default().
#include <doctest/doctest.h>
#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <string>

#include "agent/pipeline/pipeline.h"
#include "agent/pipeline/stages/custom_metrics.h"
#include "agent/pipeline/stages/drop_metrics.h"

using namespace skald::agent::pipeline;

namespace {

// The value of the exposed sample `series` (name{labels}); 0 when absent.
double Sample(const std::string& series) {
  std::string text = CustomMetrics::Default()->Expose(0);
  size_t at = text.find("\n" + series + " ");
  if (at == std::string::npos) return 0;
  return std::strtod(text.c_str() + at + 1 + series.size() + 1, nullptr);
}

std::string Dropped(const std::string& reason) {
  return std::string(kDroppedLinesMetric) + "{reason=\"" + reason + "\"}";
}

std::unique_ptr<Pipeline> Build(const std::string& yaml) {
  auto p = Pipeline::Create(YAML::Load(yaml), "test.yaml", "pipeline_stages");
  REQUIRE_MESSAGE(p.ok(), p.status().message());
  return std::move(*p);
}

size_t Feed(Pipeline* p, const std::vector<std::string>& lines,
            std::map<std::string, std::string> labels = {{"app", "api"}}) {
  std::vector<PipelineEntry> out;
  for (const std::string& l : lines) {
    PipelineEntry e;
    e.labels = labels;
    e.line = l;
    p->Process(std::move(e), &out);
  }
  return out.size();
}

}  // namespace

TEST_CASE("match action drop counts each dropped line with reason match_stage") {
  auto p = Build(R"yaml(
- match:
    selector: '{app="api"} |= "debug"'
    action: drop
)yaml");
  double before = Sample(Dropped("match_stage"));
  CHECK(Feed(p.get(), {"debug a", "info b", "debug c"}) == 1);
  CHECK(Sample(Dropped("match_stage")) == before + 2);
}

TEST_CASE("match action drop uses drop_counter_reason") {
  auto p = Build(R"yaml(
- match:
    selector: '{app="api"}'
    action: drop
    drop_counter_reason: noisy_api
)yaml");
  CHECK(Feed(p.get(), {"a", "b", "c"}) == 0);
  CHECK(Feed(p.get(), {"d"}, {{"app", "web"}}) == 1);
  CHECK(Sample(Dropped("noisy_api")) == 3);
}

TEST_CASE("drop stage counts with reason drop_stage or drop_counter_reason") {
  auto p = Build(R"yaml(
- drop:
    expression: "^health"
- drop:
    longer_than: 10
    drop_counter_reason: too_long_for_test
)yaml");
  double before = Sample(Dropped("drop_stage"));
  CHECK(Feed(p.get(), {"health ok", "short", "a line longer than ten", "health again"}) == 1);
  CHECK(Sample(Dropped("drop_stage")) == before + 2);
  CHECK(Sample(Dropped("too_long_for_test")) == 1);
}

TEST_CASE("limit stage with drop counts ratelimit_drop_stage and per label value") {
  // rate 1e-6/s: no refill during the test, so exactly `burst` lines pass.
  auto p = Build(R"yaml(
- limit:
    rate: 0.000001
    burst: 2
    drop: true
    by_label_name: app
)yaml");
  double before = Sample(Dropped("ratelimit_drop_stage"));
  std::string by_label = std::string(kDroppedLinesByLabelMetric) +
                         "{label_name=\"app\",label_value=\"limited-test-app\"}";
  CHECK(Feed(p.get(), {"1", "2", "3", "4", "5"}, {{"app", "limited-test-app"}}) == 2);
  CHECK(Sample(Dropped("ratelimit_drop_stage")) == before + 3);
  CHECK(Sample(by_label) == 3);
}

TEST_CASE("lines a stage keeps are not counted") {
  auto p = Build(R"yaml(
- drop:
    value: never
    source: level
    drop_counter_reason: kept_lines_test
)yaml");
  CHECK(Feed(p.get(), {"a", "b"}) == 2);
  CHECK(Sample(Dropped("kept_lines_test")) == 0);
}
