// Log query evaluation across many sources: the time-sliced rounds and the
// cutoff must return exactly the `limit` best entries (as a brute-force sort
// of everything would), with duplicates from overlapping sources removed, and
// must stop reading early when the first slices already hold `limit` lines.
#include "server/logql/log_query.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "common/logql/parser.h"
#include "common/thread_pool.h"

namespace skald::server::logql {
namespace {

using common::Entry;
using common::Labels;
using common::Result;
using iter::Direction;

// Counts entries pulled out of the wrapped iterator.
class CountingIterator final : public iter::EntryIterator {
 public:
  CountingIterator(std::unique_ptr<iter::EntryIterator> in, std::atomic<size_t>* pulled)
      : in_(std::move(in)), pulled_(pulled) {}
  bool Next() override {
    if (!in_->Next()) return false;
    pulled_->fetch_add(1, std::memory_order_relaxed);
    return true;
  }
  const iter::EntryRef& At() const override { return in_->At(); }
  std::string_view Labels() const override { return in_->Labels(); }
  uint64_t StreamHash() const override { return in_->StreamHash(); }
  common::Status status() const override { return in_->status(); }

 private:
  std::unique_ptr<iter::EntryIterator> in_;
  std::atomic<size_t>* pulled_;
};

class MemSource : public EntrySource {
 public:
  MemSource(std::string labels, std::vector<Entry> entries, std::atomic<size_t>* pulled)
      : labels_(std::move(labels)), entries_(std::move(entries)), pulled_(pulled) {
    std::sort(entries_.begin(), entries_.end(),
              [](const Entry& a, const Entry& b) { return a.timestamp_ns < b.timestamp_ns; });
  }
  int64_t MinTime() const override { return entries_.front().timestamp_ns; }
  int64_t MaxTime() const override { return entries_.back().timestamp_ns; }
  bool IsHead() const override { return false; }
  Result<std::unique_ptr<iter::EntryIterator>> Open(int64_t from, int64_t through, Direction d,
                                                    const ScanHints&, QueryStats*) override {
    std::vector<Entry> in;
    for (const auto& e : entries_) {
      if (e.timestamp_ns >= from && e.timestamp_ns < through) in.push_back(e);
    }
    return std::unique_ptr<iter::EntryIterator>(std::make_unique<CountingIterator>(
        iter::NewVectorEntryIterator(labels_, std::move(in), d), pulled_));
  }

 private:
  std::string labels_;
  std::vector<Entry> entries_;
  std::atomic<size_t>* pulled_;
};

struct Stream {
  Labels labels;
  std::vector<std::vector<Entry>> sources;
};

class MemQuerier : public Querier {
 public:
  std::vector<Stream> streams;
  std::atomic<size_t> pulled{0};  // tasks run on two threads

  Result<std::vector<StreamSources>> SelectStreams(std::string_view,
                                                   const std::vector<common::Matcher>& m, int64_t,
                                                   int64_t) override {
    std::vector<StreamSources> out;
    for (const auto& s : streams) {
      if (!common::MatchesAll(m, s.labels)) continue;
      StreamSources ss;
      ss.labels = std::make_shared<const Labels>(s.labels);
      for (const auto& es : s.sources) {
        ss.sources.push_back(std::make_unique<MemSource>(s.labels.ToString(), es, &pulled));
      }
      out.push_back(std::move(ss));
    }
    return out;
  }
};

constexpr int64_t kStart = 1'000'000'000'000;
constexpr int64_t kSpan = 1'000'000'000'000;  // ~17 minutes in ns

// 20 streams x 3 sources; entries spread uniformly over the span; every
// 5th line holds "hit"; source 2 of each stream repeats some of source 1.
void Corpus(uint32_t seed, MemQuerier& q) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int64_t> ts(kStart, kStart + kSpan - 1);
  for (int s = 0; s < 20; ++s) {
    Stream st;
    st.labels = Labels({{"app", "a" + std::to_string(s)}});
    for (int src = 0; src < 3; ++src) {
      std::vector<Entry> es;
      for (int i = 0; i < 400; ++i) {
        std::string line = "line " + std::to_string(s) + "/" + std::to_string(src) + "/" +
                           std::to_string(i) + (i % 5 == 0 ? " hit" : "");
        es.push_back({ts(rng), line, {}});
      }
      if (src == 2) {
        for (int i = 0; i < 50; ++i) es.push_back(st.sources[1][static_cast<size_t>(i) * 7]);
      }
      st.sources.push_back(std::move(es));
    }
    q.streams.push_back(std::move(st));
  }
}

struct Want {
  int64_t ts;
  std::string line;
  bool operator==(const Want&) const = default;
};

// The `limit` best (ts, line) pairs, duplicates removed, in direction order.
std::vector<Want> BruteForce(const MemQuerier& q, bool hits_only, Direction d, size_t limit) {
  std::vector<std::pair<std::string, Want>> all;
  for (const auto& s : q.streams) {
    for (const auto& es : s.sources) {
      for (const auto& e : es) {
        if (hits_only && e.line.find("hit") == std::string::npos) continue;
        all.push_back({s.labels.ToString(), Want{e.timestamp_ns, e.line}});
      }
    }
  }
  std::sort(all.begin(), all.end(), [&](const auto& a, const auto& b) {
    if (a.second.ts != b.second.ts) {
      return d == Direction::kBackward ? a.second.ts > b.second.ts : a.second.ts < b.second.ts;
    }
    return std::tie(a.second.line, a.first) < std::tie(b.second.line, b.first);
  });
  all.erase(std::unique(all.begin(), all.end(),
                        [](const auto& a, const auto& b) {
                          return a.first == b.first && a.second == b.second;
                        }),
            all.end());
  std::vector<Want> out;
  for (size_t i = 0; i < all.size() && out.size() < limit; ++i) out.push_back(all[i].second);
  return out;
}

std::vector<Want> Run(MemQuerier& q, const std::string& query, Direction d, uint32_t limit,
                      common::ThreadPool& pool) {
  auto expr = common::logql::ParseExpr(query);
  REQUIRE(expr.ok());
  auto* sel = dynamic_cast<const common::logql::LogSelectorExpr*>(expr->get());
  REQUIRE(sel != nullptr);
  LogQueryParams p;
  p.tenant = "t";
  p.start_ns = kStart;
  p.end_ns = kStart + kSpan;
  p.limit = limit;
  p.direction = d;
  auto r = EvalLogQuery(*sel, p, q, pool);
  REQUIRE(r.ok());
  std::vector<Want> got;
  for (const auto& l : r->lines) got.push_back({l.timestamp_ns, l.line});
  return got;
}

}  // namespace

TEST_CASE("log query returns the limit best entries in both directions, like a full sort") {
  common::ThreadPool pool(2);
  for (auto d : {Direction::kBackward, Direction::kForward}) {
    for (uint32_t limit : {1u, 7u, 100u, 1000u, 100000u}) {
      for (bool hits : {false, true}) {
        MemQuerier q;
        Corpus(limit + (hits ? 1 : 0), q);
        auto got = Run(q, hits ? "{app=~\"a.*\"} |= \"hit\"" : "{app=~\"a.*\"}", d, limit, pool);
        auto want = BruteForce(q, hits, d, limit);
        CAPTURE(limit);
        CAPTURE(hits);
        REQUIRE(got.size() == want.size());
        // Same timestamps in order; lines with equal timestamps may differ in order.
        for (size_t i = 0; i < got.size(); ++i) CHECK(got[i].ts == want[i].ts);
        auto gs = got, ws = want;
        auto by = [](const Want& a, const Want& b) { return std::tie(a.ts, a.line) < std::tie(b.ts, b.line); };
        std::sort(gs.begin(), gs.end(), by);
        std::sort(ws.begin(), ws.end(), by);
        CHECK(gs == ws);
      }
    }
  }
}

TEST_CASE("log query with a small limit stops reading long before the end of the range") {
  common::ThreadPool pool(2);
  MemQuerier q;
  Corpus(7, q);  // 20 streams x ~1250 entries spread over the range
  auto got = Run(q, "{app=~\"a.*\"}", Direction::kBackward, 50, pool);
  REQUIRE(got.size() == 50);
  CHECK(q.pulled < 25000 / 10);
}

TEST_CASE("log query with no match reads everything and returns nothing") {
  common::ThreadPool pool(2);
  MemQuerier q;
  Corpus(9, q);
  auto got = Run(q, "{app=~\"a.*\"} |= \"absent\"", Direction::kBackward, 100, pool);
  CHECK(got.empty());
  CHECK(q.pulled == 20 * (400 + 400 + 450));
}

}  // namespace skald::server::logql
