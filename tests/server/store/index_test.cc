#include "server/store/index.h"

#include <doctest/doctest.h>

#include <atomic>
#include <thread>

#include "tests/server/store/store_test_util.h"

using namespace skald::common;
using namespace skald::server::store;
using namespace skald::server::store::testing;

namespace {

constexpr int64_t kMin = INT64_MIN;
constexpr int64_t kMax = INT64_MAX;

uint64_t Stream(Index& idx, const char* tenant, const char* labels, int64_t ts = 100) {
  auto id = idx.GetOrCreateStream(tenant, L(labels), ts);
  REQUIRE(id.ok());
  return *id;
}

ChunkRef Chunk(uint64_t stream, int64_t from, int64_t through, uint64_t raw = 100,
               uint64_t entries = 10) {
  ChunkRef c;
  c.stream_id = stream;
  c.from_ts = from;
  c.through_ts = through;
  c.file_id = 1;
  c.length = raw / 2;
  c.compressed_bytes = raw / 2;
  c.raw_bytes = raw;
  c.entries = entries;
  return c;
}

void Add(Index& idx, const char* tenant, std::vector<ChunkRef> chunks) {
  REQUIRE(idx.AddChunks(tenant, chunks).ok());
}

std::vector<std::string> Find(Index& idx, const std::vector<Matcher>& ms, int64_t from = kMin,
                              int64_t through = kMax, const char* tenant = "t") {
  auto r = idx.FindStreams(tenant, ms, from, through);
  REQUIRE(r.ok());
  return Texts(*r);
}

// Four streams of tenant "t" used by the matcher tests.
void AddMatcherFixture(Index& idx) {
  Stream(idx, "t", R"({app="api", env="prod"})");
  Stream(idx, "t", R"({app="web", env="prod"})");
  Stream(idx, "t", R"({app="api", env="dev", team="x"})");
  Stream(idx, "t", R"({app="db"})");
}

using Strings = std::vector<std::string>;

}  // namespace

TEST_CASE("index returns the same stream id for the same labels") {
  TempDir dir;
  auto idx = OpenIndex(dir);
  uint64_t a = Stream(*idx, "t", R"({app="api"})");
  CHECK(a != 0);
  CHECK(Stream(*idx, "t", R"({app="api"})", 500) == a);
  CHECK(Stream(*idx, "t", R"({app="web"})") != a);
}

TEST_CASE("index gives the same labels of another tenant another stream") {
  TempDir dir;
  auto idx = OpenIndex(dir);
  CHECK(Stream(*idx, "a", R"({app="api"})") != Stream(*idx, "b", R"({app="api"})"));
}

TEST_CASE("index stream ids survive reopening") {
  TempDir dir;
  uint64_t id;
  {
    auto idx = OpenIndex(dir);
    id = Stream(*idx, "t", R"({app="api"})");
  }
  auto idx = OpenIndex(dir);
  CHECK(Stream(*idx, "t", R"({app="api"})") == id);
  CHECK(Stream(*idx, "t", R"({app="other"})") != id);
}

TEST_CASE("index rejects a stream without labels") {
  TempDir dir;
  auto idx = OpenIndex(dir);
  auto r = idx->GetOrCreateStream("t", Labels(), 1);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == StatusCode::kInvalidArgument);
}

TEST_CASE("index widens a stream's time range with each timestamp") {
  TempDir dir;
  auto idx = OpenIndex(dir);
  Stream(*idx, "t", R"({app="api"})", 100);
  Stream(*idx, "t", R"({app="api"})", 50);
  Stream(*idx, "t", R"({app="api"})", 200);
  auto r = idx->FindStreams("t", {Eq("app", "api")}, kMin, kMax);
  REQUIRE(r.ok());
  REQUIRE(r->size() == 1);
  CHECK((*r)[0].first_ts == 50);
  CHECK((*r)[0].last_ts == 200);
  CHECK((*r)[0].fingerprint == L(R"({app="api"})").Fingerprint());
}

TEST_CASE("index keeps labels with quotes, newlines and unicode intact") {
  TempDir dir;
  auto idx = OpenIndex(dir);
  Labels odd({{"app", "a\"b\\c\nd"}, {"zone", "zürich ✓"}});
  REQUIRE(idx->GetOrCreateStream("t", odd, 1).ok());
  auto r = idx->FindStreams("t", {Eq("zone", "zürich ✓")}, kMin, kMax);
  REQUIRE(r.ok());
  REQUIRE(r->size() == 1);
  CHECK((*r)[0].labels == odd);
}

TEST_CASE("index resolves equality matchers by intersecting postings") {
  TempDir dir;
  auto idx = OpenIndex(dir);
  AddMatcherFixture(*idx);
  CHECK(Find(*idx, {Eq("app", "api")}) ==
        Strings{R"({app="api", env="prod"})", R"({app="api", env="dev", team="x"})"});
  CHECK(Find(*idx, {Eq("env", "prod"), Eq("app", "api")}) == Strings{R"({app="api", env="prod"})"});
  CHECK(Find(*idx, {Eq("app", "web"), Eq("env", "dev")}).empty());
}

TEST_CASE("index resolves regex matchers over label values") {
  TempDir dir;
  auto idx = OpenIndex(dir);
  AddMatcherFixture(*idx);
  CHECK(Find(*idx, {Re("app", "a.*|w.+")}) == Strings{R"({app="api", env="prod"})",
                                                      R"({app="web", env="prod"})",
                                                      R"({app="api", env="dev", team="x"})"});
  CHECK(Find(*idx, {Re("app", "ap")}).empty());  // anchored
}

TEST_CASE("index != also matches streams lacking the label") {
  TempDir dir;
  auto idx = OpenIndex(dir);
  AddMatcherFixture(*idx);
  CHECK(Find(*idx, {Re("app", ".+"), Ne("env", "prod")}) ==
        Strings{R"({app="api", env="dev", team="x"})", R"({app="db"})"});
}

TEST_CASE("index !~ excludes the matching values") {
  TempDir dir;
  auto idx = OpenIndex(dir);
  AddMatcherFixture(*idx);
  CHECK(Find(*idx, {Eq("env", "prod"), Nre("app", "ap.")}) ==
        Strings{R"({app="web", env="prod"})"});
}

TEST_CASE("index =~ with an empty-compatible regex keeps streams lacking the label") {
  TempDir dir;
  auto idx = OpenIndex(dir);
  AddMatcherFixture(*idx);
  CHECK(Find(*idx, {Re("app", ".+"), Re("env", "prod|")}) ==
        Strings{R"({app="api", env="prod"})", R"({app="web", env="prod"})", R"({app="db"})"});
}

TEST_CASE("index matcher on a label no stream has") {
  TempDir dir;
  auto idx = OpenIndex(dir);
  AddMatcherFixture(*idx);
  CHECK(Find(*idx, {Eq("nope", "v")}).empty());
  CHECK(Find(*idx, {Re("nope", ".+")}).empty());
  // name="" matches streams lacking the label.
  CHECK(Find(*idx, {Eq("app", "api"), Eq("team", "")}) == Strings{R"({app="api", env="prod"})"});
  CHECK(Find(*idx, {Eq("app", "db"), Ne("nope", "v")}) == Strings{R"({app="db"})"});
  // name!="" requires the label.
  CHECK(Find(*idx, {Ne("team", "")}) == Strings{R"({app="api", env="dev", team="x"})"});
}

TEST_CASE("index without matchers returns every stream of the tenant") {
  TempDir dir;
  auto idx = OpenIndex(dir);
  AddMatcherFixture(*idx);
  Stream(*idx, "other", R"({app="x"})");
  CHECK(Find(*idx, {}).size() == 4);
}

TEST_CASE("index finds streams whose time range overlaps the window, bounds inclusive") {
  TempDir dir;
  auto idx = OpenIndex(dir);
  uint64_t a = Stream(*idx, "t", R"({app="a"})", 100);
  Stream(*idx, "t", R"({app="a"})", 200);  // a: [100, 200]
  Stream(*idx, "t", R"({app="b"})", 300);  // b: [300, 300]
  (void)a;
  std::vector<Matcher> any = {Re("app", ".+")};
  CHECK(Find(*idx, any, 0, 99).empty());
  CHECK(Find(*idx, any, 0, 100) == Strings{R"({app="a"})"});
  CHECK(Find(*idx, any, 200, 299) == Strings{R"({app="a"})"});
  CHECK(Find(*idx, any, 201, 299).empty());
  CHECK(Find(*idx, any, 150, 300) == Strings{R"({app="a"})", R"({app="b"})"});
  CHECK(Find(*idx, {}, 301, 400).empty());
}

TEST_CASE("index chunks are listed by from_ts and filtered by the window") {
  TempDir dir;
  auto idx = OpenIndex(dir);
  uint64_t a = Stream(*idx, "t", R"({app="a"})");
  uint64_t b = Stream(*idx, "t", R"({app="b"})");
  Add(*idx, "t", {Chunk(a, 300, 400), Chunk(b, 100, 250), Chunk(a, 0, 99)});
  auto all = idx->ChunksFor("t", {a, b}, kMin, kMax);
  REQUIRE(all.ok());
  REQUIRE(all->size() == 3);
  CHECK((*all)[0].from_ts == 0);
  CHECK((*all)[1].from_ts == 100);
  CHECK((*all)[1].stream_id == b);
  CHECK((*all)[2].from_ts == 300);
  CHECK((*all)[0].id != 0);
  auto window = idx->ChunksFor("t", {a, b}, 250, 300);
  REQUIRE(window.ok());
  CHECK(window->size() == 2);
  auto only_a = idx->ChunksFor("t", {a}, 0, 1000);
  REQUIRE(only_a.ok());
  CHECK(only_a->size() == 2);
}

TEST_CASE("index AddChunks sets ids and keeps every field") {
  TempDir dir;
  auto idx = OpenIndex(dir);
  uint64_t a = Stream(*idx, "t", R"({app="a"})");
  std::vector<ChunkRef> cs = {Chunk(a, 10, 20)};
  cs[0].file_id = 7;
  cs[0].offset = 4096;
  cs[0].checksum = 0xfeedfacecafebeefULL;
  REQUIRE(idx->AddChunks("t", cs).ok());
  CHECK(cs[0].id != 0);
  auto got = idx->ChunksFor("t", {a}, kMin, kMax);
  REQUIRE(got.ok());
  REQUIRE(got->size() == 1);
  CHECK((*got)[0] == cs[0]);
}

TEST_CASE("index AddChunks widens the stream's time range") {
  TempDir dir;
  auto idx = OpenIndex(dir);
  uint64_t a = Stream(*idx, "t", R"({app="a"})", 100);
  Add(*idx, "t", {Chunk(a, 10, 5000)});
  CHECK(Find(*idx, {Eq("app", "a")}, 4000, 4500).size() == 1);
  CHECK(Find(*idx, {Eq("app", "a")}, 0, 20).size() == 1);
}

TEST_CASE("index AddChunks rejects another tenant's stream and adds nothing") {
  TempDir dir;
  auto idx = OpenIndex(dir);
  uint64_t a = Stream(*idx, "a", R"({app="x"})");
  uint64_t b = Stream(*idx, "b", R"({app="x"})");
  std::vector<ChunkRef> cs = {Chunk(a, 1, 2), Chunk(b, 1, 2)};
  Status st = idx->AddChunks("a", cs);
  CHECK(st.code() == StatusCode::kInvalidArgument);
  auto got = idx->ChunksFor("a", {a}, kMin, kMax);
  REQUIRE(got.ok());
  CHECK(got->empty());
}

TEST_CASE("index never shows one tenant's streams, labels or chunks to another") {
  TempDir dir;
  auto idx = OpenIndex(dir);
  uint64_t a = Stream(*idx, "a", R"({app="shared", only_a="1"})");
  uint64_t b = Stream(*idx, "b", R"({app="shared", only_b="2"})");
  Add(*idx, "a", {Chunk(a, 1, 2, 1000)});
  Add(*idx, "b", {Chunk(b, 1, 2, 7)});
  CHECK(Find(*idx, {Eq("app", "shared")}, kMin, kMax, "a") ==
        Strings{R"({app="shared", only_a="1"})"});
  CHECK(Find(*idx, {Eq("only_b", "2")}, kMin, kMax, "a").empty());
  CHECK(Find(*idx, {}, kMin, kMax, "c").empty());
  CHECK(*idx->LabelNames("a", kMin, kMax) == Strings{"app", "only_a"});
  CHECK(idx->LabelValues("a", "only_b", kMin, kMax)->empty());
  auto chunks = idx->ChunksFor("a", {b}, kMin, kMax);
  REQUIRE(chunks.ok());
  CHECK(chunks->empty());
  auto stats = idx->Stats("a", {Eq("app", "shared")}, kMin, kMax);
  REQUIRE(stats.ok());
  CHECK(*stats == IndexStats{1, 1, 1000, 10});
  auto series = idx->Series("b", {{Eq("app", "shared")}}, kMin, kMax);
  REQUIRE(series.ok());
  CHECK(Texts(*series) == Strings{R"({app="shared", only_b="2"})"});
}

TEST_CASE("index label names come from streams in the window") {
  TempDir dir;
  auto idx = OpenIndex(dir);
  Stream(*idx, "t", R"({app="a", env="prod"})", 100);
  Stream(*idx, "t", R"({app="b", pod="p1"})", 500);
  CHECK(*idx->LabelNames("t", kMin, kMax) == Strings{"app", "env", "pod"});
  CHECK(*idx->LabelNames("t", 400, 600) == Strings{"app", "pod"});
  CHECK(idx->LabelNames("t", 1000, 2000)->empty());
  CHECK(*idx->LabelNames("t", kMin, kMax, {Eq("app", "a")}) == Strings{"app", "env"});
}

TEST_CASE("index label values are sorted, deduplicated and restricted by matchers") {
  TempDir dir;
  auto idx = OpenIndex(dir);
  Stream(*idx, "t", R"({app="b", env="prod"})", 100);
  Stream(*idx, "t", R"({app="a", env="prod"})", 100);
  Stream(*idx, "t", R"({app="a", env="dev"})", 500);
  CHECK(*idx->LabelValues("t", "app", kMin, kMax) == Strings{"a", "b"});
  CHECK(*idx->LabelValues("t", "env", 400, 600) == Strings{"dev"});
  CHECK(*idx->LabelValues("t", "env", kMin, kMax, {Eq("app", "b")}) == Strings{"prod"});
  CHECK(idx->LabelValues("t", "missing", kMin, kMax)->empty());
}

TEST_CASE("index series is the deduplicated union of the matcher groups") {
  TempDir dir;
  auto idx = OpenIndex(dir);
  AddMatcherFixture(*idx);
  auto r =
      idx->Series("t", {{Eq("env", "prod")}, {Eq("app", "api")}, {Eq("app", "db")}}, kMin, kMax);
  REQUIRE(r.ok());
  CHECK(Texts(*r) == Strings{R"({app="api", env="dev", team="x"})", R"({app="api", env="prod"})",
                             R"({app="db"})", R"({app="web", env="prod"})"});
}

TEST_CASE("index stats count streams and the chunks overlapping the window") {
  TempDir dir;
  auto idx = OpenIndex(dir);
  uint64_t a = Stream(*idx, "t", R"({app="a"})");
  uint64_t b = Stream(*idx, "t", R"({app="b"})");
  Stream(*idx, "t", R"({app="c"})");  // no chunks yet
  Add(*idx, "t", {Chunk(a, 0, 50, 100, 1), Chunk(a, 60, 120, 200, 2), Chunk(b, 0, 200, 400, 4)});
  auto all = idx->Stats("t", {Re("app", ".+")}, kMin, kMax);
  REQUIRE(all.ok());
  CHECK(*all == IndexStats{3, 3, 700, 7});
  auto window = idx->Stats("t", {Re("app", "a|b")}, 55, 300);
  REQUIRE(window.ok());
  CHECK(*window == IndexStats{2, 2, 600, 6});
}

TEST_CASE("index volume by series groups by the matcher labels") {
  TempDir dir;
  auto idx = OpenIndex(dir);
  uint64_t a1 = Stream(*idx, "t", R"({app="a", pod="1"})");
  uint64_t a2 = Stream(*idx, "t", R"({app="a", pod="2"})");
  uint64_t b = Stream(*idx, "t", R"({app="b", pod="1"})");
  Add(*idx, "t", {Chunk(a1, 0, 10, 100), Chunk(a2, 0, 10, 50), Chunk(b, 0, 10, 400)});
  auto r = idx->Volume("t", {Re("app", ".+")}, kMin, kMax, {}, VolumeAggregation::kSeries);
  REQUIRE(r.ok());
  REQUIRE(r->size() == 2);
  CHECK((*r)[0] == VolumeEntry{{{"app", "b"}}, 400});
  CHECK((*r)[1] == VolumeEntry{{{"app", "a"}}, 150});
}

TEST_CASE("index volume with target labels skips streams lacking them") {
  TempDir dir;
  auto idx = OpenIndex(dir);
  uint64_t a1 = Stream(*idx, "t", R"({app="a", pod="1"})");
  uint64_t b = Stream(*idx, "t", R"({app="b", pod="1"})");
  uint64_t c = Stream(*idx, "t", R"({app="c"})");
  Add(*idx, "t", {Chunk(a1, 0, 10, 100), Chunk(b, 0, 10, 400), Chunk(c, 0, 10, 1000)});
  auto r = idx->Volume("t", {Re("app", ".+")}, kMin, kMax, {"pod"}, VolumeAggregation::kSeries);
  REQUIRE(r.ok());
  REQUIRE(r->size() == 1);
  CHECK((*r)[0] == VolumeEntry{{{"pod", "1"}}, 500});
}

TEST_CASE("index volume by labels sums bytes per label name") {
  TempDir dir;
  auto idx = OpenIndex(dir);
  uint64_t a1 = Stream(*idx, "t", R"({app="a", pod="1"})");
  uint64_t b = Stream(*idx, "t", R"({app="b"})");
  Add(*idx, "t", {Chunk(a1, 0, 10, 100), Chunk(b, 0, 10, 400)});
  auto r =
      idx->Volume("t", {Re("app", ".+")}, kMin, kMax, {"app", "pod"}, VolumeAggregation::kLabels);
  REQUIRE(r.ok());
  // Target labels filter: b lacks pod, so only a1 counts.
  REQUIRE(r->size() == 2);
  CHECK((*r)[0] == VolumeEntry{{{"app", ""}}, 100});
  CHECK((*r)[1] == VolumeEntry{{{"pod", ""}}, 100});
  auto by_matchers =
      idx->Volume("t", {Re("app", ".+")}, kMin, kMax, {}, VolumeAggregation::kLabels);
  REQUIRE(by_matchers.ok());
  REQUIRE(by_matchers->size() == 1);
  CHECK((*by_matchers)[0] == VolumeEntry{{{"app", ""}}, 500});
}

TEST_CASE("index volume skips streams without chunks in the window") {
  TempDir dir;
  auto idx = OpenIndex(dir);
  uint64_t a = Stream(*idx, "t", R"({app="a"})");
  Add(*idx, "t", {Chunk(a, 0, 10, 100)});
  Stream(*idx, "t", R"({app="b"})", 5);
  auto r = idx->Volume("t", {Re("app", ".+")}, 20, 30, {}, VolumeAggregation::kSeries);
  REQUIRE(r.ok());
  CHECK(r->empty());
}

TEST_CASE("index deletes streams without chunks unless live") {
  TempDir dir;
  auto idx = OpenIndex(dir);
  uint64_t with_chunk = Stream(*idx, "t", R"({app="a"})");
  uint64_t live = Stream(*idx, "t", R"({app="b"})");
  uint64_t dead = Stream(*idx, "t", R"({app="c"})");
  Stream(*idx, "other", R"({app="c"})");
  Add(*idx, "t", {Chunk(with_chunk, 0, 10)});
  auto n = idx->DeleteStreamsWithoutChunks("t", [&](uint64_t id) { return id == live; });
  REQUIRE(n.ok());
  CHECK(*n == 1);
  CHECK(Find(*idx, {}) == Strings{R"({app="a"})", R"({app="b"})"});
  CHECK(*idx->LabelValues("t", "app", kMin, kMax) == Strings{"a", "b"});
  CHECK(Find(*idx, {}, kMin, kMax, "other").size() == 1);
  // The deleted stream comes back with a fresh id.
  CHECK(Stream(*idx, "t", R"({app="c"})") != dead);
}

TEST_CASE("index registers chunk files and reports their indexed end") {
  TempDir dir;
  auto idx = OpenIndex(dir);
  auto f = idx->AddFile("t", 20000, 1, "t/2024-10-04/000001.chunks");
  REQUIRE(f.ok());
  CHECK(idx->AddFile("t", 20000, 1, "dup").status().code() == StatusCode::kInvalidArgument);
  uint64_t a = Stream(*idx, "t", R"({app="a"})");
  ChunkRef c1 = Chunk(a, 0, 1);
  c1.file_id = *f;
  c1.offset = 0;
  c1.length = 100;
  ChunkRef c2 = c1;
  c2.offset = 100;
  c2.length = 50;
  Add(*idx, "t", {c1, c2});
  auto files = idx->ListFiles();
  REQUIRE(files.ok());
  REQUIRE(files->size() == 1);
  CHECK((*files)[0].end == 150);
  CHECK((*files)[0].chunks == 2);
  CHECK((*files)[0].day == 20000);
  CHECK(*idx->FilePath(*f) == "t/2024-10-04/000001.chunks");
  CHECK(idx->FilePath(*f + 1).status().code() == StatusCode::kNotFound);
  REQUIRE(idx->DeleteFiles({*f}).ok());
  CHECK(idx->ListFiles()->empty());
  CHECK(idx->ChunksFor("t", {a}, kMin, kMax)->empty());
}

TEST_CASE("index stats and volume over many streams count only the matching ones") {
  TempDir dir;
  auto idx = OpenIndex(dir);
  // More streams than the per-stream query threshold: the grouped scan path.
  std::vector<ChunkRef> cs;
  for (int i = 0; i < 300; ++i) {
    Labels l({{"app", "big"}, {"n", std::to_string(i)}});
    cs.push_back(Chunk(idx->GetOrCreateStream("t", l, 0).value(), 0, 10, 10, 1));
  }
  cs.push_back(Chunk(Stream(*idx, "t", R"({app="other"})"), 0, 10, 1000, 50));
  cs.push_back(Chunk(cs[0].stream_id, 500, 600, 7, 7));  // outside the window below
  Add(*idx, "t", cs);
  auto stats = idx->Stats("t", {Eq("app", "big")}, 0, 100);
  REQUIRE(stats.ok());
  CHECK(*stats == IndexStats{300, 300, 3000, 300});
  auto vol = idx->Volume("t", {Re("app", ".+")}, 0, 100, {}, VolumeAggregation::kSeries);
  REQUIRE(vol.ok());
  REQUIRE(vol->size() == 2);
  CHECK((*vol)[0] == VolumeEntry{{{"app", "big"}}, 3000});
  CHECK((*vol)[1] == VolumeEntry{{{"app", "other"}}, 1000});
}

TEST_CASE("index serves concurrent readers while a writer adds streams and chunks") {
  TempDir dir;
  auto idx = OpenIndex(dir);
  constexpr int kStreams = 200;
  std::atomic<bool> failed{false};
  std::thread writer([&] {
    for (int i = 0; i < kStreams; ++i) {
      Labels l({{"app", "w"}, {"n", std::to_string(i)}});
      auto id = idx->GetOrCreateStream("t", l, i);
      std::vector<ChunkRef> cs;
      if (id.ok()) cs.push_back(Chunk(*id, i, i + 1));
      if (!id.ok() || !idx->AddChunks("t", cs).ok()) failed = true;
    }
  });
  std::vector<std::thread> readers;
  for (int r = 0; r < 3; ++r) {
    readers.emplace_back([&] {
      size_t last = 0;
      for (int i = 0; i < 100; ++i) {
        auto s = idx->FindStreams("t", {Eq("app", "w")}, kMin, kMax);
        // Streams only ever appear: a later snapshot never sees fewer.
        if (!s.ok() || s->size() < last) failed = true;
        if (s.ok()) last = s->size();
        if (!idx->LabelValues("t", "n", kMin, kMax).ok()) failed = true;
      }
    });
  }
  writer.join();
  for (auto& t : readers) t.join();
  CHECK_FALSE(failed.load());
  CHECK(idx->FindStreams("t", {Eq("app", "w")}, kMin, kMax)->size() == kStreams);
  CHECK(idx->Stats("t", {Eq("app", "w")}, kMin, kMax)->chunks == kStreams);
}
