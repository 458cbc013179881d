#include "server/query/chunk_cache.h"

#include <xxhash.h>

namespace skald::server::query {

size_t ChunkCache::KeyHash::operator()(const Key& k) const {
  return static_cast<size_t>(XXH3_64bits(&k, sizeof(k)));
}

ChunkCache::Key ChunkCache::KeyOf(const store::ChunkRef& ref) {
  return Key{ref.id, ref.file_id, ref.offset, ref.length, ref.checksum};
}

std::shared_ptr<const chunk::Chunk> ChunkCache::Get(const store::ChunkRef& ref) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = by_key_.find(KeyOf(ref));
  if (it == by_key_.end()) return nullptr;
  lru_.splice(lru_.begin(), lru_, it->second);
  return it->second->chunk;
}

void ChunkCache::Put(const store::ChunkRef& ref, std::shared_ptr<const chunk::Chunk> c) {
  const size_t n = c->MemoryBytes();
  if (n > capacity_) return;
  const Key key = KeyOf(ref);
  std::lock_guard<std::mutex> lock(mu_);
  if (by_key_.count(key) != 0) return;  // another reader opened it too
  while (bytes_ + n > capacity_ && !lru_.empty()) {
    bytes_ -= lru_.back().bytes;
    by_key_.erase(lru_.back().key);
    lru_.pop_back();
  }
  lru_.push_front(Item{key, std::move(c), n});
  by_key_[key] = lru_.begin();
  bytes_ += n;
}

size_t ChunkCache::bytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return bytes_;
}

size_t ChunkCache::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return lru_.size();
}

}  // namespace skald::server::query
