// Metric query execution paths: the entry-sizes scan (no line text) must give
// the same answers as the full pipeline scan, and is used only when the
// series cannot depend on anything but stream labels.
#include "server/logql/metric_query.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/logql/parser.h"
#include "common/thread_pool.h"

namespace skald::server::logql {
namespace {

using common::Entry;
using common::Label;
using common::Labels;
using common::Result;

constexpr int64_t kSec = 1'000'000'000;

// Sources are scanned by the pool's threads, so the counts are atomic.
struct Calls {
  std::atomic<int> sizes = 0;  // ScanEntrySizes calls that answered
  std::atomic<int> runs = 0;   // ScanRuns calls that answered
  std::atomic<int> opens = 0;
};

// Entries [b, e) of a vector as an EntryRun; entries with equal metadata
// share a set (set 0 is the empty one), as in a decoded block.
class MemRun final : public EntryRun {
 public:
  MemRun(const std::vector<Entry>& entries, size_t b, size_t e) : entries_(entries), b_(b), e_(e) {
    sets_.emplace_back();
    for (size_t i = b; i < e; ++i) {
      const auto& md = entries[i].metadata;
      auto it = std::find(sets_.begin(), sets_.end(), md);
      ids_.push_back(static_cast<uint32_t>(it - sets_.begin()));
      if (it == sets_.end()) sets_.push_back(md);
    }
  }
  size_t size() const override { return e_ - b_; }
  int64_t Timestamp(size_t i) const override { return entries_[b_ + i].timestamp_ns; }
  std::string_view Line(size_t i) const override { return entries_[b_ + i].line; }
  std::span<const Label> Metadata(size_t i) const override { return sets_[ids_[i]]; }
  uint32_t MetadataSetId(size_t i) const override { return ids_[i]; }
  size_t MetadataSetCount() const override { return sets_.size(); }
  void MetadataSetPairs(uint32_t set, std::vector<Pair>* out) const override {
    out->clear();
    for (const auto& l : sets_[set]) out->emplace_back(l.name, l.value);
  }

 private:
  const std::vector<Entry>& entries_;
  size_t b_, e_;
  std::vector<std::vector<Label>> sets_;
  std::vector<uint32_t> ids_;
};

class MemSource : public EntrySource {
 public:
  MemSource(std::string labels, std::vector<Entry> entries, bool sizes, bool runs, Calls* calls)
      : labels_(std::move(labels)), entries_(std::move(entries)), sizes_(sizes), runs_(runs), calls_(calls) {}
  int64_t MinTime() const override { return entries_.front().timestamp_ns; }
  int64_t MaxTime() const override { return entries_.back().timestamp_ns; }
  bool IsHead() const override { return true; }
  Result<std::unique_ptr<iter::EntryIterator>> Open(int64_t from, int64_t through, iter::Direction d,
                                                    const ScanHints&, QueryStats*) override {
    ++calls_->opens;
    std::vector<Entry> in;
    for (const auto& e : entries_) {
      if (e.timestamp_ns >= from && e.timestamp_ns < through) in.push_back(e);
    }
    return iter::NewVectorEntryIterator(labels_, std::move(in), d);
  }
  Result<bool> ScanEntrySizes(int64_t, int64_t, QueryStats*, const EntrySizesFn& fn) override {
    if (!sizes_) return false;
    ++calls_->sizes;
    // Every entry, in two runs, out-of-range ones included (the caller filters).
    size_t half = entries_.size() / 2;
    for (auto [b, e] : {std::pair{size_t{0}, half}, std::pair{half, entries_.size()}}) {
      std::vector<int64_t> ts;
      std::vector<uint32_t> off{0};
      for (size_t i = b; i < e; ++i) {
        ts.push_back(entries_[i].timestamp_ns);
        off.push_back(off.back() + static_cast<uint32_t>(entries_[i].line.size()));
      }
      fn(EntrySizes{ts, off});
    }
    return true;
  }
  Result<bool> ScanRuns(int64_t, int64_t, const ScanHints& hints, QueryStats*, const EntryRunFn& fn) override {
    if (!runs_) return false;
    ++calls_->runs;
    // Every entry, in two runs, newer first, out-of-range ones included.
    std::vector<Entry> entries = entries_;
    if (!hints.need_metadata) {
      for (auto& e : entries) e.metadata.clear();
    }
    const size_t half = entries.size() / 2;
    fn(MemRun(entries, half, entries.size()));
    fn(MemRun(entries, 0, half));
    return true;
  }

 private:
  std::string labels_;
  std::vector<Entry> entries_;
  bool sizes_;
  bool runs_;
  Calls* calls_;
};

class MemQuerier : public Querier {
 public:
  MemQuerier(bool sizes, Calls* calls, bool runs = false) : sizes_(sizes), runs_(runs), calls_(calls) {}
  void Add(Labels labels, std::vector<Entry> entries) { streams_.push_back({std::move(labels), std::move(entries)}); }
  Result<std::vector<StreamSources>> SelectStreams(std::string_view, const std::vector<common::Matcher>& m,
                                                   int64_t, int64_t) override {
    std::vector<StreamSources> out;
    for (const auto& [labels, entries] : streams_) {
      if (!common::MatchesAll(m, labels)) continue;
      StreamSources s;
      s.labels = std::make_shared<const Labels>(labels);
      s.sources.push_back(std::make_unique<MemSource>(labels.ToString(), entries, sizes_, runs_, calls_));
      out.push_back(std::move(s));
    }
    return out;
  }

 private:
  bool sizes_;
  bool runs_;
  Calls* calls_;
  std::vector<std::pair<Labels, std::vector<Entry>>> streams_;
};

// Two streams over 10 minutes; every entry has a unique trace_id metadata.
void Fill(MemQuerier* q) {
  const char* levels[] = {"info", "warn", "error"};
  for (int s = 0; s < 2; ++s) {
    std::vector<Entry> entries;
    for (int i = 0; i < 300; ++i) {
      Entry e;
      e.timestamp_ns = 1000 * kSec + i * 2 * kSec + s;
      e.line = std::string(R"({"level":")") + levels[(i + s) % 3] + R"(","msg":")" +
               std::string(static_cast<size_t>(i % 17), 'x') + R"(","ms":)" + std::to_string(i % 13) + "}";
      e.metadata.push_back(Label{"trace_id", "t" + std::to_string(s) + "-" + std::to_string(i)});
      if (i % 5 == 0) e.metadata.push_back(Label{"tier", "gold"});
      entries.push_back(std::move(e));
    }
    q->Add(Labels({{"app", s == 0 ? "api" : "web"}, {"env", "prod"}}), std::move(entries));
  }
}

std::string Run(const std::string& query, bool sizes, Calls* calls, bool runs = false) {
  MemQuerier q(sizes, calls, runs);
  Fill(&q);
  common::ThreadPool pool(2);
  auto expr = common::logql::ParseExpr(query);
  REQUIRE(expr.ok());
  MetricQueryParams p;
  p.tenant = "fake";
  p.start_ns = 1000 * kSec;
  p.end_ns = 1600 * kSec;
  p.step_ns = 45 * kSec;
  auto r = EvalMetricQuery(**expr, p, q, pool);
  REQUIRE(r.ok());
  std::string out;
  for (const auto& s : r->series) {
    out += s.metric.ToString() + ":";
    for (const auto& pt : s.points) out += " " + std::to_string(pt.t_ms) + "=" + std::to_string(pt.value);
    out += "\n";
  }
  return out;
}

TEST_CASE("metric query: entry-sizes scan matches the full scan for count/bytes/rate by stream labels") {
  for (std::string q : {"sum by (app) (bytes_over_time({env=\"prod\"}[2m]))",
                        "sum by (app) (count_over_time({env=\"prod\"}[30s]))",
                        "sum(rate({env=\"prod\"}[1m]))", "sum by (env) (bytes_rate({env=\"prod\"}[5m] offset 1m))",
                        "topk(1, sum by (app) (bytes_over_time({env=\"prod\"}[10m])))"}) {
    INFO(q);
    Calls fast, slow;
    std::string a = Run(q, true, &fast);
    std::string b = Run(q, false, &slow);
    CHECK(fast.sizes == 2);
    CHECK(fast.opens == 0);
    CHECK(slow.opens == 2);
    CHECK(!a.empty());
    CHECK(a == b);
  }
}

TEST_CASE("metric query: a grouping label that is not a stream label reads entries, not sizes") {
  Calls calls;
  std::string out = Run("sum by (tier) (count_over_time({env=\"prod\"}[10m]))", true, &calls);
  CHECK(calls.sizes == 0);
  CHECK(calls.opens == 2);
  // tier=gold on every 5th entry: 120 of 600 in the last window.
  CHECK(out.find("{tier=\"gold\"}:") != std::string::npos);
}

TEST_CASE("metric query: a line pipeline reads entries, not sizes") {
  Calls calls;
  Run("sum by (app) (count_over_time({env=\"prod\"} |= \"warn\" [1m]))", true, &calls);
  CHECK(calls.sizes == 0);
  CHECK(calls.opens == 2);
}

TEST_CASE("metric query: unobserved per-entry metadata does not split grouped series") {
  Calls calls;
  std::string out = Run("sum by (level) (count_over_time({env=\"prod\"} | json | __error__=\"\" [1m]))", true, &calls);
  CHECK(std::count(out.begin(), out.end(), '\n') == 3);  // error, info, warn
  CHECK(out.find("{level=\"error\"}") != std::string::npos);
}

TEST_CASE("metric query: count by level per step equals a brute-force count of the corpus") {
  Calls calls;
  std::string out = Run("sum by (level) (count_over_time({env=\"prod\"} | json [1m]))", true, &calls);
  const char* levels[] = {"info", "warn", "error"};
  std::string want;
  for (int l : {2, 0, 1}) {  // series ordered by labels: error, info, warn
    want += std::string("{level=\"") + levels[l] + "\"}:";
    for (int64_t t = 1000 * kSec; t <= 1600 * kSec; t += 45 * kSec) {
      int n = 0;
      for (int s = 0; s < 2; ++s) {
        for (int i = 0; i < 300; ++i) {
          int64_t ts = 1000 * kSec + i * 2 * kSec + s;
          if ((i + s) % 3 == l && ts > t - 60 * kSec && ts <= t) ++n;
        }
      }
      if (n > 0) want += " " + std::to_string(t / 1'000'000) + "=" + std::to_string(static_cast<double>(n));
    }
    want += "\n";
  }
  CHECK(out == want);
}

TEST_CASE("metric query: without grouping, structured metadata stays in the series labels") {
  Calls calls;
  std::string out = Run("count_over_time({app=\"api\"}[1m])", true, &calls);
  CHECK(calls.sizes == 0);
  CHECK(out.find("trace_id=\"t0-0\"") != std::string::npos);
}

TEST_CASE("metric query: a run scan (ScanRuns) matches the iterator scan") {
  for (std::string q : {"sum by (level) (count_over_time({env=\"prod\"} | json | __error__=\"\" [1m]))",
                        "quantile_over_time(0.9, {env=\"prod\"} | json | unwrap ms [3m]) by (app)",
                        "sum by (tier, level) (count_over_time({env=\"prod\"} | json [2m]))",
                        "max_over_time({env=\"prod\"} | json | unwrap ms [5m]) by (tier, app)",
                        "sum by (app) (rate({env=\"prod\"} |= \"warn\" [1m]))",
                        "count_over_time({app=\"web\"} | json | level=\"warn\" [1m])",
                        "sum by (level) (bytes_over_time({env=\"prod\"} | logfmt [1m]))"}) {
    INFO(q);
    Calls fast, slow;
    std::string a = Run(q, false, &fast, true);
    std::string b = Run(q, false, &slow, false);
    CHECK(fast.runs >= 1);
    CHECK(fast.opens == 0);
    CHECK(slow.opens == fast.runs);
    CHECK(!a.empty());
    CHECK(a == b);
  }
}

TEST_CASE("metric query: a run scan keeps observable metadata and drops the rest per set") {
  Calls calls;
  std::string out = Run("sum by (tier) (count_over_time({env=\"prod\"} | json [10m]))", false, &calls, true);
  CHECK(calls.runs == 2);
  CHECK(out.find("{tier=\"gold\"}:") != std::string::npos);
  CHECK(out.find("trace_id") == std::string::npos);
}

// One stream whose entries are split round-robin over `sources` sources
// (tasks), so each task's samples interleave in time with the others'.
std::string RunSplit(const std::string& query, const std::vector<Entry>& entries, size_t sources,
                     int64_t start, int64_t end, int64_t step) {
  class SplitQuerier : public Querier {
   public:
    SplitQuerier(const std::vector<Entry>& e, size_t n) : entries_(e), n_(n) {}
    Result<std::vector<StreamSources>> SelectStreams(std::string_view, const std::vector<common::Matcher>&,
                                                     int64_t, int64_t) override {
      Labels labels(std::vector<Label>{{"app", "big"}});
      StreamSources s;
      s.labels = std::make_shared<const Labels>(labels);
      for (size_t k = 0; k < n_; ++k) {
        std::vector<Entry> part;
        for (size_t i = k; i < entries_.size(); i += n_) part.push_back(entries_[i]);
        s.sources.push_back(std::make_unique<MemSource>(labels.ToString(), std::move(part), false, false, &calls_));
      }
      std::vector<StreamSources> out;
      out.push_back(std::move(s));
      return out;
    }

   private:
    const std::vector<Entry>& entries_;
    size_t n_;
    Calls calls_;
  };
  SplitQuerier q(entries, sources);
  common::ThreadPool pool(2);
  auto expr = common::logql::ParseExpr(query);
  REQUIRE(expr.ok());
  MetricQueryParams p;
  p.tenant = "fake";
  p.start_ns = start;
  p.end_ns = end;
  p.step_ns = step;
  auto r = EvalMetricQuery(**expr, p, q, pool);
  REQUIRE(r.ok());
  std::string out;
  for (const auto& s : r->series) {
    for (const auto& pt : s.points) out += " " + std::to_string(pt.t_ms) + "=" + std::to_string(pt.value);
  }
  return out;
}

TEST_CASE("metric query: unwrapped windows over a large series split across tasks equal brute force") {
  // 21,000 samples (above the size at which steps are evaluated in parts),
  // 100 ms apart, from three tasks whose samples interleave.
  std::vector<Entry> entries;
  std::vector<int64_t> ts;
  std::vector<double> vals;
  for (int i = 0; i < 21000; ++i) {
    Entry e;
    e.timestamp_ns = 1000 * kSec + int64_t{i} * (kSec / 10);
    const int v = (i * 7919) % 1000;
    e.line = R"({"ms":)" + std::to_string(v) + "}";
    entries.push_back(e);
    ts.push_back(e.timestamp_ns);
    vals.push_back(v);
  }
  const int64_t start = 1000 * kSec, end = 3100 * kSec, step = 30 * kSec, range = 120 * kSec;
  auto brute = [&](auto fn) {
    std::string want;
    for (int64_t t = start; t <= end; t += step) {
      std::vector<double> w;
      for (size_t i = 0; i < ts.size(); ++i) {
        if (ts[i] > t - range && ts[i] <= t) w.push_back(vals[i]);
      }
      if (!w.empty()) want += " " + std::to_string(t / 1'000'000) + "=" + std::to_string(fn(w));
    }
    return want;
  };
  auto median = [](std::vector<double> w) {
    std::sort(w.begin(), w.end());
    const double rank = 0.5 * static_cast<double>(w.size() - 1);
    const size_t lo = static_cast<size_t>(rank);
    const size_t hi = std::min(w.size() - 1, lo + 1);
    return w[lo] * (1 - (rank - static_cast<double>(lo))) + w[hi] * (rank - static_cast<double>(lo));
  };
  for (size_t sources : {size_t{1}, size_t{3}}) {
    INFO(sources);
    CHECK(RunSplit("sum_over_time({app=\"big\"} | json | unwrap ms [2m])", entries, sources, start, end, step) ==
          brute([](const std::vector<double>& w) {
            double sum = 0;
            for (double v : w) sum += v;
            return sum;
          }));
    CHECK(RunSplit("quantile_over_time(0.5, {app=\"big\"} | json | unwrap ms [2m])", entries, sources, start, end,
                   step) == brute(median));
    CHECK(RunSplit("last_over_time({app=\"big\"} | json | unwrap ms [2m])", entries, sources, start, end, step) ==
          brute([](const std::vector<double>& w) { return w.back(); }));
    CHECK(RunSplit("first_over_time({app=\"big\"} | json | unwrap ms [2m])", entries, sources, start, end, step) ==
          brute([](const std::vector<double>& w) { return w.front(); }));
  }
}

// Both scans: a run scan leaves the unobserved trace_id out and must redo
// the erroring line with all of its metadata.
TEST_CASE("metric query: a pipeline error lists the erroring entry's structured metadata") {
  for (bool runs : {false, true}) {
    INFO(runs);
    Calls calls;
    MemQuerier q(true, &calls, runs);
    Entry e;
    e.timestamp_ns = 1000 * kSec;
    e.line = "not json";
    e.metadata.push_back(Label{"trace_id", "abc"});
    q.Add(Labels(std::vector<Label>{{"app", "api"}}), {e});
    common::ThreadPool pool(1);
    auto expr = common::logql::ParseExpr("sum by (level) (count_over_time({app=\"api\"} | json [1m]))");
    REQUIRE(expr.ok());
    MetricQueryParams p;
    p.start_ns = p.end_ns = 1000 * kSec;
    p.instant = true;
    auto r = EvalMetricQuery(**expr, p, q, pool);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().message().find("pipeline error: 'JSONParserErr'") != std::string::npos);
    CHECK(r.status().message().find("trace_id=\"abc\"") != std::string::npos);
    CHECK(calls.runs == (runs ? 1 : 0));
    CHECK(calls.opens == (runs ? 0 : 1));
  }
}

}  // namespace
}  // namespace skald::server::logql
