// Batch: entries for one tenant waiting to be pushed, grouped by stream.
// Not thread-safe; owned by one tenant sender.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/entry.h"

namespace skald::agent::client {

// Identifies where an entry came from so the agent can advance positions
// once the entry is acknowledged (or dropped for good).
struct AckRef {
  uint64_t source = 0;        // the agent's id for the tailed file
  uint64_t start_offset = 0;  // the entry's start offset in that file
};

class Batch {
 public:
  explicit Batch(int64_t created_ns) : created_ns_(created_ns) {}

  // Adds `entry` to the stream `labels` (canonical label string).
  void Add(const std::string& labels, common::Entry entry, AckRef ack);
  // Snappy-compressed protobuf body (Loki's push format). Moves the entries
  // into the encoder (no copy of every line): call once; bytes(), entries()
  // and acks() stay valid afterwards.
  std::string Encode();

  size_t bytes() const { return bytes_; }   // sum of line sizes
  size_t entries() const { return acks_.size(); }
  bool empty() const { return acks_.empty(); }
  int64_t created_ns() const { return created_ns_; }
  const std::vector<AckRef>& acks() const { return acks_; }

 private:
  int64_t created_ns_;
  size_t bytes_ = 0;
  std::map<std::string, std::vector<common::Entry>> streams_;
  std::vector<AckRef> acks_;
};

}  // namespace skald::agent::client
