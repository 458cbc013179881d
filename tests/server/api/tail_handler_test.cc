#include "server/api/tail_handler.h"

#include <doctest/doctest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/matcher.h"
#include "common/thread_pool.h"
#include "common/time.h"
#include "server/logql/engine.h"

using namespace skald::server::api;
using skald::common::Entry;
using skald::common::FakeClock;
using skald::common::kNanosPerSecond;
using skald::common::Label;
using skald::common::Labels;
using skald::common::Result;
using skald::common::Status;
using skald::common::http::Request;
using skald::common::http::Response;
using skald::common::http::Router;
using skald::common::http::WebSocketStream;
using skald::server::logql::LogLine;
namespace iter = skald::server::iter;
namespace logql = skald::server::logql;

namespace {

constexpr int64_t kNow = 1767229200LL * kNanosPerSecond;

Labels L(std::string name, std::string value) {
  return Labels(std::vector<Label>{Label{std::move(name), std::move(value)}});
}

Request With(std::vector<std::pair<std::string, std::string>> params) {
  Request r;
  r.method = "GET";
  r.path = "/loki/api/v1/tail";
  r.params = std::move(params);
  return r;
}

std::shared_ptr<const skald::server::logql::log::LabelsResult> Result3(Labels stream, Labels metadata,
                                                                       Labels parsed) {
  auto r = std::make_shared<skald::server::logql::log::LabelsResult>();
  std::vector<Label> all = stream.pairs();
  for (const auto& l : metadata.pairs()) all.push_back(l);
  for (const auto& l : parsed.pairs()) all.push_back(l);
  r->labels = Labels(all);
  r->stream = std::move(stream);
  r->metadata = std::move(metadata);
  r->parsed = std::move(parsed);
  return r;
}

LogLine Line(int64_t ts, std::string text, std::shared_ptr<const skald::server::logql::log::LabelsResult> labels) {
  return LogLine{ts, std::move(text), std::move(labels)};
}

// --- a Querier over in-memory streams, to drive real tail sessions ---

class VectorSource : public logql::EntrySource {
 public:
  VectorSource(std::string labels, std::vector<Entry> entries)
      : labels_(std::move(labels)), entries_(std::move(entries)) {}
  int64_t MinTime() const override { return entries_.empty() ? 0 : entries_.front().timestamp_ns; }
  int64_t MaxTime() const override { return entries_.empty() ? 0 : entries_.back().timestamp_ns; }
  bool IsHead() const override { return true; }
  Result<std::unique_ptr<iter::EntryIterator>> Open(int64_t from, int64_t through, iter::Direction d,
                                                    const logql::ScanHints&, logql::QueryStats*) override {
    std::vector<Entry> in;
    for (const auto& e : entries_) {
      if (e.timestamp_ns >= from && e.timestamp_ns < through) in.push_back(e);
    }
    return iter::NewVectorEntryIterator(labels_, std::move(in), d);
  }

 private:
  std::string labels_;
  std::vector<Entry> entries_;
};

class MemQuerier : public logql::Querier {
 public:
  // Entries must be added in timestamp order per stream.
  void Add(const std::string& labels, int64_t ts, std::string line) {
    streams_[labels].push_back(Entry{ts, std::move(line), {}});
  }
  Result<std::vector<logql::StreamSources>> SelectStreams(std::string_view,
                                                          const std::vector<skald::common::Matcher>& m,
                                                          int64_t, int64_t) override {
    std::vector<logql::StreamSources> out;
    for (const auto& [text, entries] : streams_) {
      auto labels = skald::common::ParseLabels(text);
      REQUIRE(labels.ok());
      if (!skald::common::MatchesAll(m, *labels)) continue;
      logql::StreamSources s;
      s.labels = std::make_shared<const Labels>(*labels);
      s.sources.push_back(std::make_unique<VectorSource>(labels->ToString(), entries));
      out.push_back(std::move(s));
    }
    return out;
  }

 private:
  std::map<std::string, std::vector<Entry>> streams_;
};

struct Fixture {
  MemQuerier querier;
  skald::common::ThreadPool pool{1};
  logql::Engine engine{&querier, &pool};
  FakeClock clock{kNow};
  QueryApi api;
  Router router;
  int64_t max_tails = 10;

  Fixture() {
    api.engine = &engine;
    api.clock = &clock;
    api.limits = [this](std::string_view) {
      skald::common::TenantLimits l;
      l.max_concurrent_tail_requests = max_tails;
      return l;
    };
    RegisterTailRoutes(&router, &api);
  }

  std::variant<Response, std::unique_ptr<WebSocketStream>> Open(const Request& req) {
    auto match = router.Find("GET", req.path, /*websocket_upgrade=*/true);
    REQUIRE(match.route != nullptr);
    return match.route->websocket(req);
  }

  std::unique_ptr<WebSocketStream> OpenStream(const Request& req) {
    auto outcome = Open(req);
    REQUIRE(std::holds_alternative<std::unique_ptr<WebSocketStream>>(outcome));
    return std::move(std::get<std::unique_ptr<WebSocketStream>>(outcome));
  }
};

// The next frame without waiting; "" when none is ready.
std::string NextFrame(WebSocketStream& s) {
  auto r = s.Next(std::chrono::milliseconds(0));
  REQUIRE(r.ok());
  return r->has_value() ? **r : std::string();
}

}  // namespace

// ---------------------------------------------------------------- params

TEST_CASE("tail params: defaults are limit 100, start now-1h, no delay") {
  auto p = ParseTailParams(With({{"query", "{app=\"a\"}"}}), kNow);
  REQUIRE(p.ok());
  CHECK(p->query == "{app=\"a\"}");
  CHECK(p->limit == 100);
  CHECK(p->start_ns == kNow - 3600 * kNanosPerSecond);
  CHECK(p->delay_for_ns == 0);
}

TEST_CASE("tail params: explicit limit, start and delay_for") {
  auto p = ParseTailParams(
      With({{"query", "{app=\"a\"} |= \"x\""}, {"limit", "7"}, {"start", "1767229000"}, {"delay_for", "5"}}),
      kNow);
  REQUIRE(p.ok());
  CHECK(p->limit == 7);
  CHECK(p->start_ns == 1767229000LL * kNanosPerSecond);
  CHECK(p->delay_for_ns == 5 * kNanosPerSecond);
}

TEST_CASE("tail params: delay_for above 5 is rejected with Loki's text") {
  auto p = ParseTailParams(With({{"query", "{app=\"a\"}"}, {"delay_for", "6"}}), kNow);
  REQUIRE(!p.ok());
  CHECK(p.status().message() == "delay_for can't be greater than 5");
}

TEST_CASE("tail params: negative delay_for wraps like Loki's uint32 and is rejected") {
  auto p = ParseTailParams(With({{"query", "{app=\"a\"}"}, {"delay_for", "-1"}}), kNow);
  REQUIRE(!p.ok());
  CHECK(p.status().message() == "delay_for can't be greater than 5");
}

TEST_CASE("tail params: non-integer delay_for is a strconv error") {
  auto p = ParseTailParams(With({{"query", "{app=\"a\"}"}, {"delay_for", "1.5"}}), kNow);
  REQUIRE(!p.ok());
  CHECK(p.status().message() == "strconv.Atoi: parsing \"1.5\": invalid syntax");
  CHECK(p.status().HttpStatus() == 400);
}

TEST_CASE("tail params: a metric query is rejected") {
  auto p = ParseTailParams(With({{"query", "rate({app=\"a\"}[1m])"}}), kNow);
  REQUIRE(!p.ok());
  CHECK(p.status().HttpStatus() == 400);
}

TEST_CASE("tail params: a malformed query is a parse error") {
  auto p = ParseTailParams(With({{"query", "{app=\"a\""}}), kNow);
  REQUIRE(!p.ok());
  CHECK(p.status().message().rfind("parse error", 0) == 0);
}

TEST_CASE("tail params: a missing query is rejected") {
  auto p = ParseTailParams(With({}), kNow);
  CHECK(!p.ok());
}

TEST_CASE("tail params: bad limit and bad start are rejected") {
  CHECK(ParseTailParams(With({{"query", "{app=\"a\"}"}, {"limit", "0"}}), kNow).status().message() ==
        "limit must be a positive value");
  CHECK(!ParseTailParams(With({{"query", "{app=\"a\"}"}, {"start", "yesterday"}}), kNow).ok());
}

TEST_CASE("tail params: legacy regexp is folded into the query as a regex line filter") {
  auto p = ParseTailParams(With({{"query", "{app=\"a\"}"}, {"regexp", "err.*"}}), kNow);
  REQUIRE(p.ok());
  CHECK(p->query == "{app=\"a\"} |~ \"err.*\"");
}

// ---------------------------------------------------------------- messages

TEST_CASE("tail message: empty batch still has streams") {
  CHECK(EncodeTailMessage({}, {}, TailFormat::kV1) == R"({"streams":[]})");
}

TEST_CASE("tail message: v1 groups by merged labels in first-appearance order") {
  auto a = Result3(L("app", "a"), L("trace", "t1"), Labels());
  auto b = Result3(L("app", "b"), Labels(), Labels());
  std::vector<LogLine> lines = {Line(3, "x<y", b), Line(1, "one", a), Line(2, "two", b)};
  CHECK(EncodeTailMessage(lines, {}, TailFormat::kV1) ==
        R"({"streams":[{"stream":{"app":"b"},"values":[["3","x\u003cy"],["2","two"]]},)"
        R"({"stream":{"app":"a","trace":"t1"},"values":[["1","one"]]}]})");
}

TEST_CASE("tail message: categorize-labels splits labels and adds encodingFlags") {
  auto a = Result3(L("app", "a"), L("trace", "t1"), L("level", "info"));
  auto plain = Result3(L("app", "a"), Labels(), Labels());
  std::vector<LogLine> lines = {Line(1, "one", a), Line(2, "two", plain)};
  CHECK(EncodeTailMessage(lines, {}, TailFormat::kV1Categorized) ==
        R"({"streams":[{"stream":{"app":"a"},"values":[["1","one",{"structuredMetadata":{"trace":"t1"},)"
        R"("parsed":{"level":"info"}}],["2","two",{}]]}],"encodingFlags":["categorize-labels"]})");
}

TEST_CASE("tail message: dropped entries are listed with labels and ns timestamps") {
  std::vector<TailDroppedEntry> dropped = {{L("app", "a"), 42}};
  CHECK(EncodeTailMessage({}, dropped, TailFormat::kV1) ==
        R"({"streams":[],"dropped_entries":[{"labels":{"app":"a"},"timestamp":"42"}]})");
}

TEST_CASE("tail message: dropped entries are capped at 1000 per message") {
  std::vector<TailDroppedEntry> dropped(kMaxTailDroppedEntries + 5, {L("a", "b"), 1});
  std::string msg = EncodeTailMessage({}, dropped, TailFormat::kV1);
  size_t count = 0;
  for (size_t pos = msg.find("\"timestamp\""); pos != std::string::npos;
       pos = msg.find("\"timestamp\"", pos + 1)) {
    ++count;
  }
  CHECK(count == kMaxTailDroppedEntries);
}

TEST_CASE("tail message: legacy shape uses label strings, RFC3339 times and capitalised drops") {
  auto a = Result3(L("app", "a"), Labels(), Labels());
  std::vector<LogLine> lines = {Line(1767229200000000001LL, "hi", a)};
  std::vector<TailDroppedEntry> dropped = {{L("app", "a"), 1767229200000000000LL}};
  CHECK(EncodeTailMessage(lines, dropped, TailFormat::kLegacy) ==
        R"({"streams":[{"labels":"{app=\"a\"}","entries":[{"ts":"2026-01-01T01:00:00.000000001Z","line":"hi"}]}],)"
        R"("dropped_entries":[{"Timestamp":"2026-01-01T01:00:00Z","Labels":"{app=\"a\"}"}]})");
}

// ---------------------------------------------------------------- cursor

TEST_CASE("tail cursor: drops lines already delivered at the newest timestamp") {
  auto a = Result3(L("app", "a"), Labels(), Labels());
  TailCursor c(0);
  auto first = c.Advance({Line(5, "p", a), Line(7, "q", a)});
  CHECK(first.size() == 2);
  CHECK(c.from_ns() == 7);
  // The next window starts at 7: "q" comes again, "r" is new at the same ts.
  auto second = c.Advance({Line(7, "q", a), Line(7, "r", a), Line(9, "s", a)});
  REQUIRE(second.size() == 2);
  CHECK(second[0].line == "r");
  CHECK(second[1].line == "s");
  CHECK(c.from_ns() == 9);
}

TEST_CASE("tail cursor: same line in another stream at the same timestamp is not a duplicate") {
  auto a = Result3(L("app", "a"), Labels(), Labels());
  auto b = Result3(L("app", "b"), Labels(), Labels());
  TailCursor c(0);
  CHECK(c.Advance({Line(5, "same", a)}).size() == 1);
  CHECK(c.Advance({Line(5, "same", a), Line(5, "same", b)}).size() == 1);
}

TEST_CASE("tail cursor: skipping ahead forgets the seen set") {
  auto a = Result3(L("app", "a"), Labels(), Labels());
  TailCursor c(0);
  c.Advance({Line(5, "p", a)});
  c.SkipTo(10);
  CHECK(c.from_ns() == 10);
  CHECK(c.Advance({Line(5, "old", a), Line(10, "p", a)}).size() == 1);
}

// ---------------------------------------------------------------- counter

TEST_CASE("tail counter: refuses past the limit with Loki's text and frees on release") {
  TailSessionCounter c;
  CHECK(c.Acquire("t", 2).ok());
  CHECK(c.Acquire("t", 2).ok());
  Status s = c.Acquire("t", 2);
  REQUIRE(!s.ok());
  CHECK(s.message() == "max concurrent tail requests limit exceeded, count > limit (3 > 2)");
  CHECK(c.Count("t") == 2);
  CHECK(c.Acquire("other", 2).ok());
  c.Release("t");
  CHECK(c.Acquire("t", 2).ok());
}

// ---------------------------------------------------------------- sessions

TEST_CASE("tail session: a bad query is answered with 400 before the upgrade") {
  Fixture f;
  auto outcome = f.Open(With({{"query", "{app="}}));
  REQUIRE(std::holds_alternative<Response>(outcome));
  CHECK(std::get<Response>(outcome).status == 400);
}

TEST_CASE("tail session: replays the last `limit` entries oldest first, then streams new ones") {
  Fixture f;
  for (int i = 1; i <= 5; ++i) f.querier.Add("{app=\"a\"}", kNow - 10 * kNanosPerSecond + i, "old" + std::to_string(i));
  auto s = f.OpenStream(With({{"query", "{app=\"a\"}"}, {"limit", "2"}}));
  CHECK(NextFrame(*s) ==
        R"({"streams":[{"stream":{"app":"a"},"values":[[")" + std::to_string(kNow - 10 * kNanosPerSecond + 4) +
            R"(","old4"],[")" + std::to_string(kNow - 10 * kNanosPerSecond + 5) + R"(","old5"]]}]})");
  // Not yet time for the next poll.
  f.querier.Add("{app=\"a\"}", kNow + 1, "new1");
  f.clock.Advance(100 * 1'000'000);
  CHECK(NextFrame(*s).empty());
  f.clock.Advance(200 * 1'000'000);
  CHECK(NextFrame(*s) == R"({"streams":[{"stream":{"app":"a"},"values":[[")" + std::to_string(kNow + 1) +
                             R"(","new1"]]}]})");
  // Nothing new: nothing sent, and "new1" never comes twice.
  f.clock.Advance(300 * 1'000'000);
  CHECK(NextFrame(*s).empty());
  s->Close();
}

TEST_CASE("tail session: new entries are batched at most 100 per message") {
  Fixture f;
  auto s = f.OpenStream(With({{"query", "{app=\"a\"}"}}));
  CHECK(NextFrame(*s).empty());  // empty replay sends nothing
  for (int i = 0; i < 150; ++i) f.querier.Add("{app=\"a\"}", kNow + i, "l");
  f.clock.Advance(1000 * 1'000'000);
  std::string first = NextFrame(*s);
  std::string second = NextFrame(*s);
  auto count = [](const std::string& m) {
    size_t n = 0;
    for (size_t p = m.find("\"l\""); p != std::string::npos; p = m.find("\"l\"", p + 1)) ++n;
    return n;
  };
  CHECK(count(first) == 100);
  CHECK(count(second) == 50);
  CHECK(NextFrame(*s).empty());
}

TEST_CASE("tail session: delay_for holds back entries younger than the delay") {
  Fixture f;
  auto s = f.OpenStream(With({{"query", "{app=\"a\"}"}, {"delay_for", "2"}}));
  CHECK(NextFrame(*s).empty());
  f.querier.Add("{app=\"a\"}", kNow + kNanosPerSecond, "later");
  f.clock.Advance(kNanosPerSecond);  // entry is 0 s old: held back
  CHECK(NextFrame(*s).empty());
  f.clock.Advance(2 * kNanosPerSecond + 1);  // now more than 2 s old
  CHECK(NextFrame(*s).find("later") != std::string::npos);
}

TEST_CASE("tail session: over the per-poll cap, the rest is reported as dropped") {
  Fixture f;
  auto s = f.OpenStream(With({{"query", "{app=\"a\"}"}}));
  CHECK(NextFrame(*s).empty());
  const int total = static_cast<int>(kMaxTailEntriesPerPoll) + 3;
  for (int i = 0; i < total; ++i) f.querier.Add("{app=\"a\"}", kNow + i, "l");
  f.clock.Advance(kNanosPerSecond);
  std::string last;
  for (size_t i = 0; i < kMaxTailEntriesPerPoll / kMaxTailEntriesPerMessage; ++i) last = NextFrame(*s);
  CHECK(last.find(R"("dropped_entries":[{"labels":{"app":"a"},"timestamp":")" +
                  std::to_string(kNow + static_cast<int64_t>(kMaxTailEntriesPerPoll)) + "\"}") !=
        std::string::npos);
  CHECK(NextFrame(*s).empty());
}

TEST_CASE("tail session: past max_concurrent_tail_requests the session ends with Loki's reason") {
  Fixture f;
  f.max_tails = 1;
  auto first = f.OpenStream(With({{"query", "{app=\"a\"}"}}));
  auto second = f.OpenStream(With({{"query", "{app=\"a\"}"}}));
  auto r = second->Next(std::chrono::milliseconds(0));
  REQUIRE(!r.ok());
  CHECK(r.status().message() == "max concurrent tail requests limit exceeded, count > limit (2 > 1)");
  second->Close();
  first->Close();
  auto third = f.OpenStream(With({{"query", "{app=\"a\"}"}}));
  CHECK(third->Next(std::chrono::milliseconds(0)).ok());
}

TEST_CASE("tail session: ends after the maximum tail duration") {
  Fixture f;
  auto s = f.OpenStream(With({{"query", "{app=\"a\"}"}}));
  CHECK(s->Next(std::chrono::milliseconds(0)).ok());
  f.clock.Advance(3601 * kNanosPerSecond);
  auto r = s->Next(std::chrono::milliseconds(0));
  REQUIRE(!r.ok());
  CHECK(r.status().message() == "reached tail max duration limit");
}

TEST_CASE("tail session: legacy route speaks the legacy shape") {
  Fixture f;
  f.querier.Add("{app=\"a\"}", kNow - 5, "hello");
  Request req = With({{"query", "{app=\"a\"}"}});
  req.path = "/api/prom/tail";
  auto s = f.OpenStream(req);
  CHECK(NextFrame(*s).find(R"({"streams":[{"labels":"{app=\"a\"}","entries":[{"ts":")") == 0);
}
