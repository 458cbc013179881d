#include <doctest/doctest.h>

#include "agent/pipeline/stages/go_time_layout.h"
#include "stage_test_util.h"

using namespace skald::agent::pipeline;
using namespace skald::agent::pipeline::testing;

TEST_CASE("json stage extracts Promtail's documented example") {
  auto s = Make(NewJsonStage, "{expressions: {output: log, stream: stream, timestamp: time}}");
  REQUIRE(s.ok());
  auto out = Run(s->get(), {R"({"log":"log message\n","stream":"stderr","time":"2019-04-30T02:12:41.8443515Z"})"});
  REQUIRE(out.size() == 1);
  CHECK(out[0].extracted["output"] == "log message\n");
  CHECK(out[0].extracted["stream"] == "stderr");
  CHECK(out[0].extracted["timestamp"] == "2019-04-30T02:12:41.8443515Z");
}

TEST_CASE("json stage supports nested paths, indices, quoted keys and non-strings") {
  auto s = Make(NewJsonStage,
                R"({expressions: {a: 'x.y', b: 'arr[1]', c: '"k.v"', d: 'n', e: 'obj', f: 'missing'}})");
  REQUIRE(s.ok());
  auto out = Run(s->get(), {R"({"x":{"y":"deep"},"arr":[1,2],"k.v":"q","n":12.5,"obj":{"z":true}})"});
  REQUIRE(out.size() == 1);
  CHECK(out[0].extracted["a"] == "deep");
  CHECK(out[0].extracted["b"] == "2");
  CHECK(out[0].extracted["c"] == "q");
  CHECK(out[0].extracted["d"] == "12.5");
  CHECK(out[0].extracted["e"] == R"({"z":true})");
  CHECK_FALSE(out[0].extracted.contains("f"));
}

TEST_CASE("json stage drops malformed lines only when asked") {
  auto keep = Make(NewJsonStage, "{expressions: {a: a}}");
  CHECK(Run(keep->get(), {"nope"}).size() == 1);
  auto drop = Make(NewJsonStage, "{expressions: {a: a}, drop_malformed: true}");
  CHECK(Run(drop->get(), {"nope"}).empty());
}

TEST_CASE("json stage rejects a bad expression at config time") {
  auto s = Make(NewJsonStage, "{expressions: {a: 'x..y'}}");
  CHECK_FALSE(s.ok());
}

TEST_CASE("regex stage extracts named groups") {
  auto s = Make(NewRegexStage, R"({expression: '^(?P<year>\d+)-(?P<month>\d+) (?P<msg>.*)$'})");
  REQUIRE(s.ok());
  auto out = Run(s->get(), {"2019-01 hello"});
  CHECK(out[0].extracted["year"] == "2019");
  CHECK(out[0].extracted["msg"] == "hello");
}

TEST_CASE("regex stage rejects an invalid expression") {
  CHECK_FALSE(Make(NewRegexStage, "{expression: '(?P<a>'}").ok());
  CHECK_FALSE(Make(NewRegexStage, "{expression: 'no groups'}").ok());
}

TEST_CASE("labels and structured_metadata take extracted values") {
  auto labels = Make(NewLabelsStage, "{level: , svc: service}");
  auto meta = Make(NewStructuredMetadataStage, "{trace_id: }");
  REQUIRE(labels.ok());
  REQUIRE(meta.ok());
  PipelineEntry e = EntryOf("x");
  e.extracted = {{"level", "warn"}, {"service", "api"}, {"trace_id", "4bf9"}};
  std::vector<PipelineEntry> a, b;
  (*labels)->Process(e, &a);
  (*meta)->Process(a[0], &b);
  CHECK(b[0].labels["level"] == "warn");
  CHECK(b[0].labels["svc"] == "api");
  REQUIRE(b[0].metadata.size() == 1);
  CHECK(b[0].metadata[0].name == "trace_id");
  CHECK(b[0].metadata[0].value == "4bf9");
  CHECK_FALSE(b[0].labels.contains("trace_id"));
}

TEST_CASE("timestamp stage parses named formats") {
  auto s = Make(NewTimestampStage, "{source: ts, format: UnixMs}");
  REQUIRE(s.ok());
  PipelineEntry e = EntryOf("x");
  e.extracted["ts"] = "1562708916414";
  std::vector<PipelineEntry> out;
  (*s)->Process(e, &out);
  CHECK(out[0].timestamp_ns == 1562708916414000000);
}

TEST_CASE("timestamp stage parses Unix seconds with a fraction") {
  auto s = Make(NewTimestampStage, "{source: ts, format: Unix}");
  PipelineEntry e = EntryOf("x");
  e.extracted["ts"] = "1562708916.414123";
  std::vector<PipelineEntry> out;
  (*s)->Process(e, &out);
  CHECK(out[0].timestamp_ns == 1562708916414123000);
}

TEST_CASE("timestamp stage uses fallback formats and keeps the time on skip") {
  auto s = Make(NewTimestampStage,
                "{source: ts, format: RFC3339, fallback_formats: [UnixNs], action_on_failure: skip}");
  REQUIRE(s.ok());
  PipelineEntry a = EntryOf("x"), b = EntryOf("y");
  a.extracted["ts"] = "1562708916000000001";
  b.extracted["ts"] = "garbage";
  std::vector<PipelineEntry> out;
  (*s)->Process(a, &out);
  (*s)->Process(b, &out);
  CHECK(out[0].timestamp_ns == 1562708916000000001);
  CHECK(out[1].timestamp_ns == 42);
}

TEST_CASE("timestamp stage rejects an unknown action") {
  CHECK_FALSE(Make(NewTimestampStage, "{source: ts, format: Unix, action_on_failure: panic}").ok());
}

TEST_CASE("Go layouts parse like Go") {
  auto t = ParseGoLayout(ResolveGoLayout("RFC1123Z"), "Mon, 02 Jan 2006 15:04:05 -0700");
  REQUIRE(t.ok());
  CHECK(*t == 1136239445000000000);
  auto u = ParseGoLayout("2006-01-02 15:04:05.000", "2024-03-05 10:11:12.345");
  REQUIRE(u.ok());
  CHECK(*u == 1709633472345000000);
  auto k = ParseGoLayout(ResolveGoLayout("Stamp"), "Jan  2 15:04:05", 0, 2006);
  REQUIRE(k.ok());
  CHECK(*k == 1136214245000000000);
  CHECK_FALSE(ParseGoLayout("2006-01-02", "2024/03/05").ok());
}

TEST_CASE("output, static_labels, labeldrop, labelallow and tenant") {
  PipelineEntry e = EntryOf("orig");
  e.extracted["msg"] = "new";
  e.labels = {{"a", "1"}, {"b", "2"}};
  std::vector<PipelineEntry> out;
  (*Make(NewOutputStage, "{source: msg}"))->Process(e, &out);
  CHECK(out[0].line == "new");
  std::vector<PipelineEntry> o2;
  (*Make(NewStaticLabelsStage, "{env: prod}"))->Process(out[0], &o2);
  CHECK(o2[0].labels["env"] == "prod");
  std::vector<PipelineEntry> o3;
  (*Make(NewLabelDropStage, "[a]"))->Process(o2[0], &o3);
  CHECK_FALSE(o3[0].labels.contains("a"));
  std::vector<PipelineEntry> o4;
  (*Make(NewLabelAllowStage, "[env]"))->Process(o3[0], &o4);
  CHECK(o4[0].labels.size() == 1);
  std::vector<PipelineEntry> o5;
  (*Make(NewTenantStage, "{value: team-a}"))->Process(o4[0], &o5);
  CHECK(o5[0].labels[kTenantLabel] == "team-a");
}

TEST_CASE("decolorize removes ANSI color codes") {
  auto out = Run(Make(NewDecolorizeStage, "{}")->get(), {"\x1b[31mred\x1b[0m plain"});
  CHECK(out[0].line == "red plain");
}

TEST_CASE("drop stage drops by value, expression and length") {
  auto by_value = Make(NewDropStage, "{source: level, value: debug}");
  REQUIRE(by_value.ok());
  PipelineEntry dbg = EntryOf("a"), info = EntryOf("b");
  dbg.extracted["level"] = "debug";
  info.extracted["level"] = "info";
  std::vector<PipelineEntry> out;
  (*by_value)->Process(dbg, &out);
  (*by_value)->Process(info, &out);
  REQUIRE(out.size() == 1);
  CHECK(out[0].line == "b");
  auto by_re = Make(NewDropStage, "{expression: '.*healthz.*'}");
  CHECK(Run(by_re->get(), {"GET /healthz", "GET /api"}).size() == 1);
  auto by_len = Make(NewDropStage, "{longer_than: 3}");
  CHECK(Run(by_len->get(), {"abcd", "abc"}).size() == 1);
}

TEST_CASE("drop stage needs a condition") {
  CHECK_FALSE(Make(NewDropStage, "{drop_counter_reason: x}").ok());
}

TEST_CASE("multiline stage joins continuation lines until the next first line") {
  auto s = Make(NewMultilineStage, R"({firstline: '^\[\d+\]'})");
  REQUIRE(s.ok());
  auto out = Run(s->get(), {"[1] Exception", "  at a()", "  at b()", "[2] next"});
  REQUIRE(out.size() == 1);
  CHECK(out[0].line == "[1] Exception\n  at a()\n  at b()");
  REQUIRE((*s)->PendingStart().has_value());
  (*s)->Flush(0, true, &out);
  REQUIRE(out.size() == 2);
  CHECK(out[1].line == "[2] next");
}

TEST_CASE("multiline stage emits a held block after max_wait_time") {
  auto s = Make(NewMultilineStage, R"({firstline: '^start', max_wait_time: 3s})");
  std::vector<PipelineEntry> out;
  (*s)->Flush(1'000'000'000, false, &out);
  (*s)->Process(EntryOf("start"), &out);
  (*s)->Flush(2'000'000'000, false, &out);
  CHECK(out.empty());
  (*s)->Flush(4'000'000'000, false, &out);
  REQUIRE(out.size() == 1);
}

TEST_CASE("multiline stage caps a block at max_lines") {
  auto s = Make(NewMultilineStage, R"({firstline: '^start', max_lines: 2})");
  auto out = Run(s->get(), {"start", "a", "b"});
  REQUIRE(out.size() == 1);
  CHECK(out[0].line == "start\na");
}
