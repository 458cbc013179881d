// ChunkCache: opened chunks (their parsed index and verified blooms, not
// their blocks) kept between queries, least recently used evicted past a
// byte budget. A query over many chunks otherwise reads and checksums every
// chunk's blooms again each time (a needle lookup over 2M lines: ~48 MB of
// blooms read to decode a handful of blocks).
//
// A stored chunk never changes once indexed, and the key is the whole
// reference (id, file, offset, length, checksum), so an entry can be stale
// only for a chunk no longer referenced: it is never looked up again and
// ages out.
//
// Concurrency: thread-safe. Chunks handed out are shared and immutable; an
// evicted chunk lives on while a reader holds it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "server/chunk/chunk.h"
#include "server/store/chunk_ref.h"

namespace skald::server::query {

class ChunkCache {
 public:
  // `capacity_bytes`: budget for the cached chunks' MemoryBytes(); 0 keeps
  // nothing. A chunk bigger than the budget is not kept.
  explicit ChunkCache(size_t capacity_bytes) : capacity_(capacity_bytes) {}
  ChunkCache(const ChunkCache&) = delete;
  ChunkCache& operator=(const ChunkCache&) = delete;

  // The chunk cached for `ref` (now the most recently used), or null.
  std::shared_ptr<const chunk::Chunk> Get(const store::ChunkRef& ref);
  // Caches `c` for `ref`, evicting least recently used chunks to fit.
  void Put(const store::ChunkRef& ref, std::shared_ptr<const chunk::Chunk> c);

  size_t bytes() const;
  size_t size() const;
  size_t capacity() const { return capacity_; }

 private:
  struct Key {
    uint64_t id, file_id, offset, length, checksum;
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    size_t operator()(const Key& k) const;
  };
  struct Item {
    Key key;
    std::shared_ptr<const chunk::Chunk> chunk;
    size_t bytes;
  };
  static Key KeyOf(const store::ChunkRef& ref);

  const size_t capacity_;
  mutable std::mutex mu_;
  std::list<Item> lru_;  // front: most recently used
  std::unordered_map<Key, std::list<Item>::iterator, KeyHash> by_key_;
  size_t bytes_ = 0;
};

}  // namespace skald::server::query
