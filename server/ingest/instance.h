// Instance: one tenant's streams in the ingester, keyed by fingerprint
// (label equality is checked, so colliding fingerprints stay apart).
//
// Concurrency: thread-safe; mu_ guards only the map. Streams are shared so a
// query can keep using one while the flush loop forgets it. The ingester
// removes streams only while no push is between looking a stream up and
// applying to it (it holds its append lock exclusively).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/labels.h"
#include "server/ingest/stream.h"

namespace skald::server::ingest {

class Instance {
 public:
  explicit Instance(std::string tenant) : tenant_(std::move(tenant)) {}
  Instance(const Instance&) = delete;
  Instance& operator=(const Instance&) = delete;

  const std::string& tenant() const { return tenant_; }

  // The stream with these labels, created when absent. Returns nullptr when
  // it would be created but the tenant already has `max_streams` (> 0)
  // streams. *created tells whether it was created.
  std::shared_ptr<Stream> GetOrCreate(const common::Labels& labels, const std::string& text,
                                      uint64_t fingerprint, double rate_bytes, double burst_bytes,
                                      int64_t max_streams, bool* created);
  // Every stream now (a snapshot; streams may be added or removed after).
  std::vector<std::shared_ptr<Stream>> Streams() const;
  // Forgets streams that hold nothing unflushed and had no append since
  // `idle_before_mono`. Returns how many were removed.
  size_t RemoveEmpty(int64_t idle_before_mono);
  size_t size() const;

 private:
  const std::string tenant_;
  mutable std::mutex mu_;
  std::unordered_map<uint64_t, std::vector<std::shared_ptr<Stream>>> streams_;  // guarded by mu_
  size_t count_ = 0;                                                           // guarded by mu_
};

}  // namespace skald::server::ingest
