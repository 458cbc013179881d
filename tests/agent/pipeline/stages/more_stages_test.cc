// Tests for logfmt, replace, template, pack and limit, using Promtail's
// documented examples where the docs give one.
#include <doctest/doctest.h>

#include <tuple>

#include "agent/pipeline/stages/custom_metrics.h"
#include "common/clock.h"
#include "stage_test_util.h"

using namespace skald::agent::pipeline;
using namespace skald::agent::pipeline::testing;

namespace {

PipelineEntry WithExtracted(std::map<std::string, std::string> x, std::string line = "line") {
  PipelineEntry e = EntryOf(line);
  e.extracted = std::move(x);
  return e;
}

std::vector<PipelineEntry> RunOne(Stage* s, PipelineEntry e) {
  std::vector<PipelineEntry> out;
  s->Process(std::move(e), &out);
  return out;
}

}  // namespace

TEST_CASE("logfmt stage extracts Promtail's documented example") {
  auto s = Make(NewLogfmtStage, "{mapping: {timestamp: time, app: , duration: , unknown: }}");
  REQUIRE(s.ok());
  auto out = Run(s->get(), {R"(time=2012-11-01T22:08:41+00:00 app=loki level=WARN duration=125 message="this is a log line" extra="user=foo")"});
  REQUIRE(out.size() == 1);
  CHECK(out[0].extracted["timestamp"] == "2012-11-01T22:08:41+00:00");
  CHECK(out[0].extracted["app"] == "loki");
  CHECK(out[0].extracted["duration"] == "125");
  CHECK_FALSE(out[0].extracted.contains("unknown"));
  CHECK_FALSE(out[0].extracted.contains("level"));
}

TEST_CASE("logfmt stage reads an extracted source") {
  auto s = Make(NewLogfmtStage, "{mapping: {user: }, source: extra}");
  REQUIRE(s.ok());
  auto out = RunOne(s->get(), WithExtracted({{"extra", "user=foo"}}));
  REQUIRE(out.size() == 1);
  CHECK(out[0].extracted["user"] == "foo");
}

TEST_CASE("logfmt stage skips a malformed pair and keeps the rest") {
  auto s = Make(NewLogfmtStage, "{mapping: {a: , b: }}");
  REQUIRE(s.ok());
  auto out = Run(s->get(), {"a=1 =oops b=\"two words\""});
  REQUIRE(out.size() == 1);
  CHECK(out[0].extracted["a"] == "1");
  CHECK(out[0].extracted["b"] == "two words");
  CHECK(out[0].line == "a=1 =oops b=\"two words\"");
}

TEST_CASE("logfmt stage requires a mapping") {
  CHECK_FALSE(Make(NewLogfmtStage, "{source: x}").ok());
  CHECK_FALSE(Make(NewLogfmtStage, "{mapping: {a: }, bogus: 1}").ok());
}

TEST_CASE("replace stage masks a captured group (documented example)") {
  auto s = Make(NewReplaceStage, R"y({expression: "password (\\S+)", replace: "****"})y");
  REQUIRE(s.ok());
  auto out = Run(s->get(), {"2019-01-01T01:00:00.000000001Z stderr P i'm a log message who has "
                            "sensitive information with password xyz!"});
  REQUIRE(out.size() == 1);
  CHECK(out[0].line ==
        "2019-01-01T01:00:00.000000001Z stderr P i'm a log message who has sensitive "
        "information with password ****");
}

TEST_CASE("replace stage renders a template per named group (documented example)") {
  auto s = Make(NewReplaceStage, R"yaml(
expression: '^(?P<ip>\S+) (?P<identd>\S+) (?P<user>\S+) \[(?P<timestamp>[\w:/]+\s[+\-]\d{4})\] "(?P<action>\S+)\s?(?P<path>\S+)?\s?(?P<protocol>\S+)?" (?P<status>\d{3}|-) (?P<size>\d+|-)\s?"?(?P<referer>[^"]*)"?\s?"?(?P<useragent>[^"]*)?"?$'
replace: '{{ if eq .Value "200" }}{{ Replace .Value "200" "HttpStatusOk" -1 }}{{ else }}{{ .Value | ToUpper }}{{ end }}'
)yaml");
  REQUIRE(s.ok());
  auto out = Run(s->get(), {R"(11.11.11.11 - frank [25/Jan/2000:14:00:01 -0500] "GET /1986.js HTTP/1.1" 200 932 "-" "Mozilla/5.0 (Windows; U; Windows NT 5.1; de; rv:1.9.1.7) Gecko/20091221 Firefox/3.5.7 GTB6")"});
  REQUIRE(out.size() == 1);
  CHECK(out[0].line ==
        R"(11.11.11.11 - FRANK [25/JAN/2000:14:00:01 -0500] "GET /1986.JS HTTP/1.1" HttpStatusOk 932 "-" "MOZILLA/5.0 (WINDOWS; U; WINDOWS NT 5.1; DE; RV:1.9.1.7) GECKO/20091221 FIREFOX/3.5.7 GTB6")");
  CHECK(out[0].extracted["user"] == "FRANK");
  CHECK(out[0].extracted["status"] == "HttpStatusOk");
  CHECK(out[0].extracted["ip"] == "11.11.11.11");
}

TEST_CASE("replace stage replaces every match and an empty replace removes it") {
  auto s = Make(NewReplaceStage, R"y({expression: "(\\d+)", replace: "<{{ .Value }}>"})y");
  REQUIRE(s.ok());
  auto out = Run(s->get(), {"a 1 b 22 c"});
  REQUIRE(out.size() == 1);
  CHECK(out[0].line == "a <1> b <22> c");
  auto rm = Make(NewReplaceStage, R"y({expression: "( secret=\\S+)"})y");
  REQUIRE(rm.ok());
  out = Run(rm->get(), {"user=x secret=abc rest"});
  REQUIRE(out.size() == 1);
  CHECK(out[0].line == "user=x rest");
}

TEST_CASE("replace stage writes to an extracted source and leaves the line") {
  auto s = Make(NewReplaceStage, R"y({expression: "(x+)", source: v, replace: "y"})y");
  REQUIRE(s.ok());
  auto out = RunOne(s->get(), WithExtracted({{"v", "axxb"}}, "axxb"));
  REQUIRE(out.size() == 1);
  CHECK(out[0].extracted["v"] == "ayb");
  CHECK(out[0].line == "axxb");
}

TEST_CASE("replace stage passes a non-matching line unchanged and rejects bad config") {
  auto s = Make(NewReplaceStage, R"y({expression: "(zzz)", replace: "q"})y");
  REQUIRE(s.ok());
  CHECK(Run(s->get(), {"abc"})[0].line == "abc");
  CHECK_FALSE(Make(NewReplaceStage, R"y({expression: "nogroup", replace: "q"})y").ok());
  CHECK_FALSE(Make(NewReplaceStage, R"y({expression: "(a", replace: "q"})y").ok());
  CHECK_FALSE(Make(NewReplaceStage, R"y({expression: "(a)", replace: "{{ .Value "})y").ok());
}

TEST_CASE("template stage documented examples") {
  auto hello = Make(NewTemplateStage, "{source: new_key, template: 'hello world!'}");
  REQUIRE(hello.ok());
  CHECK(RunOne(hello->get(), WithExtracted({}))[0].extracted["new_key"] == "hello world!");

  auto suffix = Make(NewTemplateStage, "{source: app, template: '{{ .Value }}_some_suffix'}");
  REQUIRE(suffix.ok());
  CHECK(RunOne(suffix->get(), WithExtracted({{"app", "loki"}}))[0].extracted["app"] ==
        "loki_some_suffix");

  auto multi = Make(NewTemplateStage,
                    "{source: output_msg, template: '{{ .level }} for app {{ ToUpper .app }}'}");
  REQUIRE(multi.ok());
  CHECK(RunOne(multi->get(), WithExtracted({{"level", "warn"}, {"app", "loki"}}))[0]
            .extracted["output_msg"] == "warn for app LOKI");

  auto entry = Make(NewTemplateStage, "{source: overwrite, template: '{{ .Entry }}'}");
  REQUIRE(entry.ok());
  CHECK(RunOne(entry->get(), WithExtracted({}, "the line"))[0].extracted["overwrite"] ==
        "the line");

  auto repl = Make(NewTemplateStage,
                   R"y({source: app, template: '{{ Replace .Value "loki" "blokey" 1 }}'})y");
  REQUIRE(repl.ok());
  CHECK(RunOne(repl->get(), WithExtracted({{"app", "loki"}}))[0].extracted["app"] == "blokey");
}

TEST_CASE("template stage rejects missing fields and bad templates") {
  CHECK_FALSE(Make(NewTemplateStage, "{template: x}").ok());
  CHECK_FALSE(Make(NewTemplateStage, "{source: x}").ok());
  CHECK_FALSE(Make(NewTemplateStage, "{source: x, template: '{{ nosuchfunc .Value }}'}").ok());
}

TEST_CASE("pack stage packs labels into a JSON line (documented example)") {
  auto s = Make(NewPackStage, "{labels: [pod, container], ingest_timestamp: false}");
  REQUIRE(s.ok());
  PipelineEntry e = EntryOf("original log message");
  e.labels = {{"pod", "pod-3223f"}, {"container", "myapp"}, {"job", "x"}};
  auto out = RunOne(s->get(), std::move(e));
  REQUIRE(out.size() == 1);
  CHECK(out[0].line == R"({"container":"myapp","pod":"pod-3223f","_entry":"original log message"})");
  CHECK(out[0].labels.size() == 1);
  CHECK(out[0].labels["job"] == "x");
  CHECK(out[0].timestamp_ns == 42);
}

TEST_CASE("pack stage uses extracted values and escapes the entry") {
  auto s = Make(NewPackStage, "{labels: [level, absent], ingest_timestamp: false}");
  REQUIRE(s.ok());
  auto out = RunOne(s->get(), WithExtracted({{"level", "warn"}}, R"({"a":"<b>"})"));
  REQUIRE(out.size() == 1);
  CHECK(out[0].line == R"({"level":"warn","_entry":"{\"a\":\"\u003cb\u003e\"}"})");
  CHECK_FALSE(Make(NewPackStage, "{}").ok());
}

TEST_CASE("limit stage drops beyond burst and refills at rate") {
  skald::common::FakeClock clock(1'000'000'000);
  YamlMap m(YAML::Load("{rate: 1, burst: 2, drop: true}"), "t.yaml", "limit");
  auto s = NewLimitStageWithClock(&m, &clock);
  REQUIRE(s.ok());
  CHECK(Run(s->get(), {"a", "b", "c"}).size() == 2);
  clock.Advance(1'000'000'000);
  CHECK(Run(s->get(), {"d", "e"}).size() == 1);
}

TEST_CASE("limit stage by_label_name limits each value separately") {
  skald::common::FakeClock clock(0);
  YamlMap m(YAML::Load("{rate: 1, burst: 1, drop: true, by_label_name: app}"), "t.yaml", "limit");
  auto s = NewLimitStageWithClock(&m, &clock);
  REQUIRE(s.ok());
  std::vector<PipelineEntry> out;
  for (const char* app : {"a", "a", "b", "b", ""}) {
    PipelineEntry e = EntryOf("x");
    if (*app != '\0') e.labels["app"] = app;
    (*s)->Process(std::move(e), &out);
  }
  REQUIRE(out.size() == 3);  // one per app, plus the unlabelled entry
  CHECK(out[2].labels.empty());
}

TEST_CASE("limit stage requires rate and burst") {
  CHECK_FALSE(Make(NewLimitStage, "{burst: 1}").ok());
  CHECK_FALSE(Make(NewLimitStage, "{rate: 1}").ok());
  CHECK_FALSE(Make(NewLimitStage, "{rate: 1, burst: 1, bogus: true}").ok());
}

TEST_CASE("metrics stage counts, gauges and observes extracted values") {
  CustomMetrics reg;
  skald::common::FakeClock clock(0);
  YamlMap m(YAML::Load(R"yaml(
log_lines_total:
  type: Counter
  description: "total number of log lines"
  prefix: my_promtail_custom_
  max_idle_duration: 24h
  config:
    match_all: true
    action: inc
log_bytes_total:
  type: Counter
  config:
    match_all: true
    count_entry_bytes: true
    action: add
panic_total:
  type: Counter
  source: level
  config:
    value: panic
    action: inc
queue_elements:
  type: Gauge
  source: queue
  config:
    action: set
response_time_seconds:
  type: Histogram
  source: response_time
  config:
    buckets: [0.001, 0.1, 1]
)yaml"), "t.yaml", "metrics");
  auto s = NewMetricsStageWith(&m, &reg, &clock);
  REQUIRE(s.ok());
  std::vector<PipelineEntry> out;
  for (auto [level, queue, rt] : {std::tuple{"panic", "5", "0.05"}, std::tuple{"info", "7", "2"},
                                  std::tuple{"panic", "x", "bad"}}) {
    PipelineEntry e = WithExtracted({{"level", level}, {"queue", queue}, {"response_time", rt}},
                                    "12345");
    e.labels = {{"app", "a"}, {"__path__", "/x"}};
    (*s)->Process(std::move(e), &out);
  }
  CHECK(out.size() == 3);
  std::string text = reg.Expose(0);
  CHECK(text.find("# TYPE my_promtail_custom_log_lines_total counter\n"
                  "my_promtail_custom_log_lines_total{app=\"a\"} 3\n") != std::string::npos);
  CHECK(text.find("promtail_custom_log_bytes_total{app=\"a\"} 15\n") != std::string::npos);
  CHECK(text.find("promtail_custom_panic_total{app=\"a\"} 2\n") != std::string::npos);
  CHECK(text.find("promtail_custom_queue_elements{app=\"a\"} 7\n") != std::string::npos);
  CHECK(text.find("promtail_custom_response_time_seconds_bucket{app=\"a\",le=\"0.1\"} 1\n") !=
        std::string::npos);
  CHECK(text.find("promtail_custom_response_time_seconds_bucket{app=\"a\",le=\"+Inf\"} 2\n") !=
        std::string::npos);
  CHECK(text.find("promtail_custom_response_time_seconds_count{app=\"a\"} 2\n") !=
        std::string::npos);
  CHECK(text.find("__path__") == std::string::npos);
}

TEST_CASE("metrics stage drops idle series and rejects bad configs") {
  CustomMetrics reg;
  skald::common::FakeClock clock(0);
  YamlMap m(YAML::Load("{c: {type: Counter, max_idle_duration: 1m, config: {match_all: true, action: inc}}}"),
            "t.yaml", "metrics");
  auto s = NewMetricsStageWith(&m, &reg, &clock);
  REQUIRE(s.ok());
  Run(s->get(), {"x"});
  CHECK(reg.Expose(0).find("promtail_custom_c 1\n") != std::string::npos);
  CHECK(reg.Expose(120'000'000'000).find("promtail_custom_c 1") == std::string::npos);

  auto bad = [&](const char* yaml) {
    YamlMap b(YAML::Load(yaml), "t.yaml", "metrics");
    return NewMetricsStageWith(&b, &reg, &clock).ok();
  };
  CHECK_FALSE(bad("{x: {type: Summary, config: {action: inc}}}"));
  CHECK_FALSE(bad("{x: {type: Counter, config: {action: set}}}"));
  CHECK_FALSE(bad("{x: {type: Gauge, config: {action: nope}}}"));
  CHECK_FALSE(bad("{x: {type: Histogram, config: {buckets: [2, 1]}}}"));
  CHECK_FALSE(bad("{c: {type: Gauge, config: {action: set}}}"));  // type clash with c
  CHECK_FALSE(bad("{x: {type: Counter, bogus: 1, config: {action: inc}}}"));
}
