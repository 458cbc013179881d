#include "server/api/labels_handler.h"

#include <doctest/doctest.h>

#include <filesystem>
#include <string>

#include "server/ingest/flush.h"
#include "server/ingest/write_log.h"

using namespace skald::server;
using skald::common::Entry;
using skald::common::FakeClock;
using skald::common::Status;
using skald::common::http::Request;

namespace {
constexpr int64_t kNow = 1'700'000'000'000'000'000;

struct Fixture {
  Fixture() {
    dir = std::filesystem::temp_directory_path() / ("skald-labels-" + std::to_string(::getpid()) + "-" +
                                                     std::to_string(counter++));
    std::filesystem::create_directories(dir);
    store::IndexOptions io;
    io.path = (dir / "index.db").string();
    index = std::move(store::Index::Open(io)).value();
    store::ChunkStoreOptions co;
    co.root = (dir / "chunks").string();
    chunks = std::move(store::ChunkStore::Open(co, index.get())).value();
    writer = std::make_unique<ingest::StoreChunkWriter>(index.get(), chunks.get());
    ing = std::make_unique<ingest::Ingester>(ingest::IngesterOptions{},
                                             [](std::string_view) { return ingest::IngesterLimits{}; }, &wal,
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
  void Push(std::string tenant, std::string labels, int n) {
    ingest::ValidStream vs;
    vs.labels = *skald::common::ParseLabels(labels);
    vs.labels_text = vs.labels.ToString();
    vs.fingerprint = vs.labels.Fingerprint();
    for (int i = 0; i < n; ++i) vs.entries.push_back(Entry{kNow - 60'000'000'000 + i, "line" + std::to_string(i), {}});
    std::vector<ingest::ValidStream> v;
    v.push_back(std::move(vs));
    REQUIRE(ing->Push(tenant, std::move(v)).ok());
  }
  static Request Get(std::string path, skald::common::http::KeyValues params = {}) {
    Request r;
    r.method = "GET";
    r.path = std::move(path);
    r.params = std::move(params);
    return r;
  }
  static inline int counter = 0;
  std::filesystem::path dir;
  FakeClock clock{kNow};
  ingest::NullWriteLog wal;
  std::unique_ptr<store::Index> index;
  std::unique_ptr<store::ChunkStore> chunks;
  std::unique_ptr<ingest::ChunkWriter> writer;
  std::unique_ptr<ingest::Ingester> ing;
  api::ReadApi api;
};
}  // namespace

TEST_CASE("labels endpoint omits data when there is none") {
  Fixture f;
  auto r = api::HandleLabels(f.api, Fixture::Get("/loki/api/v1/labels"));
  CHECK(r.status == 200);
  CHECK(r.body == R"({"status":"success"})");
}

TEST_CASE("labels and values come from the head before a flush and the index after") {
  Fixture f;
  f.Push("fake", R"({job="api", env="prod"})", 3);
  auto before = api::HandleLabels(f.api, Fixture::Get("/loki/api/v1/labels"));
  CHECK(before.body == R"({"status":"success","data":["env","job"]})");
  REQUIRE(f.ing->Flush().ok());
  auto after = api::HandleLabels(f.api, Fixture::Get("/loki/api/v1/labels"));
  CHECK(after.body == before.body);
  Request values = Fixture::Get("/loki/api/v1/label/job/values");
  values.path_params["name"] = "job";
  CHECK(api::HandleLabelValues(f.api, values).body == R"({"status":"success","data":["api"]})");
  CHECK(api::HandleLegacyLabelValues(f.api, values).body == R"({"values":["api"]})");
}

TEST_CASE("series filters by match[] and always has data") {
  Fixture f;
  f.Push("fake", R"({job="api"})", 1);
  f.Push("fake", R"({job="db"})", 1);
  auto r = api::HandleSeries(f.api, Fixture::Get("/loki/api/v1/series", {{"match[]", R"({job="db"})"}}));
  CHECK(r.body == R"({"status":"success","data":[{"job":"db"}]})");
  auto none = api::HandleSeries(f.api, Fixture::Get("/loki/api/v1/series", {{"match[]", R"({job="x"})"}}));
  CHECK(none.body == R"({"status":"success","data":[]})");
  auto all = api::HandleSeries(f.api, Fixture::Get("/loki/api/v1/series", {{"match[]", "{}"}}));
  CHECK(all.body == R"({"status":"success","data":[{"job":"api"},{"job":"db"}]})");
}

TEST_CASE("series rejects a selector that is not one") {
  Fixture f;
  auto r = api::HandleSeries(f.api, Fixture::Get("/loki/api/v1/series", {{"match[]", "job"}}));
  CHECK(r.status == 400);
}

TEST_CASE("index stats count head and flushed data the same way") {
  Fixture f;
  f.Push("fake", R"({job="api"})", 5);
  auto q = Fixture::Get("/loki/api/v1/index/stats", {{"query", R"({job="api"})"}});
  auto head = api::HandleIndexStats(f.api, q);
  CHECK(head.body == R"({"streams":1,"chunks":1,"bytes":25,"entries":5})");
  REQUIRE(f.ing->Flush().ok());
  auto flushed = api::HandleIndexStats(f.api, q);
  CHECK(flushed.body == R"({"streams":1,"chunks":1,"bytes":25,"entries":5})");
}

TEST_CASE("read endpoints are tenant isolated") {
  Fixture f;
  f.api.tenants.auth_enabled = true;
  f.Push("a", R"({job="only-a"})", 1);
  Request r = Fixture::Get("/loki/api/v1/labels");
  CHECK(api::HandleLabels(f.api, r).status == 401);
  r.headers.emplace_back("X-Scope-OrgID", "b");
  CHECK(api::HandleLabels(f.api, r).body == R"({"status":"success"})");
  r.headers.back().second = "a";
  CHECK(api::HandleLabels(f.api, r).body == R"({"status":"success","data":["job"]})");
}

TEST_CASE("label endpoints reject a bad start with 400") {
  Fixture f;
  auto r = api::HandleLabels(f.api, Fixture::Get("/loki/api/v1/labels", {{"start", "nope"}}));
  CHECK(r.status == 400);
}
