// StoreQuerier::WarmChunkCache: the newest stored chunks of every tenant are
// opened into the chunk cache until it is full, unreadable chunks skipped.
#include <doctest/doctest.h>

#include <atomic>
#include <string>
#include <vector>

#include "common/mem_env.h"
#include "server/chunk/chunk.h"
#include "server/chunk/chunk_builder.h"
#include "server/query/store_querier.h"
#include "server/store/chunk_store.h"
#include "tests/server/store/store_test_util.h"

using skald::common::Entry;
using skald::common::MemEnv;
using skald::server::chunk::Chunk;
using skald::server::chunk::ChunkBuilder;
using skald::server::chunk::ChunkOptions;
using skald::server::query::StoreQuerier;
using skald::server::store::ChunkMeta;
using skald::server::store::ChunkRef;
using skald::server::store::ChunkStore;
using skald::server::store::Index;
using namespace skald::server::store::testing;

namespace {

constexpr int64_t kDay = 20000;
constexpr int64_t kSec = 1'000'000'000;

struct Fixture {
  TempDir dir;
  MemEnv env;
  std::unique_ptr<Index> index = OpenIndex(dir);
  std::unique_ptr<ChunkStore> store = OpenStore(index.get(), &env, "/data/chunks");

  // A real chunk of 50 entries from `start` (ns), stored for `tenant`.
  ChunkRef Write(const char* tenant, const char* labels, int64_t start) {
    const uint64_t stream = index->GetOrCreateStream(tenant, L(labels), start).value();
    ChunkOptions o;
    o.block_bytes = 512;
    ChunkBuilder b(labels, o);
    for (int i = 0; i < 50; ++i) {
      REQUIRE(b.Append(Entry{start + i * kSec, "GET /item/" + std::to_string(i) + " 200", {}}).ok());
    }
    std::string bytes = b.Encode().value();
    ChunkMeta meta{start, start + 49 * kSec, 50, 1000};
    return store->Write(tenant, stream, kDay, bytes, meta).value();
  }
  // What `ref` weighs in the cache (opened lazily, as the querier does).
  size_t OneChunkBytes(const ChunkRef& ref) {
    auto c = Chunk::OpenLazy(
        ref.length,
        [this, ref](uint64_t offset, uint64_t length, std::string* out) {
          return store->ReadRangeInto(ref, offset, length, out);
        },
        "x");
    REQUIRE(c.ok());
    return (*c)->MemoryBytes();
  }
};

}  // namespace

TEST_CASE("warming the chunk cache opens every tenant's chunks when they fit") {
  Fixture f;
  std::vector<ChunkRef> refs;
  refs.push_back(f.Write("a", R"({app="x"})", 1000 * kSec));
  refs.push_back(f.Write("a", R"({app="y"})", 2000 * kSec));
  refs.push_back(f.Write("b", R"({app="x"})", 3000 * kSec));
  StoreQuerier q(f.index.get(), f.store.get(), nullptr, 64 << 20);
  CHECK(q.WarmChunkCache() == 3);
  CHECK(q.chunk_cache().size() == 3);
  for (const ChunkRef& r : refs) CHECK(q.chunk_cache().Get(r) != nullptr);
  CHECK(q.WarmChunkCache() == 0);  // nothing left to open
}

TEST_CASE("warming a small chunk cache keeps the newest chunks, skips unreadable ones, and stops when asked") {
  Fixture f;
  std::vector<ChunkRef> refs;
  for (int i = 0; i < 6; ++i) refs.push_back(f.Write("t", R"({app="x"})", (1000 + 100 * i) * kSec));
  // Opaque garbage indexed as the newest chunk: it cannot be opened.
  const uint64_t stream = f.index->GetOrCreateStream("t", L(R"({app="z"})"), 0).value();
  ChunkRef bad = f.store->Write("t", stream, kDay, std::string(300, 'x'), ChunkMeta{9000 * kSec, 9001 * kSec, 1, 1})
                     .value();
  const size_t one = f.OneChunkBytes(refs[0]);
  // Room for three and a half chunks (all weigh about the same).
  StoreQuerier q(f.index.get(), f.store.get(), nullptr, one * 7 / 2);
  const size_t n = q.WarmChunkCache();
  CHECK(n >= 2);
  CHECK(n <= 4);
  CHECK(q.chunk_cache().bytes() <= one * 7 / 2);
  CHECK(q.chunk_cache().Get(bad) == nullptr);
  for (size_t i = 0; i < refs.size(); ++i) {
    CAPTURE(i);
    // Exactly the n newest are cached.
    CHECK((q.chunk_cache().Get(refs[i]) != nullptr) == (i + n >= refs.size()));
  }
  StoreQuerier stopped(f.index.get(), f.store.get(), nullptr, 64 << 20);
  std::atomic<bool> stop{true};
  CHECK(stopped.WarmChunkCache(&stop) == 0);
  CHECK(stopped.chunk_cache().size() == 0);
}
