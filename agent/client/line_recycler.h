// LineRecycler: hands the line buffers of pushed batches back to the reader.
//
// Every line the agent reads is a heap string allocated by the reader thread
// and, once its batch was pushed, freed by a sender thread: one malloc and
// one cross-thread free per line (~10% of the agent's CPU). Senders instead
// give a pushed batch's strings here in bulk (one lock per batch) and the
// reader takes them in bulk (one lock per refill) and reads new lines into
// their capacity. Strings with a large capacity (a rare long line) are not
// kept, and the pool is bounded in count and bytes; beyond that they are
// freed as before.
//
// Concurrency: Give and Take are thread-safe (one mutex, held for a vector
// move or a bounded append).
#pragma once

#include <cstddef>
#include <mutex>
#include <string>
#include <vector>

namespace skald::agent::client {

// Strings kept at most; Give frees the rest.
inline constexpr size_t kMaxRecycledLines = 8192;
// Capacity bytes kept at most (about one default batch of typical lines,
// whose buffers the reader takes on its next pass); Give frees the rest.
inline constexpr size_t kMaxRecycledBytes = 2u << 20;
// A string with more capacity than this is freed, not kept (so one long
// line's buffer does not stay pinned serving short lines).
inline constexpr size_t kMaxRecycledLineCapacity = 4096;

class LineRecycler {
 public:
  LineRecycler() = default;
  LineRecycler(const LineRecycler&) = delete;
  LineRecycler& operator=(const LineRecycler&) = delete;

  // Keeps the strings of `lines` (emptied, capacity kept) within the
  // bounds above and frees the others; `lines` is left empty.
  void Give(std::vector<std::string>* lines);
  // Appends every kept string to `out` (each empty, with its capacity).
  void Take(std::vector<std::string>* out);

  // Strings kept now (for tests and metrics).
  size_t size();

 private:
  std::mutex mu_;
  std::vector<std::string> pool_;  // guarded by mu_
  size_t bytes_ = 0;               // guarded by mu_: sum of pool_ capacities
};

}  // namespace skald::agent::client
