#include "server/store/retention.h"

#include <doctest/doctest.h>

#include "common/clock.h"
#include "common/mem_env.h"
#include "common/time.h"
#include "tests/server/store/store_test_util.h"

using namespace skald::common;
using namespace skald::server::store;
using namespace skald::server::store::testing;

namespace {

constexpr int64_t kDay = 20000;
constexpr int64_t kD = kNanosPerDay;

struct Fixture {
  TempDir dir;
  MemEnv env;
  FakeClock clock{(kDay + 10) * kD};
  std::unique_ptr<Index> index = OpenIndex(dir);
  std::unique_ptr<ChunkStore> store;

  Fixture() { store = OpenStore(index.get(), &env, "/chunks"); }
  uint64_t Stream(const char* tenant, const char* labels, int64_t ts) {
    return index->GetOrCreateStream(tenant, L(labels), ts).value();
  }
  // A chunk of `stream` covering [from, through] in the day of `from`.
  ChunkRef Put(const char* tenant, uint64_t stream, int64_t from, int64_t through) {
    auto r = store->Write(tenant, stream, DayOf(from), "bytes", {from, through, 1, 5});
    REQUIRE(r.ok());
    return *r;
  }
  RetentionStats Run(RetentionOptions o, LiveStreamFn live = nullptr) {
    Retention r(std::move(o), index.get(), store.get(), &clock);
    auto s = r.Run(live);
    REQUIRE(s.ok());
    return *s;
  }
};

RetentionOptions Period(int64_t ns) {
  RetentionOptions o;
  o.period_ns = ns;
  return o;
}

}  // namespace

TEST_CASE("retention with period 0 keeps everything") {
  Fixture f;
  uint64_t s = f.Stream("t", R"({app="a"})", kDay * kD);
  ChunkRef old = f.Put("t", s, kDay * kD, kDay * kD + 10);
  RetentionStats st = f.Run(Period(0));
  CHECK(st.files_deleted == 0);
  CHECK(f.store->Read(old).ok());
}

TEST_CASE("retention drops whole days older than the period") {
  Fixture f;
  uint64_t s = f.Stream("t", R"({app="a"})", kDay * kD);
  ChunkRef old1 = f.Put("t", s, kDay * kD, kDay * kD + 10);
  ChunkRef old2 = f.Put("t", s, kDay * kD + 100, kDay * kD + 200);
  ChunkRef recent = f.Put("t", s, (kDay + 9) * kD, (kDay + 9) * kD + 10);
  std::string old_path = f.store->PathOf(old1.file_id).value();
  RetentionStats st = f.Run(Period(3 * kD));  // cutoff: start of day kDay+7
  CHECK(st.files_deleted == 1);
  CHECK(st.chunks_deleted == 2);
  CHECK(st.streams_deleted == 0);
  CHECK_FALSE(f.env.FileExists(old_path));
  CHECK(f.store->Read(old2).status().code() == StatusCode::kNotFound);
  CHECK(f.store->Read(recent).ok());
  auto chunks = f.index->ChunksFor("t", {s}, INT64_MIN, INT64_MAX);
  REQUIRE(chunks.ok());
  REQUIRE(chunks->size() == 1);
  CHECK((*chunks)[0].id == recent.id);
}

TEST_CASE("retention keeps a day whose chunks end after the cutoff") {
  Fixture f;
  uint64_t s = f.Stream("t", R"({app="a"})", kDay * kD);
  // Starts on kDay, ends two days later (an old chunk sealed late).
  ChunkRef spanning = f.Put("t", s, kDay * kD, (kDay + 2) * kD);
  // Cutoff = start of kDay+1: day kDay ended, but the chunk did not.
  RetentionStats st = f.Run(Period(9 * kD));
  CHECK(st.files_deleted == 0);
  CHECK(f.store->Read(spanning).ok());
}

TEST_CASE("retention periods are per tenant") {
  Fixture f;
  uint64_t a = f.Stream("a", R"({app="x"})", kDay * kD);
  uint64_t b = f.Stream("b", R"({app="x"})", kDay * kD);
  ChunkRef ca = f.Put("a", a, kDay * kD, kDay * kD + 1);
  ChunkRef cb = f.Put("b", b, kDay * kD, kDay * kD + 1);
  RetentionOptions o = Period(2 * kD);
  o.tenant_periods["b"] = 0;  // keep b forever
  RetentionStats st = f.Run(o);
  CHECK(st.files_deleted == 1);
  CHECK(f.store->Read(ca).status().code() == StatusCode::kNotFound);
  CHECK(f.store->Read(cb).ok());
}

TEST_CASE("retention deletes streams left without chunks unless live") {
  Fixture f;
  uint64_t dead = f.Stream("t", R"({app="dead"})", kDay * kD);
  uint64_t live = f.Stream("t", R"({app="live"})", kDay * kD);
  f.Put("t", dead, kDay * kD, kDay * kD + 1);
  f.Put("t", live, kDay * kD, kDay * kD + 1);
  RetentionStats st = f.Run(Period(2 * kD), [&](std::string_view tenant, uint64_t id) {
    return tenant == "t" && id == live;
  });
  CHECK(st.streams_deleted == 1);
  auto streams = f.index->FindStreams("t", {}, INT64_MIN, INT64_MAX);
  REQUIRE(streams.ok());
  CHECK(Texts(*streams) == std::vector<std::string>{R"({app="live"})"});
  CHECK(*f.index->LabelValues("t", "app", INT64_MIN, INT64_MAX) ==
        std::vector<std::string>{"live"});
}

TEST_CASE("retention trims a kept stream's time range to its remaining chunks") {
  Fixture f;
  uint64_t s = f.Stream("t", R"({app="a"})", kDay * kD);
  f.Put("t", s, kDay * kD, kDay * kD + 1);
  f.Put("t", s, (kDay + 9) * kD, (kDay + 9) * kD + 1);
  f.Run(Period(3 * kD));
  CHECK(f.index->FindStreams("t", {}, kDay * kD, (kDay + 1) * kD)->empty());
  CHECK(f.index->FindStreams("t", {}, (kDay + 9) * kD, (kDay + 9) * kD)->size() == 1);
  // The stream still gets the same id and accepts new data.
  CHECK(f.Stream("t", R"({app="a"})", (kDay + 10) * kD) == s);
}
