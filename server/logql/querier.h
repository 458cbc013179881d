// Querier: where the LogQL engine reads log entries from. Declared here,
// implemented in server/query over the index, the chunk store and the
// ingester's head data, so the engine never includes store or ingest.
//
// SelectStreams resolves a stream selector to the streams of one tenant whose
// data may overlap [from, through), each with its entry sources (stored
// chunks and unflushed head data). A source opens an EntryIterator over its
// entries in a direction; ScanHints let it skip blocks that cannot match.
//
// Concurrency: SelectStreams may be called from any thread. Different
// EntrySources may be opened concurrently from different threads; one
// source is opened by one thread at a time.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/labels.h"
#include "common/matcher.h"
#include "common/status.h"
#include "server/iter/entry_iterator.h"
#include "server/logql/query_result.h"

namespace skald::server::logql {

// What every line a query can return must satisfy; sources use it to skip
// blocks (bloom filters) and lines (memmem) before any parsing. Empty hints
// mean "no restriction".
struct ScanHints {
  // Each must occur in the line (case-sensitive substring).
  std::vector<std::string> line_contains;
  // name=value pairs that must be present in the entry's structured metadata.
  std::vector<common::Label> metadata_equals;
  // name=value where `name` is extracted by a json/logfmt parser (or is
  // structured metadata, which wins a name clash): every matching entry has
  // metadata name=value, or holds `value` in its line as whole tokens — the
  // latter provably only in lines without escapes (no backslash), since JSON
  // and logfmt values are delimited by non-token bytes.
  std::vector<common::Label> field_equals;
  // False when the reader needs no label beyond the stream's: sources may
  // then yield entries without their structured metadata (and skip
  // decompressing it). Log queries always need it (it is returned).
  bool need_metadata = true;
  // Log queries with a limit: entries older (backward; forward: newer) than
  // *cutoff can no longer make the result, so a source may stop reading
  // there. It moves toward the other end of the range while the query runs
  // (the limit-th best timestamp found so far). Null: read everything.
  const std::atomic<int64_t>* cutoff = nullptr;
  // A reader that works through the range in slices: sources may pause
  // before entries beyond it (iter::EntryIterator::Paused). Null: never.
  const iter::PauseBound* pause = nullptr;
};

// Timestamps and line lengths of a run of entries (one block, or head data),
// without their text: line i is line_offsets[i+1] - line_offsets[i] bytes.
// Views valid only during the callback.
struct EntrySizes {
  std::span<const int64_t> timestamps;
  std::span<const uint32_t> line_offsets;  // timestamps.size() + 1 values
};
using EntrySizesFn = std::function<void(const EntrySizes&)>;

// A decoded run of one source's entries (a block), read in place: entry i is
// Timestamp(i), Line(i) and its structured metadata. Entries share metadata
// sets: MetadataSetId(i) names entry i's set, whose pairs MetadataSetPairs
// gives as views without building Labels. Everything returned stays valid
// until the callback that received the run returns. Timestamps ascend within
// a run. Read by one thread.
class EntryRun {
 public:
  using Pair = std::pair<std::string_view, std::string_view>;  // name, value
  virtual ~EntryRun() = default;
  virtual size_t size() const = 0;
  virtual int64_t Timestamp(size_t i) const = 0;
  virtual std::string_view Line(size_t i) const = 0;
  // Entry i's metadata as Labels (built on first use, shared by its set).
  virtual std::span<const common::Label> Metadata(size_t i) const = 0;
  // In [0, MetadataSetCount()); set 0 may be the empty set.
  virtual uint32_t MetadataSetId(size_t i) const = 0;
  virtual size_t MetadataSetCount() const = 0;
  // Replaces `*out` with the (name, value) pairs of set `set`.
  virtual void MetadataSetPairs(uint32_t set, std::vector<Pair>* out) const = 0;
};
using EntryRunFn = std::function<void(const EntryRun&)>;

class EntrySource {
 public:
  virtual ~EntrySource() = default;
  // Bounds of the source's timestamps (inclusive).
  virtual int64_t MinTime() const = 0;
  virtual int64_t MaxTime() const = 0;
  // True for unflushed head data (counted as ingester stats).
  virtual bool IsHead() const = 0;
  // Iterates entries with from <= ts < through in `direction`. Entries that
  // provably violate `hints` may be skipped (never ones that satisfy them).
  // Adds what it decompressed/skipped to `*stats` (thread-compatible: one
  // stats object per calling task).
  virtual common::Result<std::unique_ptr<iter::EntryIterator>> Open(int64_t from, int64_t through,
                                                                    iter::Direction direction,
                                                                    const ScanHints& hints,
                                                                    QueryStats* stats) = 0;
  // For metrics that read neither line text nor metadata (count/bytes of a
  // selector without a pipeline): calls `fn` with the timestamps and line
  // lengths of at least every entry Open(from, through, …, no hints) would
  // yield, each once, without decompressing lines; runs may also hold
  // entries outside [from, through) (the caller filters by timestamp) and
  // come in no particular order. Returns true when done, false (having
  // called nothing) when the source cannot, then the caller uses Open;
  // errors as Open. Stats as Open. The default cannot.
  virtual common::Result<bool> ScanEntrySizes(int64_t from, int64_t through, QueryStats* stats,
                                              const EntrySizesFn& fn) {
    (void)from, (void)through, (void)stats, (void)fn;
    return false;
  }
  // For metric extraction, which needs no order: calls `fn` with runs of at
  // least every entry Open(from, through, …, hints, …) would yield, each
  // once, and only entries of this source; runs may also hold entries
  // outside [from, through) or ones the hints rule out (the caller filters
  // by timestamp and runs its whole pipeline) and come in no particular
  // order. Metadata is empty when !hints.need_metadata. Returns true when
  // done, false (having called nothing) when the source cannot, then the
  // caller uses Open; errors and stats as Open. The default cannot.
  virtual common::Result<bool> ScanRuns(int64_t from, int64_t through, const ScanHints& hints,
                                        QueryStats* stats, const EntryRunFn& fn) {
    (void)from, (void)through, (void)hints, (void)stats, (void)fn;
    return false;
  }
};

struct StreamSources {
  std::shared_ptr<const common::Labels> labels;
  std::vector<std::unique_ptr<EntrySource>> sources;
};

class Querier {
 public:
  virtual ~Querier() = default;
  // Streams of `tenant` matching every matcher with data possibly in
  // [from, through). InvalidArgument/Internal errors pass through.
  virtual common::Result<std::vector<StreamSources>> SelectStreams(
      std::string_view tenant, const std::vector<common::Matcher>& matchers, int64_t from,
      int64_t through) = 0;
};

}  // namespace skald::server::logql
