#include <doctest/doctest.h>

#include <atomic>
#include <thread>

#include "common/mem_env.h"
#include "server/ingest/wal_reader.h"
#include "server/ingest/wal_writer.h"

using namespace skald::server::ingest;
using skald::common::MemEnv;
using skald::common::Status;
using skald::common::StatusCode;

namespace {

WalOptions Opts(WalSyncPolicy sync = WalSyncPolicy::kGroup, size_t segment_bytes = 1 << 20) {
  WalOptions o;
  o.dir = "/data/wal";
  o.sync = sync;
  o.segment_bytes = segment_bytes;
  return o;
}

std::unique_ptr<WalWriter> OpenWriter(MemEnv& env, WalOptions o = Opts()) {
  auto w = WalWriter::Open(&env, o);
  REQUIRE(w.ok());
  return std::move(*w);
}

Status AppendOne(WalWriter& w, const std::string& payload) {
  std::vector<std::string> v{payload};
  return w.Append(v).status();
}

std::vector<std::string> ReadAll(MemEnv& env, WalReadStats* stats = nullptr) {
  std::vector<std::string> out;
  Status s = ReplayWal(
      &env, "/data/wal",
      [&](uint64_t, std::string_view p) {
        out.emplace_back(p);
        return Status::OK();
      },
      stats);
  CHECK(s.ok());
  return out;
}

bool SameBatch(const WalBatch& a, const WalBatch& b) {
  if (a.tenant != b.tenant || a.streams.size() != b.streams.size()) return false;
  for (size_t i = 0; i < a.streams.size(); ++i) {
    if (a.streams[i].labels != b.streams[i].labels || a.streams[i].entries != b.streams[i].entries) {
      return false;
    }
  }
  return true;
}

std::string Rec(int i) { return "record-" + std::to_string(i) + std::string(i % 50, 'x'); }

}  // namespace

TEST_CASE("wal batch encodes and decodes") {
  WalBatch b{"tenant-a",
             {{"{app=\"x\"}", {{-5, "line one", {{"trace_id", "abc"}}}, {7, "", {}}}},
              {"{app=\"y\"}", {}}}};
  std::string payload;
  EncodeWalBatch(b, &payload);
  auto got = DecodeWalBatch(payload);
  REQUIRE(got.ok());
  CHECK(SameBatch(*got, b));
  CHECK(DecodeWalBatch(payload.substr(0, payload.size() - 1)).status().code() ==
        StatusCode::kCorruption);
  CHECK(DecodeWalBatch(payload + "z").status().code() == StatusCode::kCorruption);
}

TEST_CASE("wal replays records in order across rotated segments") {
  MemEnv env;
  auto w = OpenWriter(env, Opts(WalSyncPolicy::kGroup, 200));
  for (int i = 0; i < 50; ++i) REQUIRE(AppendOne(*w, Rec(i)).ok());
  CHECK(w->ActiveSegment() > 3);
  REQUIRE(w->Close().ok());
  auto got = ReadAll(env);
  REQUIRE(got.size() == 50);
  for (int i = 0; i < 50; ++i) CHECK(got[i] == Rec(i));
}

TEST_CASE("wal batch round trips through writer and reader") {
  MemEnv env;
  auto w = OpenWriter(env);
  WalBatch b{"fake", {{"{a=\"1\"}", {{1, "hello", {}}}}}};
  REQUIRE(w->AppendBatch(b).ok());
  auto got = ReadAll(env);
  REQUIRE(got.size() == 1);
  CHECK(SameBatch(*DecodeWalBatch(got[0]), b));
}

TEST_CASE("wal records synced before a crash are all replayed") {
  MemEnv env;
  {
    auto w = OpenWriter(env);
    for (int i = 0; i < 20; ++i) REQUIRE(AppendOne(*w, Rec(i)).ok());
    env.SimulateCrash();  // while the writer is still open: no Close
  }
  auto got = ReadAll(env);
  REQUIRE(got.size() == 20);
  CHECK(got.back() == Rec(19));
}

TEST_CASE("wal without sync loses unsynced records in a crash but never breaks replay") {
  MemEnv env;
  auto w = OpenWriter(env, Opts(WalSyncPolicy::kNone));
  REQUIRE(AppendOne(*w, Rec(1)).ok());
  CHECK(env.SyncCount() == 0);
  env.SimulateCrash();
  CHECK(ReadAll(env).empty());
}

TEST_CASE("wal torn tail is skipped and counted") {
  MemEnv env;
  auto w = OpenWriter(env);
  for (int i = 0; i < 5; ++i) REQUIRE(AppendOne(*w, Rec(i)).ok());
  std::string seg = WalSegmentPath("/data/wal", w->ActiveSegment());
  uint64_t size = *env.GetFileSize(seg);
  REQUIRE(env.Truncate(seg, size - 3).ok());
  WalReadStats stats;
  auto got = ReadAll(env, &stats);
  CHECK(got.size() == 4);
  CHECK(stats.torn_tails == 1);
  CHECK(stats.corrupt_records == 0);
  CHECK(stats.skipped_bytes > 0);
}

TEST_CASE("wal corrupt middle record is skipped and the rest is readable") {
  MemEnv env;
  auto w = OpenWriter(env);
  std::vector<uint64_t> offsets;
  std::string seg = WalSegmentPath("/data/wal", w->ActiveSegment());
  for (int i = 0; i < 10; ++i) {
    offsets.push_back(*env.GetFileSize(seg));
    REQUIRE(AppendOne(*w, Rec(i)).ok());
  }
  SUBCASE("payload byte") { REQUIRE(env.CorruptByte(seg, offsets[4] + kWalHeaderBytes + 2).ok()); }
  SUBCASE("length field") { REQUIRE(env.CorruptByte(seg, offsets[4] + 5, 0x7f).ok()); }
  WalReadStats stats;
  auto got = ReadAll(env, &stats);
  REQUIRE(got.size() == 9);
  CHECK(got[3] == Rec(3));
  CHECK(got[4] == Rec(5));
  CHECK(got[8] == Rec(9));
  CHECK(stats.corrupt_records == 1);
}

TEST_CASE("wal reading continues with the next segment after a damaged one") {
  MemEnv env;
  auto w = OpenWriter(env);
  REQUIRE(AppendOne(*w, Rec(1)).ok());
  std::string first = WalSegmentPath("/data/wal", w->ActiveSegment());
  REQUIRE(w->Rotate().ok());
  REQUIRE(AppendOne(*w, Rec(2)).ok());
  REQUIRE(env.Truncate(first, 4).ok());
  WalReadStats stats;
  auto got = ReadAll(env, &stats);
  REQUIRE(got.size() == 1);
  CHECK(got[0] == Rec(2));
  CHECK(stats.torn_tails == 1);
}

TEST_CASE("wal group commit covers concurrent appenders with fewer syncs") {
  MemEnv env;
  auto w = OpenWriter(env);
  uint64_t syncs_before = env.SyncCount();
  constexpr int kThreads = 8, kPerThread = 200;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        if (!AppendOne(*w, std::to_string(t) + ":" + std::to_string(i)).ok()) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(failures == 0);
  CHECK(env.SyncCount() - syncs_before > 0);
  env.SimulateCrash();  // everything acknowledged was synced
  auto got = ReadAll(env);
  REQUIRE(got.size() == kThreads * kPerThread);
  // Per thread, records appear in the order that thread appended them.
  std::vector<int> next(kThreads, 0);
  for (const std::string& r : got) {
    int t = std::stoi(r.substr(0, r.find(':')));
    int i = std::stoi(r.substr(r.find(':') + 1));
    CHECK(i == next[t]);
    next[t] = i + 1;
  }
}

TEST_CASE("wal group commit: one sync covers every writer queued behind the leader") {
  MemEnv env;
  auto w = OpenWriter(env);
  constexpr int kWriters = 6;
  std::atomic<bool> first{true};
  env.SetSyncHook([&] {
    // Hold the first append's sync until all other writers have queued.
    if (first.exchange(false)) {
      while (w->QueueDepthForTest() < kWriters) std::this_thread::yield();
    }
  });
  uint64_t before = env.SyncCount();
  std::vector<std::thread> threads;
  for (int t = 0; t < kWriters; ++t) {
    threads.emplace_back([&, t] { CHECK(AppendOne(*w, Rec(t)).ok()); });
  }
  for (auto& th : threads) th.join();
  env.SetSyncHook({});
  CHECK(env.SyncCount() - before == 2);  // the first leader's, then one for the other five
  CHECK(ReadAll(env).size() == kWriters);
}

TEST_CASE("wal sync failure fails the append and stays failed") {
  MemEnv env;
  auto w = OpenWriter(env);
  env.SetSyncError(Status::IOError("disk full"));
  CHECK(AppendOne(*w, Rec(1)).code() == StatusCode::kIOError);
  env.SetSyncError(Status::OK());
  CHECK(AppendOne(*w, Rec(2)).code() == StatusCode::kIOError);
}

TEST_CASE("wal rejects an oversized record without writing") {
  MemEnv env;
  auto w = OpenWriter(env);
  CHECK(AppendOne(*w, std::string(kMaxWalRecordBytes + 1, 'a')).code() == StatusCode::kTooLarge);
  REQUIRE(AppendOne(*w, Rec(1)).ok());
  CHECK(ReadAll(env).size() == 1);
}

TEST_CASE("wal removes segments before a checkpoint but never the active one") {
  MemEnv env;
  auto w = OpenWriter(env);
  REQUIRE(AppendOne(*w, Rec(1)).ok());
  auto s2 = w->Rotate();
  REQUIRE(s2.ok());
  REQUIRE(AppendOne(*w, Rec(2)).ok());
  auto s3 = w->Rotate();
  REQUIRE(s3.ok());
  REQUIRE(w->RemoveSegmentsBefore(*s2).ok());
  CHECK(*skald::server::ingest::ListWalSegments(env, "/data/wal") ==
        std::vector<uint64_t>{*s2, *s3});
  REQUIRE(w->RemoveSegmentsBefore(*s3 + 10).ok());
  CHECK(*skald::server::ingest::ListWalSegments(env, "/data/wal") == std::vector<uint64_t>{*s3});
}

TEST_CASE("wal writer reopened after a crash continues in a new segment") {
  MemEnv env;
  uint64_t first = 0;
  {
    auto w = OpenWriter(env);
    first = w->ActiveSegment();
    REQUIRE(AppendOne(*w, Rec(1)).ok());
  }
  auto w = OpenWriter(env);
  CHECK(w->ActiveSegment() == first + 1);
  REQUIRE(AppendOne(*w, Rec(2)).ok());
  std::vector<std::string> got;
  REQUIRE(w->Replay([&](uint64_t, std::string_view p) {
               got.emplace_back(p);
               return Status::OK();
             }).ok());
  CHECK(got == std::vector<std::string>{Rec(1), Rec(2)});
}
