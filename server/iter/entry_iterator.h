// EntryIterator: the read-side interface over log entries of one or more
// streams (Loki's pkg/iter EntryIterator, leveldb's Iterator style).
//
// Usage:
//   while (it->Next()) { use(it->At(), it->Labels()); }
//   if (!it->status().ok()) { ... }
// An iterator starts before its first entry; Next() advances and returns
// false at the end or on error (then status() says which). The views in
// At() and Labels() stay valid until the next call to Next() or until the
// iterator is destroyed.
//
// Concurrency: an iterator is used by one thread at a time.
#pragma once

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
