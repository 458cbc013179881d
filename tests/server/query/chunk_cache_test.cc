// ChunkCache: hits by the whole chunk reference, least recently used
// eviction past the byte budget, chunks bigger than the budget not kept.
#include "server/query/chunk_cache.h"

#include <doctest/doctest.h>

#include <string>

#include "server/chunk/chunk_builder.h"

using skald::common::Entry;
using skald::server::chunk::Chunk;
using skald::server::chunk::ChunkBuilder;
using skald::server::chunk::ChunkOptions;
using skald::server::query::ChunkCache;
using skald::server::store::ChunkRef;

namespace {

std::shared_ptr<const Chunk> MakeChunk(int n) {
  ChunkOptions o;
  o.block_bytes = 1024;
  ChunkBuilder b("{app=\"api\"}", o);
  for (int i = 0; i < n; ++i) {
    REQUIRE(b.Append(Entry{1000 + i, "line " + std::to_string(i), {}}).ok());
  }
  auto bytes = b.Encode();
  REQUIRE(bytes.ok());
  auto c = Chunk::Open(*bytes, "test");
  REQUIRE(c.ok());
  return *c;
}

ChunkRef Ref(uint64_t id) {
  ChunkRef r;
  r.id = id;
  r.file_id = 7;
  r.offset = id * 100;
  r.length = 100;
  r.checksum = id * 31;
  return r;
}

}  // namespace

TEST_CASE("a cached chunk is returned for the same reference only") {
  ChunkCache cache(1 << 20);
  auto c = MakeChunk(50);
  CHECK(cache.Get(Ref(1)) == nullptr);
  cache.Put(Ref(1), c);
  CHECK(cache.Get(Ref(1)) == c);
  ChunkRef other = Ref(1);
  other.checksum ^= 1;  // same id, different bytes: not the cached chunk
  CHECK(cache.Get(other) == nullptr);
  CHECK(cache.bytes() == c->MemoryBytes());
}

TEST_CASE("the least recently used chunk is evicted past the budget") {
  auto c = MakeChunk(50);
  const size_t each = c->MemoryBytes();
  ChunkCache cache(each * 2);
  cache.Put(Ref(1), c);
  cache.Put(Ref(2), MakeChunk(50));
  REQUIRE(cache.size() == 2);
  CHECK(cache.Get(Ref(1)) != nullptr);  // 1 is now more recent than 2
  cache.Put(Ref(3), MakeChunk(50));
  CHECK(cache.size() == 2);
  CHECK(cache.Get(Ref(2)) == nullptr);
  CHECK(cache.Get(Ref(1)) != nullptr);
  CHECK(cache.Get(Ref(3)) != nullptr);
  CHECK(cache.bytes() <= each * 2);
}

TEST_CASE("a chunk bigger than the budget, or any chunk with a zero budget, is not kept") {
  auto c = MakeChunk(50);
  ChunkCache small(c->MemoryBytes() - 1);
  small.Put(Ref(1), c);
  CHECK(small.size() == 0);
  ChunkCache off(0);
  off.Put(Ref(1), c);
  CHECK(off.Get(Ref(1)) == nullptr);
}

TEST_CASE("an evicted chunk stays valid for a reader still holding it") {
  auto c = MakeChunk(50);
  ChunkCache cache(c->MemoryBytes());
  cache.Put(Ref(1), c);
  auto held = cache.Get(Ref(1));
  c.reset();
  cache.Put(Ref(2), MakeChunk(50));  // evicts 1
  REQUIRE(cache.Get(Ref(1)) == nullptr);
  CHECK(held->BlockCount() >= 1);
  CHECK(held->EntryCount() == 50);
}
