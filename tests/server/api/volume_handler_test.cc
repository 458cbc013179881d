#include "server/api/volume_handler.h"

#include <doctest/doctest.h>

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "server/ingest/flush.h"
#include "server/ingest/write_log.h"

using namespace skald::server;
using skald::common::Entry;
using skald::common::FakeClock;
using skald::common::http::Request;

namespace {
constexpr int64_t kSec = 1'000'000'000;
constexpr int64_t kNow = 1'700'000'000 * kSec;
// A multiple of 60 s, so volume_range buckets start on it.
constexpr int64_t kT0 = 1'699'999'980 * kSec;

struct Fixture {
  Fixture() {
    dir = std::filesystem::temp_directory_path() /
          ("skald-volume-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::filesystem::create_directories(dir);
    store::IndexOptions io;
    io.path = (dir / "index.db").string();
    index = std::move(store::Index::Open(io)).value();
    store::ChunkStoreOptions co;
    co.root = (dir / "chunks").string();
    chunks = std::move(store::ChunkStore::Open(co, index.get())).value();
    writer = std::make_unique<ingest::StoreChunkWriter>(index.get(), chunks.get());
    ing = std::make_unique<ingest::Ingester>(
        ingest::IngesterOptions{}, [](std::string_view) { return ingest::IngesterLimits{}; }, &wal,
        writer.get(), &clock, nullptr);
    REQUIRE(ing->Recover().ok());
    api.index = index.get();
    api.ingester = ing.get();
    api.clock = &clock;
  }
  ~Fixture() {
    ing.reset();
    chunks.reset();
    index.reset();
    std::filesystem::remove_all(dir);
  }
  void Push(const std::string& tenant, const std::string& labels,
            const std::vector<std::pair<int64_t, std::string>>& entries) {
    ingest::ValidStream vs;
    vs.labels = *skald::common::ParseLabels(labels);
    vs.labels_text = vs.labels.ToString();
    vs.fingerprint = vs.labels.Fingerprint();
    for (const auto& [ts, line] : entries) vs.entries.push_back(Entry{ts, line, {}});
    std::vector<ingest::ValidStream> v;
    v.push_back(std::move(vs));
    REQUIRE(ing->Push(tenant, std::move(v)).ok());
  }
  // n lines "lineN" (5 bytes each) one nanosecond apart, a minute ago.
  void PushLines(const std::string& labels, int n) {
    std::vector<std::pair<int64_t, std::string>> e;
    for (int i = 0; i < n; ++i) e.emplace_back(kNow - 60 * kSec + i, "line" + std::to_string(i));
    Push("fake", labels, e);
  }
  static Request Get(std::string path, skald::common::http::KeyValues params) {
    Request r;
    r.method = "GET";
    r.path = std::move(path);
    r.params = std::move(params);
    return r;
  }
  skald::common::http::Response Volume(skald::common::http::KeyValues params) {
    return api::HandleVolume(api, Get("/loki/api/v1/index/volume", std::move(params)));
  }
  skald::common::http::Response Range(skald::common::http::KeyValues params) {
    return api::HandleVolumeRange(api, Get("/loki/api/v1/index/volume_range", std::move(params)));
  }
  static inline int counter = 0;
  std::filesystem::path dir;
  FakeClock clock{kNow};
  ingest::NullWriteLog wal;
  std::unique_ptr<store::Index> index;
  std::unique_ptr<store::ChunkStore> chunks;
  std::unique_ptr<ingest::ChunkWriter> writer;
  std::unique_ptr<ingest::Ingester> ing;
  api::VolumeApi api;
};

// The body without the (all-zero) stats object: {"status":..,"data":{"resultType":..,"result":[..]
std::string Head(const std::string& body) {
  auto pos = body.find(",\"stats\":");
  return pos == std::string::npos ? body : body.substr(0, pos);
}

constexpr const char* kPrefix = R"({"status":"success","data":{)";
}  // namespace

TEST_CASE("volume sums head bytes per selector label, sorted by bytes") {
  Fixture f;
  f.PushLines(R"({app="api", env="prod"})", 3);
  f.PushLines(R"({app="web", env="prod"})", 1);
  auto r = f.Volume({{"query", R"({app=~".+"})"}});
  CHECK(r.status == 200);
  CHECK(Head(r.body) == std::string(kPrefix) +
                            R"("resultType":"vector","result":[)"
                            R"({"metric":{"app":"api"},"value":[1700000000,"15"]},)"
                            R"({"metric":{"app":"web"},"value":[1700000000,"5"]}])");
}

TEST_CASE("volume answers the same from the index after a flush") {
  Fixture f;
  f.PushLines(R"({app="api", env="prod"})", 3);
  f.PushLines(R"({app="web", env="prod"})", 1);
  auto before = f.Volume({{"query", R"({app=~".+"})"}});
  REQUIRE(f.ing->Flush().ok());
  auto after = f.Volume({{"query", R"({app=~".+"})"}});
  CHECK(after.body == before.body);
}

TEST_CASE("volume carries Loki's all-zero stats object") {
  Fixture f;
  auto r = f.Volume({{"query", R"({app="none"})"}});
  CHECK(r.status == 200);
  CHECK(r.body.rfind(std::string(kPrefix) + R"("resultType":"vector","result":[],"stats":{"summary":)", 0) == 0);
  CHECK(r.body.find(R"("totalBytesProcessed":0)") != std::string::npos);
}

TEST_CASE("volume groups by target labels and skips streams lacking them") {
  Fixture f;
  f.PushLines(R"({app="api", env="prod"})", 3);
  f.PushLines(R"({app="web", env="prod"})", 1);
  f.PushLines(R"({app="batch"})", 2);
  auto r = f.Volume({{"query", R"({app=~".+"})"}, {"targetLabels", "env"}});
  CHECK(Head(r.body) == std::string(kPrefix) +
                            R"("resultType":"vector","result":[{"metric":{"env":"prod"},"value":[1700000000,"20"]}])");
}

TEST_CASE("volume aggregateBy=labels sums per label name with empty values") {
  Fixture f;
  f.PushLines(R"({app="api", env="prod"})", 3);
  f.PushLines(R"({app="web", env="prod"})", 1);
  auto r = f.Volume({{"query", R"({app=~".+", env="prod"})"}, {"aggregateBy", "labels"}});
  CHECK(Head(r.body) == std::string(kPrefix) +
                            R"("resultType":"vector","result":[)"
                            R"({"metric":{"app":""},"value":[1700000000,"20"]},)"
                            R"({"metric":{"env":""},"value":[1700000000,"20"]}])");
}

TEST_CASE("volume of {} groups by every label of each stream") {
  Fixture f;
  f.PushLines(R"({app="api", env="prod"})", 3);
  auto r = f.Volume({{"query", "{}"}});
  CHECK(Head(r.body) == std::string(kPrefix) +
                            R"("resultType":"vector","result":[{"metric":{"app":"api","env":"prod"},"value":[1700000000,"15"]}])");
}

TEST_CASE("volume limit keeps the largest; 0 means the default 100") {
  Fixture f;
  f.PushLines(R"({app="api"})", 3);
  f.PushLines(R"({app="web"})", 1);
  auto one = f.Volume({{"query", R"({app=~".+"})"}, {"limit", "1"}});
  CHECK(Head(one.body) == std::string(kPrefix) +
                              R"("resultType":"vector","result":[{"metric":{"app":"api"},"value":[1700000000,"15"]}])");
  auto zero = f.Volume({{"query", R"({app=~".+"})"}, {"limit", "0"}});
  CHECK(zero.status == 200);
  CHECK(zero.body.find(R"("app":"web")") != std::string::npos);
}

TEST_CASE("volume rejects bad parameters with Loki's texts") {
  Fixture f;
  auto neg = f.Volume({{"query", R"({app="a"})"}, {"limit", "-1"}});
  CHECK(neg.status == 400);
  CHECK(neg.body == "limit must be a positive value\n");
  auto agg = f.Volume({{"query", R"({app="a"})"}, {"aggregateBy", "pods"}});
  CHECK(agg.status == 400);
  CHECK(agg.body == "invalid aggregation option\n");
  auto pipe = f.Volume({{"query", R"({app="a"} |= "x")"}});
  CHECK(pipe.status == 400);
  auto parse = f.Volume({{"query", R"({app="a")"}});
  CHECK(parse.status == 400);
  CHECK(parse.body.rfind("parse error", 0) == 0);
  auto empty = f.Volume({{"query", R"({app=~".*"})"}});
  CHECK(empty.status == 400);
  auto order = f.Volume({{"query", R"({app="a"})"}, {"start", "1700000000"}, {"end", "1690000000"}});
  CHECK(order.status == 400);
  CHECK(order.body == "end timestamp must not be before or equal to start time\n");
  auto step = f.Range({{"query", R"({app="a"})"}, {"step", "0"}});
  CHECK(step.status == 400);
}

TEST_CASE("volume is 404 when volume_enabled is off for the tenant") {
  Fixture f;
  f.api.limits = [](std::string_view) {
    skald::common::TenantLimits l;
    l.volume_enabled = false;
    return l;
  };
  auto r = f.Volume({{"query", R"({app="a"})"}});
  CHECK(r.status == 404);
  CHECK(r.body == "not found\n");
}

TEST_CASE("volume is tenant isolated") {
  Fixture f;
  f.api.tenants.auth_enabled = true;
  f.Push("a", R"({app="x"})", {{kNow - kSec, "12345"}});
  Request r = Fixture::Get("/loki/api/v1/index/volume", {{"query", R"({app="x"})"}});
  CHECK(api::HandleVolume(f.api, r).status == 401);
  r.headers.emplace_back("X-Scope-OrgID", "b");
  CHECK(Head(api::HandleVolume(f.api, r).body) == std::string(kPrefix) + R"("resultType":"vector","result":[])");
  r.headers.back().second = "a";
  CHECK(Head(api::HandleVolume(f.api, r).body) ==
        std::string(kPrefix) + R"("resultType":"vector","result":[{"metric":{"app":"x"},"value":[1700000000,"5"]}])");
}

TEST_CASE("volume_range prorates a span over step buckets stamped with their ends") {
  Fixture f;
  // 30 bytes, 3 entries spanning [T0, T0+120s]; buckets [T0, T0+59], [T0+60, T0+119],
  // [T0+120, T0+180]: factors 59/120, 59/120 and 0 (the last has no entries).
  f.Push("fake", R"({app="api"})",
         {{kT0, "aaaaaaaaaa"}, {kT0 + 60 * kSec, "bbbbbbbbbb"}, {kT0 + 120 * kSec, "cccccccccc"}});
  skald::common::http::KeyValues p = {
      {"query", R"({app="api"})"}, {"start", "1699999980"}, {"end", "1700000160"}, {"step", "60"}};
  auto head = f.Range(p);
  CHECK(Head(head.body) == std::string(kPrefix) +
                               R"("resultType":"matrix","result":[{"metric":{"app":"api"},"values":)"
                               R"([[1700000039.999,"14"],[1700000099.999,"14"]]}])");
  REQUIRE(f.ing->Flush().ok());
  CHECK(f.Range(p).body == head.body);
}

TEST_CASE("volume_range with a single bucket answers a vector, as Loki does") {
  Fixture f;
  f.PushLines(R"({app="api"})", 2);
  auto r = f.Range({{"query", R"({app="api"})"}, {"step", "1h"}});
  CHECK(r.status == 200);
  CHECK(r.body.find(R"("resultType":"vector")") != std::string::npos);
  CHECK(r.body.find(R"("value":[1700000000,"10"])") != std::string::npos);
}

TEST_CASE("volume buckets follow Loki's ForInterval") {
  // Unaligned start: the first bucket keeps it; the gap between buckets is 1 ms.
  auto b = api::VolumeBuckets(90 * kSec + 500'000'000, 200 * kSec, 60 * kSec);
  REQUIRE(b.size() == 3);
  CHECK(b[0] == api::VolumeBucket{90 * kSec, 119 * kSec, 119'999});
  CHECK(b[1] == api::VolumeBucket{120 * kSec, 179 * kSec, 179'999});
  CHECK(b[2] == api::VolumeBucket{180 * kSec, 200 * kSec, 200'000});
  auto instant = api::VolumeBuckets(10 * kSec, 20 * kSec, 0);
  REQUIRE(instant.size() == 1);
  CHECK(instant[0] == api::VolumeBucket{10 * kSec, 20 * kSec, 20'000});
}

TEST_CASE("volume counts a stream only when its prorated entries are positive") {
  auto g = api::MakeVolumeGrouping(R"({app="a"})", {}, false);
  REQUIRE(g.ok());
  std::vector<api::VolumeStream> streams(1);
  streams[0].labels = *skald::common::ParseLabels(R"({app="a"})");
  // 4 entries, 400 bytes over [0, 100]: the window [0, 20] holds 20% -> 0.8 entries.
  streams[0].chunks.push_back({0, 100, 4, 400});
  auto none = api::VolumeInWindow(streams, *g, 0, 20, 100);
  REQUIRE(none.ok());
  CHECK(none->empty());
  auto half = api::VolumeInWindow(streams, *g, 0, 50, 100);
  REQUIRE(half.ok());
  REQUIRE(half->size() == 1);
  CHECK((*half)[0] == api::VolumeSample{R"({app="a"})", 200});
}

TEST_CASE("volume refuses more than kMaxVolumeSeries groups") {
  auto g = api::MakeVolumeGrouping(R"({app=~".+"})", {}, false);
  REQUIRE(g.ok());
  std::vector<api::VolumeStream> streams(api::kMaxVolumeSeries + 1);
  for (size_t i = 0; i < streams.size(); ++i) {
    streams[i].labels = *skald::common::ParseLabels("{app=\"a" + std::to_string(i) + "\"}");
    streams[i].chunks.push_back({0, 0, 1, 10});
  }
  auto r = api::VolumeInWindow(streams, *g, 0, 10, 100);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().message() == "the query hit the max number of series limit (limit: 1000 series)");
  streams.pop_back();
  CHECK(api::VolumeInWindow(streams, *g, 0, 10, 100).ok());
}
