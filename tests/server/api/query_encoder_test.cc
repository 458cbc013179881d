#include "server/api/query_encoder.h"

#include <doctest/doctest.h>

#include <cmath>
#include <memory>

using namespace skald::server;
using skald::common::Labels;
using skald::common::ParseLabels;

namespace {
logql::LogLine Line(int64_t ts, std::string text, const char* stream,
                    std::vector<skald::common::Label> md = {},
                    std::vector<skald::common::Label> parsed = {}) {
  logql::LogLine l;
  l.timestamp_ns = ts;
  l.line = std::move(text);
  auto res = std::make_shared<logql::log::LabelsResult>();
  res->stream = ParseLabels(stream).value();
  res->metadata = Labels(md);
  res->parsed = Labels(parsed);
  std::vector<skald::common::Label> all = res->stream.pairs();
  all.insert(all.end(), md.begin(), md.end());
  all.insert(all.end(), parsed.begin(), parsed.end());
  res->labels = Labels(std::move(all));
  l.labels = std::move(res);
  return l;
}

std::string DataOf(const std::string& body) {
  auto start = body.find("\"data\":");
  auto stats = body.find(",\"stats\":");
  return body.substr(start + 7, stats - start - 7) + "}";
}
}  // namespace

TEST_CASE("streams merge metadata and parsed labels into the stream object by default") {
  logql::QueryResult r;
  r.lines.push_back(Line(2, "boom", R"({app="api"})", {{"trace_id", "abc"}}, {{"level", "error"}}));
  r.lines.push_back(Line(1, "first", R"({app="api"})"));
  std::string body = api::EncodeQueryResponse(r, {});
  CHECK(DataOf(body) ==
        R"({"resultType":"streams","result":[{"stream":{"app":"api","level":"error","trace_id":"abc"},"values":[["2","boom"]]},)"
        R"({"stream":{"app":"api"},"values":[["1","first"]]}]})");
  CHECK(body.rfind(R"({"status":"success","data":{)", 0) == 0);
}

TEST_CASE("categorize-labels keeps stream labels and adds the third element") {
  logql::QueryResult r;
  r.lines.push_back(Line(2, "boom", R"({app="api"})", {{"trace_id", "abc"}}, {{"level", "error"}}));
  r.lines.push_back(Line(1, "first", R"({app="api"})"));
  std::string body = api::EncodeQueryResponse(r, {.categorize_labels = true});
  CHECK(DataOf(body) ==
        R"({"resultType":"streams","encodingFlags":["categorize-labels"],"result":[{"stream":{"app":"api"},"values":[)"
        R"(["2","boom",{"structuredMetadata":{"trace_id":"abc"},"parsed":{"level":"error"}}],)"
        R"(["1","first",{}]]}]})");
}

TEST_CASE("lines are HTML-escaped like Go's encoder") {
  logql::QueryResult r;
  r.lines.push_back(Line(1, "<a href=\"x\">&</a>", R"({app="web"})"));
  std::string body = api::EncodeQueryResponse(r, {});
  CHECK(body.find(R"(\u003ca href=\"x\"\u003e\u0026\u003c/a\u003e)") != std::string::npos);
}

TEST_CASE("matrix, vector and scalar use float seconds and string values") {
  logql::QueryResult m;
  m.type = logql::ResultType::kMatrix;
  m.series.push_back({ParseLabels(R"({b="2"})").value(), {{1700000000000, 1}, {1700000060000, 2.5}}});
  m.series.push_back({ParseLabels(R"({a="1"})").value(), {{1700000000500, NAN}}});
  CHECK(DataOf(api::EncodeQueryResponse(m, {})) ==
        R"({"resultType":"matrix","result":[{"metric":{"a":"1"},"values":[[1700000000.5,"NaN"]]},)"
        R"({"metric":{"b":"2"},"values":[[1700000000,"1"],[1700000060,"2.5"]]}]})");

  logql::QueryResult v;
  v.type = logql::ResultType::kVector;
  v.series.push_back({ParseLabels(R"({level="warn"})").value(), {{1700000000500, 37.77}}});
  CHECK(DataOf(api::EncodeQueryResponse(v, {})) ==
        R"({"resultType":"vector","result":[{"metric":{"level":"warn"},"value":[1700000000.5,"37.77"]}]})");

  logql::QueryResult s;
  s.type = logql::ResultType::kScalar;
  s.scalar = {1700000000000, 2};
  CHECK(DataOf(api::EncodeQueryResponse(s, {})) == R"({"resultType":"scalar","result":[1700000000,"2"]})");
}

TEST_CASE("the stats object carries Loki's keys") {
  std::string out;
  api::AppendStatsJson(&out, {});
  for (const char* k : {"\"summary\"", "\"totalBytesProcessed\"", "\"execTime\"", "\"querier\"",
                        "\"ingester\"", "\"totalReached\"", "\"cache\"", "\"index\"",
                        "\"decompressedLines\""}) {
    CHECK_MESSAGE(out.find(k) != std::string::npos, k);
  }
}

TEST_CASE("legacy query response uses labels strings and RFC3339Nano") {
  logql::QueryResult r;
  r.lines.push_back(Line(1767225606630000000LL, "x", R"({app="api"})", {{"trace_id", "t"}}));
  std::string body = api::EncodeLegacyQueryResponse(r);
  CHECK(body.rfind(R"({"streams":[{"labels":"{app=\"api\"}","entries":[{"ts":"2026-01-01T00:00:06.63Z","line":"x"}]}],"stats":)", 0) == 0);
}

TEST_CASE("a long result written on two threads has the bytes of the serial encoding") {
  logql::QueryResult r;
  // 600 lines in 300 label sets (per-line metadata, as a trace_id gives),
  // pushed in an order that is neither the label-string order nor grouped.
  for (int i = 0; i < 600; ++i) {
    const char* stream = i % 3 == 0 ? R"({app="api"})" : R"({app="web",env="prod"})";
    r.lines.push_back(Line(1000 - i, "line \"" + std::to_string(i) + "\" <x>", stream,
                           {{"trace_id", "t" + std::to_string((i * 7) % 300)}}));
  }
  skald::common::ThreadPool pool(2);
  for (bool categorize : {false, true}) {
    CAPTURE(categorize);
    const std::string serial = api::EncodeQueryResponse(r, {.categorize_labels = categorize});
    const std::string parallel =
        api::EncodeQueryResponse(r, {.categorize_labels = categorize, .pool = &pool});
    CHECK(parallel == serial);
    const char* first = categorize ? R"("result":[{"stream":{"app":"api"},"values":[["1000","line \"0\" \u003cx\u003e",)"
                                   : R"("result":[{"stream":{"app":"api","trace_id":"t0"},"values":[["1000",)";
    CHECK(serial.find(first) != std::string::npos);
  }
}
