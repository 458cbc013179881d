// Pipeline throughput: `|= "needle"` and `| json` in bytes/s against raw
// memchr/memmem over the same buffer of lines.
#include <benchmark/benchmark.h>
#include <string.h>

#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "common/labels.h"
#include "common/matcher.h"
#include "server/logql/log/label_filter.h"
#include "server/logql/log/json_parser.h"
#include "server/logql/log/line_filter.h"
#include "server/logql/log/logfmt_parser.h"
#include "server/logql/log/pipeline.h"

namespace {

using skald::server::logql::log::FilterOp;
using skald::server::logql::log::JsonParser;
using skald::server::logql::log::LabelFilter;
using skald::server::logql::log::LineFilter;
using skald::server::logql::log::LogfmtParser;
using skald::server::logql::log::Pipeline;
using skald::server::logql::log::StagePtr;

constexpr int kLines = 10000;

// Logfmt-ish lines; every 100th contains the needle.
const std::vector<std::string>& TextLines() {
  static const auto* v = [] {
    auto* out = new std::vector<std::string>();
    for (int i = 0; i < kLines; ++i) {
      out->push_back("ts=2026-01-01T00:00:00Z level=info caller=server.go:42 msg=\"request served\" path=/api/v1/items/" +
                     std::to_string(i) + " status=200 duration=1.2ms" + (i % 100 == 0 ? " needle" : ""));
    }
    return out;
  }();
  return *v;
}

const std::vector<std::string>& JsonLines() {
  static const auto* v = [] {
    auto* out = new std::vector<std::string>();
    for (int i = 0; i < kLines; ++i) {
      out->push_back(R"({"ts":"2026-01-01T00:00:00Z","level":"info","msg":"request served","req":{"path":"/api/v1/items/)" +
                     std::to_string(i) + R"(","method":"GET"},"status":200,"duration_ms":1.2,"ok":true})");
    }
    return out;
  }();
  return *v;
}

int64_t Bytes(const std::vector<std::string>& lines) {
  int64_t n = 0;
  for (const auto& l : lines) n += static_cast<int64_t>(l.size());
  return n;
}

void RunPipeline(benchmark::State& state, std::vector<StagePtr> stages, const std::vector<std::string>& lines) {
  Pipeline p(std::move(stages));
  auto& sp = p.ForStream(skald::common::Labels(std::vector<skald::common::Label>{{"app", "bench"}}));
  for (auto _ : state) {
    int kept = 0;
    for (const auto& l : lines) kept += sp.Process(0, l).keep;
    benchmark::DoNotOptimize(kept);
  }
  state.SetBytesProcessed(state.iterations() * Bytes(lines));
}

void BM_RawMemmem(benchmark::State& state) {
  const auto& lines = TextLines();
  for (auto _ : state) {
    int kept = 0;
    for (const auto& l : lines) kept += memmem(l.data(), l.size(), "needle", 6) != nullptr;
    benchmark::DoNotOptimize(kept);
  }
  state.SetBytesProcessed(state.iterations() * Bytes(lines));
}
BENCHMARK(BM_RawMemmem);

void BM_RawMemchr(benchmark::State& state) {
  const auto& lines = TextLines();
  for (auto _ : state) {
    int kept = 0;
    for (const auto& l : lines) kept += memchr(l.data(), '~', l.size()) != nullptr;
    benchmark::DoNotOptimize(kept);
  }
  state.SetBytesProcessed(state.iterations() * Bytes(lines));
}
BENCHMARK(BM_RawMemchr);

void BM_ContainsFilter(benchmark::State& state) {
  auto f = LineFilter::Create(FilterOp::kContains, std::vector<std::string>{"needle"});
  RunPipeline(state, {StagePtr(std::move(f.value()))}, TextLines());
}
BENCHMARK(BM_ContainsFilter);

void BM_RegexFilter(benchmark::State& state) {
  auto f = LineFilter::Create(FilterOp::kRegex, std::vector<std::string>{"status=5\\d\\d"});
  RunPipeline(state, {StagePtr(std::move(f.value()))}, TextLines());
}
BENCHMARK(BM_RegexFilter);

void BM_JsonParser(benchmark::State& state) {
  RunPipeline(state, {std::make_shared<JsonParser>()}, JsonLines());
}
BENCHMARK(BM_JsonParser);

// The parse alone: labels left in the builder (no LabelsResult per line).
// Unrestricted `| json` over `lines`, labels left in the builder.
void RunJsonNoResult(benchmark::State& state, const std::vector<std::string>& lines) {
  Pipeline p({std::make_shared<JsonParser>()});
  auto& sp = p.ForStream(skald::common::Labels(std::vector<skald::common::Label>{{"app", "bench"}}));
  for (auto _ : state) {
    int kept = 0;
    for (const auto& l : lines) {
      std::string_view line = l;
      kept += sp.ProcessNoLabels(0, &line, nullptr);
    }
    benchmark::DoNotOptimize(kept);
  }
  state.SetBytesProcessed(state.iterations() * Bytes(lines));
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(lines.size()));
}

void BM_JsonParserNoResult(benchmark::State& state) { RunJsonNoResult(state, JsonLines()); }
BENCHMARK(BM_JsonParserNoResult);

// `| json` restricted to the labels a `sum by (level)` metric query reads
// (RequiredLabels): the label set repeats, so Result() hits the cache.
void BM_JsonParserAllowLevel(benchmark::State& state) {
  RunPipeline(state, {std::make_shared<JsonParser>(std::vector<std::string>{"level", "__error__"})},
              JsonLines());
}
BENCHMARK(BM_JsonParserAllowLevel);

// Validation only (`sum(count_over_time({…} | json | __error__="" [5m]))`).
void BM_JsonParserAllowNone(benchmark::State& state) {
  RunPipeline(state, {std::make_shared<JsonParser>(std::vector<std::string>{})}, JsonLines());
}
BENCHMARK(BM_JsonParserAllowNone);

// Lines of SKALD_PIPELINE_CORPUS (one per line, e.g. the query bench corpus'
// `line` fields), or the synthetic JSON lines when unset/unreadable.
const std::vector<std::string>& CorpusLines() {
  static const auto* v = [] {
    auto* out = new std::vector<std::string>();
    if (const char* path = std::getenv("SKALD_PIPELINE_CORPUS")) {
      std::ifstream in(path);
      std::string l;
      while (std::getline(in, l)) out->push_back(l);
    }
    if (out->empty()) *out = JsonLines();
    return out;
  }();
  return *v;
}

// The per-line work of `sum by (level) (count_over_time({…} | json |
// __error__="" [5m]))` before the sample: restricted `| json`, the error
// filter, the grouping label read. Mixed corpus lines (logfmt, nginx, stack
// traces fail the parser and are dropped by the filter).
void BM_CorpusCountByLevel(benchmark::State& state) {
  std::vector<StagePtr> stages = {
      std::make_shared<JsonParser>(std::vector<std::string>{"__error__", "level"}),
      StagePtr(LabelFilter::String(
          skald::common::Matcher::Create(skald::common::MatchType::kEqual, "__error__", "").value()))};
  Pipeline p(std::move(stages));
  auto& sp = p.ForStream(skald::common::Labels(std::vector<skald::common::Label>{{"app", "bench"}}));
  const auto& lines = CorpusLines();
  for (auto _ : state) {
    size_t kept = 0;
    for (const auto& l : lines) {
      std::string_view line = l;
      if (sp.ProcessNoLabels(0, &line, nullptr)) kept += sp.builder().GetOrEmpty("level").size();
    }
    benchmark::DoNotOptimize(kept);
  }
  state.SetBytesProcessed(state.iterations() * Bytes(lines));
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(lines.size()));
}
BENCHMARK(BM_CorpusCountByLevel);

// Unrestricted `| json` over the corpus (log queries), labels left in the builder.
void BM_CorpusJsonAll(benchmark::State& state) { RunJsonNoResult(state, CorpusLines()); }
BENCHMARK(BM_CorpusJsonAll);

void BM_LogfmtParser(benchmark::State& state) {
  RunPipeline(state, {StagePtr(std::move(LogfmtParser::Create({}).value()))}, TextLines());
}
BENCHMARK(BM_LogfmtParser);

void BM_LogfmtParserAllowLevel(benchmark::State& state) {
  RunPipeline(state, {StagePtr(LogfmtParser::CreateRestricted({}, {"level"}))}, TextLines());
}
BENCHMARK(BM_LogfmtParserAllowLevel);

}  // namespace

BENCHMARK_MAIN();
