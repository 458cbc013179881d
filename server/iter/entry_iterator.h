// EntryIterator: the read-side interface over log entries of one or more
// streams (Loki's pkg/iter EntryIterator, leveldb's Iterator style).
//
// Usage:
//   while (it->Next()) { use(it->At(), it->Labels()); }
//   if (!it->status().ok()) { ... }
//   if (it->Paused()) { move the pause bound on; Next() resumes }
// An iterator starts before its first entry; Next() advances and returns
// false at the end or on error (then status() says which). The views in
// At() and Labels() stay valid until the next call to Next() or until the
// iterator is destroyed.
//
// Concurrency: an iterator is used by one thread at a time.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/entry.h"
#include "common/status.h"

namespace skald::server::iter {

// Order of timestamps an iterator yields. Serialized in query plans: fixed numbers.
enum class Direction : uint8_t {
  kForward = 0,   // oldest first
  kBackward = 1,  // newest first
};

// A borrowed view of one entry. Valid until the iterator's next Next().
struct EntryRef {
  int64_t timestamp_ns = 0;
  std::string_view line;
  std::span<const common::Label> metadata;

  common::Entry ToEntry() const {
    return common::Entry{timestamp_ns, std::string(line), {metadata.begin(), metadata.end()}};
  }
};

class EntryIterator {
 public:
  EntryIterator() = default;
  EntryIterator(const EntryIterator&) = delete;
  EntryIterator& operator=(const EntryIterator&) = delete;
  virtual ~EntryIterator() = default;

  // Advances to the next entry. False at the end or on error.
  virtual bool Next() = 0;
  // The current entry. Only after Next() returned true.
  virtual const EntryRef& At() const = 0;
  // Canonical label string of the current entry's stream, `{a="1", b="2"}`.
  virtual std::string_view Labels() const = 0;
  // Fingerprint of Labels() (xxh3 of the canonical string).
  virtual uint64_t StreamHash() const = 0;
  // OK while iterating and after a clean end; the first error otherwise.
  virtual common::Status status() const = 0;
  // True when the last Next() returned false only because every entry left
  // lies beyond the caller's pause bound (see PauseBound); a later Next()
  // resumes where it stopped. Iterators without a bound never pause.
  virtual bool Paused() const { return false; }
};

// A reader that works through a range in slices shares one of these with
// its iterators: entries beyond it (backward: older than it; forward: at or
// newer than it) are not wanted yet. An iterator given one may stop before
// such an entry (Next() false, Paused() true) instead of searching on, and
// so leave a block or segment undecompressed until the bound moves past it.
// It may also yield such an entry; the reader must check.
class PauseBound {
 public:
  // Initially nothing lies beyond it.
  explicit PauseBound(Direction d)
      : forward_(d == Direction::kForward), bound_(forward_ ? INT64_MAX : INT64_MIN) {}
  void Set(int64_t bound) { bound_.store(bound, std::memory_order_release); }
  // True when an entry at `ts` lies beyond the bound.
  bool Beyond(int64_t ts) const {
    const int64_t b = bound_.load(std::memory_order_acquire);
    return forward_ ? ts >= b : ts < b;
  }

 private:
  const bool forward_;
  std::atomic<int64_t> bound_;
};

// Iterates `entries` of one stream, which must be sorted by timestamp
// ascending (ties in any order), in `direction`. Owns the entries.
std::unique_ptr<EntryIterator> NewVectorEntryIterator(std::string labels,
                                                      std::vector<common::Entry> entries,
                                                      Direction direction);

// An iterator that yields nothing and reports `status` (use for errors).
std::unique_ptr<EntryIterator> NewErrorEntryIterator(common::Status status);

// One materialized entry with its stream, for tests and small results.
struct StreamEntry {
  std::string labels;
  common::Entry entry;
  bool operator==(const StreamEntry&) const = default;
};

// Drains up to `limit` entries (0 = no limit). Errors end the drain; check
// it.status() afterwards.
std::vector<StreamEntry> CollectEntries(EntryIterator& it, size_t limit = 0);

}  // namespace skald::server::iter
