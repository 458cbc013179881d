#include "server/ingest/ingester.h"

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <string>

#include "common/mem_env.h"

using namespace skald::server::ingest;
using skald::common::Entry;
using skald::common::FakeClock;
using skald::common::Labels;
using skald::common::MetricsRegistry;
using skald::common::Status;
namespace iter = skald::server::iter;

namespace {
constexpr int64_t kNow = 1'700'000'000'000'000'000;
constexpr int64_t kSec = 1'000'000'000;

// An in-memory WAL: segments of records; survives "crashes" (the test keeps it).
class MemLog : public WriteLog {
 public:
  skald::common::Result<uint64_t> Append(std::span<const std::string> records) override {
    std::lock_guard<std::mutex> l(mu);
    if (fail) return Status::IOError("disk full");
    for (const auto& r : records) segments[active].push_back(r);
    return active;
  }
  skald::common::Result<uint64_t> Rotate() override {
    std::lock_guard<std::mutex> l(mu);
    return ++active;
  }
  uint64_t ActiveSegment() const override {
    std::lock_guard<std::mutex> l(mu);
    return active;
  }
  Status RemoveSegmentsBefore(uint64_t s) override {
    std::lock_guard<std::mutex> l(mu);
    segments.erase(segments.begin(), segments.lower_bound(s));
    return Status::OK();
  }
  Status Replay(const std::function<Status(uint64_t, std::string_view)>& fn) override {
    for (const auto& [seg, recs] : segments) {
      for (const auto& r : recs) SKALD_RETURN_IF_ERROR(fn(seg, r));
    }
    return Status::OK();
  }
  mutable std::mutex mu;
  std::map<uint64_t, std::vector<std::string>> segments;
  uint64_t active = 1;
  bool fail = false;
};

// Records written chunks per tenant and stream.
class MemChunks : public ChunkWriter {
 public:
  skald::common::Result<uint64_t> Write(std::string_view tenant, const std::vector<StreamChunks>& streams) override {
    if (fail) return Status::IOError("store down");
    uint64_t n = 0;
    for (const auto& s : streams) {
      for (const SealedChunk* c : s.chunks) {
        auto& v = chunks[std::string(tenant) + s.labels->ToString()];
        REQUIRE(c->chunk != nullptr);
        REQUIRE(c->chunk->HeadRawBytes() == 0);  // sealed: every block cut
        auto it = c->chunk->NewIterator(INT64_MIN, INT64_MAX, iter::Direction::kForward);
        size_t before = v.size();
        for (auto& se : iter::CollectEntries(*it)) v.push_back(se.entry);
        CHECK(v.size() - before == c->entries);
        CHECK(v[before].timestamp_ns == c->min_ts);
        CHECK(v.back().timestamp_ns == c->max_ts);
        reasons.push_back(c->reason);
        n += c->raw_bytes / 2;
      }
    }
    return n;
  }
  size_t Count(const std::string& key) const {
    auto it = chunks.find(key);
    return it == chunks.end() ? 0 : it->second.size();
  }
  std::map<std::string, std::vector<Entry>> chunks;
  std::vector<FlushReason> reasons;
  std::atomic<bool> fail = false;  // read by the flush loop's thread
};

struct Fixture {
  Fixture() {
    REQUIRE(env.CreateDirs("/wal").ok());
    Reopen();
  }
  void Reopen() {
    ing.reset();
    IngesterOptions o;
    o.stream = cfg;
    o.marks_path = "/wal/flush.marks";
    o.env = &env;
    o.max_head_memory_bytes = max_head_memory_bytes;
    o.memory_check_period_ns = memory_check_period_ns;
    o.memory_wait_timeout_ns = memory_wait_timeout_ns;
    ing = std::make_unique<Ingester>(o, [this](std::string_view) { return limits; }, &wal, &store, &clock,
                                     &metrics);
    REQUIRE(ing->Recover().ok());
  }
  ValidStream Stream(std::string labels, std::vector<std::string> lines, int64_t ts = kNow) {
    ValidStream vs;
    vs.labels = *skald::common::ParseLabels(labels);
    vs.labels_text = vs.labels.ToString();
    vs.fingerprint = vs.labels.Fingerprint();
    for (auto& l : lines) vs.entries.push_back(Entry{ts++, std::move(l), {}});
    return vs;
  }
  Status Push(std::string tenant, ValidStream vs) {
    std::vector<ValidStream> v;
    v.push_back(std::move(vs));
    return ing->Push(tenant, std::move(v));
  }
  size_t HeadEntries(std::string tenant) {
    size_t n = 0;
    ing->ForEachStreamStats(tenant, {}, 0, INT64_MAX, [&](const Labels&, const HeadStats& s) { n += s.entries; });
    return n;
  }
  StreamConfig cfg;
  uint64_t max_head_memory_bytes = IngesterOptions{}.max_head_memory_bytes;
  int64_t memory_check_period_ns = IngesterOptions{}.memory_check_period_ns;
  int64_t memory_wait_timeout_ns = IngesterOptions{}.memory_wait_timeout_ns;
  IngesterLimits limits;
  FakeClock clock{kNow};
  MetricsRegistry metrics;
  skald::common::MemEnv env;
  MemLog wal;
  MemChunks store;
  std::unique_ptr<Ingester> ing;
};
}  // namespace

TEST_CASE("ingester keeps pushed entries in the head and logs them first") {
  Fixture f;
  CHECK(f.Push("t", f.Stream(R"({a="1"})", {"x", "y"})).ok());
  CHECK(f.HeadEntries("t") == 2);
  CHECK(f.wal.segments[1].size() == 1);
  CHECK(f.HeadEntries("other") == 0);
}

TEST_CASE("ingester drops exact duplicates of unflushed entries") {
  Fixture f;
  CHECK(f.Push("t", f.Stream(R"({a="1"})", {"x", "y"})).ok());
  CHECK(f.Push("t", f.Stream(R"({a="1"})", {"x", "z"})).ok());  // x at the same ts: duplicate
  CHECK(f.HeadEntries("t") == 3);
}

TEST_CASE("ingester answers 500 and keeps nothing when the WAL append fails") {
  Fixture f;
  f.wal.fail = true;
  Status s = f.Push("t", f.Stream(R"({a="1"})", {"x"}));
  CHECK(s.HttpStatus() == 500);
  CHECK(f.HeadEntries("t") == 0);
}

TEST_CASE("ingester enforces the active stream limit with Loki's message") {
  Fixture f;
  f.limits.max_streams = 1;
  CHECK(f.Push("t", f.Stream(R"({a="1"})", {"x"})).ok());
  Status s = f.Push("t", f.Stream(R"({a="2"})", {"x"}));
  CHECK(s.HttpStatus() == 429);
  CHECK(s.message() ==
        "maximum active stream limit exceeded when trying to create stream {a=\"2\"}, reduce the number of "
        "active streams (reduce labels or reduce label values), or contact your Loki administrator to see if "
        "the limit can be increased, user: 't'");
  CHECK(f.Push("other", f.Stream(R"({a="2"})", {"x"})).ok());  // per tenant
  CHECK(f.metrics.Expose().find(R"(loki_discarded_samples_total{reason="stream_limit",tenant="t"} 1)") !=
        std::string::npos);
}

TEST_CASE("ingester enforces the per-stream rate limit per entry") {
  Fixture f;
  f.limits.per_stream_rate_bytes = 3 * 1024 * 1024;
  f.limits.per_stream_burst_bytes = 4;
  Status s = f.Push("t", f.Stream(R"({a="1"})", {"abc", "defg"}));
  CHECK(s.HttpStatus() == 429);
  CHECK(s.message() ==
        "entry with timestamp 2023-11-14 22:13:20.000000001 +0000 UTC ignored, reason: 'Per stream rate limit "
        "exceeded (limit: 3MB/sec) while attempting to ingest for stream '{a=\"1\"}' totaling 4B, consider "
        "splitting a stream via additional labels or contact your Loki administrator to see if the limit can be "
        "increased',\nuser 't', total ignored: 1 out of 2 for stream: {a=\"1\"}");
  CHECK(f.HeadEntries("t") == 1);
}

TEST_CASE("ingester seals a full chunk by size") {
  Fixture f;
  f.cfg.chunk_target_size = 10;  // 40 raw bytes at the assumed ratio
  f.Reopen();
  CHECK(f.Push("t", f.Stream(R"({a="1"})", {std::string(41, 'x')})).ok());
  CHECK(f.ing->FlushDue().ok());
  CHECK(f.store.Count("t{a=\"1\"}") == 1);
  REQUIRE(f.store.reasons.size() == 1);
  CHECK(f.store.reasons[0] == FlushReason::kFull);
}

TEST_CASE("ingester seals an idle chunk and a too old chunk") {
  Fixture f;
  CHECK(f.Push("t", f.Stream(R"({a="1"})", {"x"})).ok());
  CHECK(f.ing->FlushDue().ok());
  CHECK(f.store.reasons.empty());
  f.clock.Advance(31 * 60 * kSec);
  CHECK(f.ing->FlushDue().ok());
  REQUIRE(f.store.reasons.size() == 1);
  CHECK(f.store.reasons[0] == FlushReason::kIdle);

  for (int i = 0; i < 70; ++i) {  // keep appending every minute for 70 minutes
    CHECK(f.Push("t", f.Stream(R"({b="1"})", {"m" + std::to_string(i)})).ok());
    f.clock.Advance(60 * kSec);
  }
  CHECK(f.ing->FlushDue().ok());
  REQUIRE(f.store.reasons.size() == 2);
  CHECK(f.store.reasons[1] == FlushReason::kMaxAge);
}

TEST_CASE("ingester flush writes sorted chunks, empties the head and checkpoints the WAL") {
  Fixture f;
  CHECK(f.Push("t", f.Stream(R"({a="1"})", {"late"}, kNow + 5)).ok());
  CHECK(f.Push("t", f.Stream(R"({a="1"})", {"early"}, kNow)).ok());
  CHECK(f.ing->Flush().ok());
  auto& entries = f.store.chunks["t{a=\"1\"}"];
  REQUIRE(entries.size() == 2);
  CHECK(entries[0].line == "early");
  CHECK(f.store.reasons[0] == FlushReason::kForced);
  CHECK(f.HeadEntries("t") == 0);
  CHECK(f.wal.segments.count(1) == 0);  // segment 1 held only flushed data
  CHECK(f.metrics.Expose().find(R"(loki_ingester_chunks_flushed_total{reason="forced"} 1)") != std::string::npos);
}

TEST_CASE("ingester keeps data in the head when the chunk write fails") {
  Fixture f;
  CHECK(f.Push("t", f.Stream(R"({a="1"})", {"x"})).ok());
  f.store.fail = true;
  CHECK_FALSE(f.ing->Flush().ok());
  CHECK(f.HeadEntries("t") == 1);
  CHECK(f.wal.segments.count(1) == 1);
  f.store.fail = false;
  CHECK(f.ing->Flush().ok());
  CHECK(f.store.Count("t{a=\"1\"}") == 1);
}

TEST_CASE("ingester recovery replays acknowledged but unflushed pushes") {
  Fixture f;
  CHECK(f.Push("t", f.Stream(R"({a="1"})", {"x", "y"})).ok());
  f.Reopen();  // crash: the head is gone, the WAL stays
  CHECK(f.HeadEntries("t") == 2);
  CHECK(f.ing->Flush().ok());
  CHECK(f.store.Count("t{a=\"1\"}") == 2);
}

TEST_CASE("ingester recovery skips records already flushed") {
  Fixture f;
  CHECK(f.Push("t", f.Stream(R"({a="1"})", {"flushed"})).ok());
  CHECK(f.Push("t", f.Stream(R"({b="1"})", {"unflushed"})).ok());
  f.cfg.chunk_target_size = 1;  // make {a} full on its next push only
  CHECK(f.ing->Flush().ok());
  CHECK(f.Push("t", f.Stream(R"({b="1"})", {"after"})).ok());
  // A crash now: {a} and the first {b} line are in chunks; only "after" is unflushed.
  f.Reopen();
  CHECK(f.HeadEntries("t") == 1);
  CHECK(f.ing->Flush().ok());
  CHECK(f.store.Count("t{a=\"1\"}") == 1);
  CHECK(f.store.Count("t{b=\"1\"}") == 2);
}

TEST_CASE("ingester recovery keeps a stream's unflushed records in a segment other streams flushed") {
  Fixture f;
  f.cfg.chunk_target_size = 4;  // 16 raw bytes at the assumed ratio
  f.Reopen();
  CHECK(f.Push("t", f.Stream(R"({big="1"})", {std::string(20, 'x')})).ok());  // sealed full
  CHECK(f.Push("t", f.Stream(R"({small="1"})", {"s"})).ok());                // stays open
  CHECK(f.ing->FlushDue().ok());
  CHECK(f.store.Count("t{big=\"1\"}") == 1);
  CHECK(f.wal.segments.count(1) == 1);  // still holds {small}
  f.Reopen();
  CHECK(f.HeadEntries("t") == 1);
  CHECK(f.ing->Flush().ok());
  CHECK(f.store.Count("t{big=\"1\"}") == 1);  // not written twice
  CHECK(f.store.Count("t{small=\"1\"}") == 1);
}

TEST_CASE("ingester recovery deduplicates replayed duplicates") {
  Fixture f;
  CHECK(f.Push("t", f.Stream(R"({a="1"})", {"x"})).ok());
  CHECK(f.Push("t", f.Stream(R"({a="1"})", {"x"})).ok());  // an agent re-send
  f.Reopen();
  CHECK(f.HeadEntries("t") == 1);
}

TEST_CASE("ingester query hook iterates matching head streams in both directions") {
  Fixture f;
  CHECK(f.Push("t", f.Stream(R"({app="api"})", {"a", "b", "c"})).ok());
  CHECK(f.Push("t", f.Stream(R"({app="db"})", {"z"})).ok());
  auto m = skald::common::Matcher::Create(skald::common::MatchType::kEqual, "app", "api");
  REQUIRE(m.ok());
  std::vector<std::string> lines;
  f.ing->ForEachStream("t", {*m}, kNow, kNow + 2, iter::Direction::kBackward,
                       [&](const Labels& l, std::unique_ptr<iter::EntryIterator> it) {
                         CHECK(l.ToString() == R"({app="api"})");
                         while (it->Next()) lines.emplace_back(it->At().line);
                       });
  CHECK(lines == std::vector<std::string>{"b", "a"});
}

TEST_CASE("ingester forgets flushed streams once idle") {
  Fixture f;
  CHECK(f.Push("t", f.Stream(R"({a="1"})", {"x"})).ok());
  CHECK(f.ing->Flush().ok());
  CHECK(f.ing->StreamCount() == 1);  // still active for chunk_idle_period
  f.clock.Advance(31 * 60 * kSec);
  CHECK(f.ing->FlushDue().ok());
  CHECK(f.ing->StreamCount() == 0);
}

TEST_CASE("flush reasons have Loki's names") {
  CHECK(FlushReasonName(FlushReason::kFull) == "full");
  CHECK(FlushReasonName(FlushReason::kMaxAge) == "max_age");
  CHECK(FlushReasonName(FlushReason::kIdle) == "idle");
  CHECK(FlushReasonName(FlushReason::kForced) == "forced");
  CHECK(FlushReasonName(FlushReason::kShutdown) == "shutdown");
}

TEST_CASE("ingester over its memory budget flushes the largest streams first, reason memory") {
  Fixture f;
  // Budget: 600 bytes; stream a holds ~1000 raw bytes, b ~100.
  f.max_head_memory_bytes = 600;
  f.Reopen();
  std::vector<std::string> big, small;
  for (int i = 0; i < 10; ++i) big.push_back(std::string(100, static_cast<char>('a' + i)));
  small.push_back(std::string(100, 'z'));
  CHECK(f.Push("t", f.Stream(R"({a="big"})", big)).ok());
  CHECK(f.Push("t", f.Stream(R"({a="small"})", small)).ok());
  CHECK(f.ing->EnforceMemoryBudget().ok());
  CHECK(f.store.Count("t{a=\"big\"}") == 10);
  CHECK(f.store.Count("t{a=\"small\"}") == 0);  // under half the budget once big is gone
  REQUIRE(f.store.reasons.size() == 1);
  CHECK(f.store.reasons[0] == FlushReason::kMemory);
  CHECK(f.HeadEntries("t") == 1);
  CHECK(f.ing->EnforceMemoryBudget().ok());  // now under budget: nothing more
  CHECK(f.store.reasons.size() == 1);
}

namespace {
// `n` lines of about `len` bytes: `compressible` ones repeat a phrase,
// the others are pseudo-random printable bytes (zstd saves little).
std::vector<std::string> Lines(int n, size_t len, bool compressible, uint64_t seed) {
  std::vector<std::string> out;
  uint64_t x = seed * 0x9E3779B97F4A7C15ull + 1;
  for (int i = 0; i < n; ++i) {
    std::string l = "line " + std::to_string(i) + " ";
    while (l.size() < len) {
      if (compressible) {
        l += "level=info msg=\"request served\" path=/api/items ";
      } else {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        l.push_back(static_cast<char>('!' + x % 90));
      }
    }
    out.push_back(std::move(l));
  }
  return out;
}
}  // namespace

TEST_CASE("ingester over its memory budget compresses big head blocks first and keeps their chunks open") {
  Fixture f;
  f.max_head_memory_bytes = 200 * 1024;  // two heads of ~140 KiB raw are over it
  f.Reopen();
  CHECK(f.Push("t", f.Stream(R"({a="1"})", Lines(700, 200, true, 1))).ok());
  CHECK(f.Push("t", f.Stream(R"({a="2"})", Lines(700, 200, true, 2), kNow + 1000)).ok());
  CHECK(f.ing->EnforceMemoryBudget().ok());
  // Compressing the heads was enough: nothing sealed or flushed, every entry
  // still in the head and readable.
  CHECK(f.store.reasons.empty());
  CHECK(f.HeadEntries("t") == 1400);
  CHECK(f.metrics.Expose().find("\nskald_ingester_head_compactions_total 2\n") != std::string::npos);
  // The open chunks go on taking entries, and a flush writes each as one chunk.
  CHECK(f.Push("t", f.Stream(R"({a="1"})", {"one more"}, kNow + 5000)).ok());
  CHECK(f.ing->Flush().ok());
  CHECK(f.store.Count("t{a=\"1\"}") == 701);
  CHECK(f.store.Count("t{a=\"2\"}") == 700);
  CHECK(f.store.reasons.size() == 2);
}

TEST_CASE("ingester seals chunks when compressed data alone is over its memory budget") {
  Fixture f;
  f.max_head_memory_bytes = 60 * 1024;
  f.Reopen();
  // ~160 KiB of pseudo-random lines: compressing the head cannot get it
  // under half the budget.
  CHECK(f.Push("t", f.Stream(R"({a="1"})", Lines(800, 200, false, 3))).ok());
  CHECK(f.ing->EnforceMemoryBudget().ok());
  REQUIRE(f.store.reasons.size() == 1);
  CHECK(f.store.reasons[0] == FlushReason::kMemory);
  CHECK(f.store.Count("t{a=\"1\"}") == 800);
  CHECK(f.HeadEntries("t") == 0);
}

TEST_CASE("ingester drops a late duplicate of an entry already cut into a compressed block") {
  Fixture f;
  f.cfg.chunk.block_bytes = 64;  // every couple of entries cut a block
  f.Reopen();
  std::vector<std::string> lines;
  for (int i = 0; i < 20; ++i) lines.push_back("line number " + std::to_string(i) + " with some padding");
  CHECK(f.Push("t", f.Stream(R"({a="1"})", lines)).ok());
  // Re-send entries 3..5 (same timestamps and lines) out of order, plus one new one.
  std::vector<std::string> again = {lines[3], lines[4], lines[5]};
  CHECK(f.Push("t", f.Stream(R"({a="1"})", again, kNow + 3)).ok());
  CHECK(f.Push("t", f.Stream(R"({a="1"})", {"new in the past"}, kNow + 4)).ok());
  CHECK(f.HeadEntries("t") == 21);
  CHECK(f.ing->Flush().ok());
  auto& entries = f.store.chunks["t{a=\"1\"}"];
  CHECK(entries.size() == 21);
}

TEST_CASE("ingester head query sees entries in compressed blocks and the head block") {
  Fixture f;
  f.cfg.chunk.block_bytes = 64;
  f.Reopen();
  std::vector<std::string> lines;
  for (int i = 0; i < 10; ++i) lines.push_back("entry " + std::to_string(i) + " of the head query test");
  CHECK(f.Push("t", f.Stream(R"({a="1"})", lines)).ok());
  std::vector<std::string> got;
  f.ing->ForEachStream("t", {}, 0, INT64_MAX, iter::Direction::kBackward,
                       [&](const Labels&, std::unique_ptr<iter::EntryIterator> it) {
                         for (auto& se : iter::CollectEntries(*it)) got.push_back(se.entry.line);
                       });
  REQUIRE(got.size() == 10);
  CHECK(got.front() == lines.back());
  CHECK(got.back() == lines.front());
}

TEST_CASE("ingester never splits one push across a sealed chunk, so replay after a flush loses nothing") {
  Fixture f;
  f.cfg.chunk_target_size = 10;  // the first 41-byte entry alone fills a chunk
  f.Reopen();
  std::vector<std::string> lines;
  for (int i = 0; i < 5; ++i) lines.push_back(std::string(41, static_cast<char>('a' + i)));
  CHECK(f.Push("t", f.Stream(R"({a="1"})", lines)).ok());
  CHECK(f.ing->FlushDue().ok());
  CHECK(f.store.Count("t{a=\"1\"}") == 5);  // the whole push in the sealed chunk
  CHECK(f.HeadEntries("t") == 0);
  f.Reopen();  // crash + replay: the flushed record is skipped, nothing is missing or doubled
  CHECK(f.HeadEntries("t") == 0);
  CHECK(f.store.Count("t{a=\"1\"}") == 5);
}

TEST_CASE("a push over the hard memory cap waits for the flush loop, and gets 429 when nothing flushes") {
  Fixture f;
  f.max_head_memory_bytes = 60 * 1024;  // hard cap 120 KiB
  f.memory_check_period_ns = 10'000'000;
  // Long enough that the flush after `fail = false` below never misses it,
  // even on a loaded sanitizer run.
  f.memory_wait_timeout_ns = 2'000'000'000;
  f.Reopen();
  f.store.fail = true;  // the loop's flushes fail: memory cannot go down
  f.ing->Start();
  // ~240 KiB of incompressible lines (~195 KiB compressed): admitted (the
  // estimate was 0), and over the cap even once the loop compresses them.
  REQUIRE(f.Push("t", f.Stream(R"({a="1"})", Lines(1200, 200, false, 3))).ok());
  const auto t0 = std::chrono::steady_clock::now();
  Status s = f.Push("t", f.Stream(R"({a="2"})", {"waits", "then fails"}, kNow + 10'000));
  CHECK(std::chrono::steady_clock::now() - t0 >= std::chrono::milliseconds(1900));
  CHECK(s.code() == skald::common::StatusCode::kResourceExhausted);
  CHECK(s.message().find("ingester memory limit exceeded for user t") != std::string::npos);
  CHECK(f.HeadEntries("t") == 1200);  // nothing of the rejected push was written
  CHECK(f.wal.segments[1].size() == 1);
  const std::string m = f.metrics.Expose();
  CHECK(m.find("\nskald_ingester_memory_waits_total 1\n") != std::string::npos);
  CHECK(m.find(R"(loki_discarded_samples_total{reason="ingester_memory_limit",tenant="t"} 2)") != std::string::npos);
  // Once flushes succeed, the next push waits for one and goes through.
  f.store.fail = false;
  CHECK(f.Push("t", f.Stream(R"({a="2"})", {"after the flush"}, kNow + 20'000)).ok());
  CHECK(f.store.Count("t{a=\"1\"}") == 1200);
  CHECK(f.HeadEntries("t") == 1);
  CHECK(f.ing->Shutdown().ok());
}
