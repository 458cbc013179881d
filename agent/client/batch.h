// Batch: entries for one tenant waiting to be pushed, grouped by stream and
// built directly into the protobuf PushRequest that Encode serializes.
//
// The message lives on a protobuf Arena that Reset() rewinds, so a batch of
// thousands of entries costs a few arena blocks instead of three heap
// allocations per entry (entry, timestamp, line copy); each line's buffer is
// moved into the message, not copied. Streams are keyed by the identity of
// their shared canonical label string (one label string per stream per
// batch, not per line).
//
// Not thread-safe; owned by one tenant sender.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/entry.h"

namespace google::protobuf {
class Arena;
}
namespace logproto {
class PushRequest;
}

namespace skald::agent::client {

// Identifies where an entry came from so the agent can advance positions
// once the entry is acknowledged (or dropped for good).
struct AckRef {
  uint64_t source = 0;        // the agent's id for the tailed file
  uint64_t start_offset = 0;  // the entry's start offset in that file
};

// A stream's canonical label string (`{a="1", b="2"}`), shared by the
// entries of the stream; its address identifies the stream in a batch.
using SharedLabelString = std::shared_ptr<const std::string>;

class Batch {
 public:
  explicit Batch(int64_t created_ns);
  ~Batch();
  Batch(const Batch&) = delete;
  Batch& operator=(const Batch&) = delete;

  // Empties the batch (frees its arena blocks) and restarts its age.
  void Reset(int64_t created_ns);
  // Adds `entry` (its line is moved from) to the stream `labels` (not null).
  void Add(const SharedLabelString& labels, common::Entry entry, AckRef ack);
  // The snappy-compressed protobuf body (Loki's push format) of what was
  // added. bytes(), entries() and acks() stay valid until Reset().
  std::string Encode();

  size_t bytes() const { return bytes_; }   // sum of line sizes
  size_t entries() const { return acks_.size(); }
  bool empty() const { return acks_.empty(); }
  int64_t created_ns() const { return created_ns_; }
  const std::vector<AckRef>& acks() const { return acks_; }

 private:
  int64_t created_ns_;
  size_t bytes_ = 0;
  std::unique_ptr<google::protobuf::Arena> arena_;
  logproto::PushRequest* msg_ = nullptr;  // on arena_
  // Stream index in msg_ by label-string address; the held strings keep
  // the addresses valid.
  std::unordered_map<const std::string*, int> stream_index_;
  std::vector<SharedLabelString> held_labels_;
  std::vector<AckRef> acks_;
  std::string raw_;  // serialized message in its first bytes (sized for the largest batch so far, reused)
};

}  // namespace skald::agent::client
