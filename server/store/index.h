// Index: the label index in SQLite (WAL mode). It answers "which streams of
// this tenant match these matchers in [from, through]?", "which chunks hold
// them?" and the labels / series / stats / volume endpoints, from the index
// alone (no chunk is read).
//
// Tables (every row carries its tenant; no query crosses tenants):
//   streams  (id, tenant, fingerprint, labels canonical text, first_ts, last_ts)
//   postings (tenant, name, value, stream_id)   primary key = that order
//   chunks   (id, tenant, stream_id, from_ts, through_ts, file_id, file_offset,
//             length, entries, raw_bytes, compressed_bytes, checksum)
//   files    (id, tenant, day, seq, path)        chunk files (ChunkStore)
//
// Durability: synchronous=NORMAL. The ingester's WAL covers the last index
// transactions; the ChunkStore fsyncs chunk bytes before their rows are
// committed, so a committed row never points at bytes that are not durable.
//
// Concurrency: every method is thread-safe. Writes (GetOrCreateStream,
// AddChunks, file and retention methods) take `write_mu_` and use the single
// writer connection. Reads (FindStreams, ChunksFor, the label endpoints)
// borrow a reader connection from a pool (one connection per concurrent
// caller; `pool_mu_` guards only the free list), so readers never wait for
// each other or for the writer (WAL snapshot reads).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/labels.h"
#include "common/matcher.h"
#include "common/sqlite.h"
#include "common/status.h"
#include "server/store/chunk_ref.h"

namespace skald::server::store {

struct IndexOptions {
  // Path of the SQLite file, e.g. "data/index.db".
  std::string path = "data/index.db";
  // Reader connections kept open when idle; more are opened under load and
  // closed when returned beyond this count.
  size_t max_idle_readers = 8;
};

// Entries in the in-memory stream id cache before it is cleared (it refills
// from SQLite on the next GetOrCreateStream of each stream).
constexpr size_t kMaxCachedStreams = 1 << 20;

struct StreamInfo {
  uint64_t id = 0;
  uint64_t fingerprint = 0;  // Labels::Fingerprint()
  common::Labels labels;
  int64_t first_ts = 0;  // ns; earliest entry or chunk start seen
  int64_t last_ts = 0;   // ns; latest entry or chunk end seen
};

// /index/stats: index-only approximation.
struct IndexStats {
  uint64_t streams = 0;
  uint64_t chunks = 0;
  uint64_t bytes = 0;  // raw (uncompressed) bytes of the chunks
  uint64_t entries = 0;
  bool operator==(const IndexStats&) const = default;
};

// Serialized nowhere; numbers for readability.
enum class VolumeAggregation : uint8_t { kSeries = 0, kLabels = 1 };

// One /index/volume result: for kSeries the grouping labels and their
// values; for kLabels a single {name, ""} pair. Not a common::Labels because
// those drop empty values.
struct VolumeEntry {
  std::vector<common::Label> labels;
  uint64_t bytes = 0;  // raw bytes of the chunks overlapping the window
  bool operator==(const VolumeEntry&) const = default;
};

// /index/volume(_range) input: one indexed chunk's time span and sizes.
struct VolumeChunk {
  int64_t from_ts = 0;     // ns, first entry
  int64_t through_ts = 0;  // ns, last entry
  uint64_t entries = 0;
  uint64_t bytes = 0;      // raw (uncompressed) bytes: lines + structured metadata
  bool operator==(const VolumeChunk&) const = default;
};

// A matching stream with its chunks overlapping the asked window.
struct StreamVolume {
  common::Labels labels;
  std::vector<VolumeChunk> chunks;  // ordered by from_ts
};

// One chunk file registered in the files table.
struct ChunkFileInfo {
  uint64_t id = 0;
  std::string tenant;
  int64_t day = 0;          // days since the Unix epoch (UTC)
  uint64_t seq = 0;         // per (tenant, day), from 1
  std::string path;         // relative to the chunk root
  uint64_t end = 0;         // max(offset + length) over its indexed chunks; 0 if none
  uint64_t chunks = 0;      // indexed chunks in the file
  int64_t max_through = 0;  // latest through_ts of its chunks; 0 if none
};

class Index {
 public:
  // Opens (creating when missing) the index and its schema. Returns the
  // index, owned by the caller; IOError/Corruption from SQLite otherwise.
  static common::Result<std::unique_ptr<Index>> Open(const IndexOptions& options);

  Index(const Index&) = delete;
  Index& operator=(const Index&) = delete;
  ~Index();

  // ---- streams and chunks (writes) ----

  // Returns the id of the stream with these labels, creating it (with its
  // postings) when new, and widens its [first_ts, last_ts] to include `ts`.
  // Cheap (no SQLite write) when the stream is cached and `ts` is inside
  // its range. InvalidArgument for empty labels.
  common::Result<uint64_t> GetOrCreateStream(std::string_view tenant, const common::Labels& labels,
                                             int64_t ts);

  // Records the chunks in one transaction, sets each ref's `id`, and widens
  // each stream's [first_ts, last_ts] to cover its chunks. All or nothing:
  // InvalidArgument when a stream id is not one of this tenant's streams.
  common::Status AddChunks(std::string_view tenant, std::span<ChunkRef> chunks);

  // ---- reads ----

  // Streams whose labels satisfy every matcher and whose [first_ts,
  // last_ts] overlaps [from, through] (inclusive), ordered by id. Equality
  // matchers resolve through postings (smallest list first); regex and
  // negative matchers through the label's values. No matchers = all streams.
  common::Result<std::vector<StreamInfo>> FindStreams(std::string_view tenant,
                                                      const std::vector<common::Matcher>& matchers,
                                                      int64_t from, int64_t through);

  // Chunks of these streams (of this tenant) overlapping [from, through],
  // ordered by from_ts (then stream id, then id).
  common::Result<std::vector<ChunkRef>> ChunksFor(std::string_view tenant,
                                                  const std::vector<uint64_t>& stream_ids,
                                                  int64_t from, int64_t through);

  // Label names of streams overlapping [from, through] (restricted to the
  // streams matching `matchers` when non-empty), sorted, deduplicated.
  common::Result<std::vector<std::string>> LabelNames(
      std::string_view tenant, int64_t from, int64_t through,
      const std::vector<common::Matcher>& matchers = {});

  // Values of label `name` likewise, sorted, deduplicated.
  common::Result<std::vector<std::string>> LabelValues(
      std::string_view tenant, std::string_view name, int64_t from, int64_t through,
      const std::vector<common::Matcher>& matchers = {});

  // /series: the union of the streams matching any group (each group is an
  // AND of matchers; an empty group matches every stream), deduplicated and
  // sorted by canonical label text.
  common::Result<std::vector<StreamInfo>> Series(
      std::string_view tenant, const std::vector<std::vector<common::Matcher>>& groups,
      int64_t from, int64_t through);

  // /index/stats: matching streams, and the chunks / raw bytes / entries of
  // their chunks overlapping [from, through].
  common::Result<IndexStats> Stats(std::string_view tenant,
                                   const std::vector<common::Matcher>& matchers, int64_t from,
                                   int64_t through);

  // /index/volume: raw bytes of the matching streams' chunks overlapping
  // [from, through], grouped (Loki's rules) by the `target_labels`, or when
  // empty by the names the matchers mention; with target labels, streams
  // lacking one of them are skipped. kSeries groups by the stream's values
  // of those labels; kLabels adds each stream's bytes to every one of those
  // label names it has. Streams without chunks in the window are skipped.
  // Sorted by bytes descending, then label text; the caller applies `limit`.
  common::Result<std::vector<VolumeEntry>> Volume(std::string_view tenant,
                                                  const std::vector<common::Matcher>& matchers,
                                                  int64_t from, int64_t through,
                                                  const std::vector<std::string>& target_labels,
                                                  VolumeAggregation aggregate_by);

  // /index/volume(_range): the streams matching every matcher (no matchers =
  // all streams) that have chunks overlapping [from, through] (inclusive),
  // each with those chunks' spans and sizes, so the caller can prorate and
  // bucket them by time without reading chunks. Ordered by stream id.
  common::Result<std::vector<StreamVolume>> VolumeChunks(std::string_view tenant,
                                                         const std::vector<common::Matcher>& matchers,
                                                         int64_t from, int64_t through);

  // Tenants that have streams, sorted.
  common::Result<std::vector<std::string>> Tenants();

  // ---- chunk files (used by ChunkStore and retention) ----

  // Registers a new chunk file; returns its id. InvalidArgument when
  // (tenant, day, seq) exists.
  common::Result<uint64_t> AddFile(std::string_view tenant, int64_t day, uint64_t seq,
                                   std::string_view path);
  // Every registered file with its indexed end and chunk count, by id.
  common::Result<std::vector<ChunkFileInfo>> ListFiles();
  // The relative path of a file; NotFound when unknown.
  common::Result<std::string> FilePath(uint64_t file_id);
  // Deletes the files' chunk rows and file rows in one transaction.
  common::Status DeleteFiles(const std::vector<uint64_t>& file_ids);

  // Raises first_ts of this tenant's streams that start before `cutoff` to
  // their earliest remaining chunk (after retention dropped older chunks).
  // Streams without chunks are left alone.
  common::Status TrimStreamsBefore(std::string_view tenant, int64_t cutoff);

  // Deletes this tenant's streams (and postings) that have no chunk and for
  // which `is_live(stream_id)` is false (the ingester still holds head data
  // for live streams). Returns how many were deleted. The ingester must mark
  // a stream live before it calls GetOrCreateStream for it, so a stream is
  // never deleted between its lookup and its first chunk.
  common::Result<size_t> DeleteStreamsWithoutChunks(std::string_view tenant,
                                                    const std::function<bool(uint64_t)>& is_live);

 private:
  // A borrowed reader connection, returned to the pool on destruction.
  class ReaderLease {
   public:
    ReaderLease(Index* owner, std::unique_ptr<common::sqlite::Database> db)
        : owner_(owner), db_(std::move(db)) {}
    ReaderLease(ReaderLease&&) = default;
    ReaderLease& operator=(ReaderLease&&) = delete;
    ~ReaderLease() {
      if (db_) owner_->ReturnReader(std::move(db_));
    }
    common::sqlite::Database& db() { return *db_; }

   private:
    Index* owner_;
    std::unique_ptr<common::sqlite::Database> db_;
  };
  struct CachedStream {
    uint64_t id;
    int64_t first_ts;
    int64_t last_ts;
  };

  explicit Index(IndexOptions options) : options_(std::move(options)) {}
  common::Result<ReaderLease> Reader();
  void ReturnReader(std::unique_ptr<common::sqlite::Database> db);
  common::Status InsertStream(std::string_view tenant, const common::Labels& labels,
                              const std::string& text, int64_t ts, uint64_t* id);
  common::Status WidenStream(uint64_t id, int64_t first, int64_t last);
  common::Result<std::vector<StreamInfo>> FindStreamsWith(
      common::sqlite::Database& db, std::string_view tenant,
      const std::vector<common::Matcher>& matchers, int64_t from, int64_t through);

  // Constant after construction.
  const IndexOptions options_;

  // Protected by write_mu_.
  std::mutex write_mu_;
  std::unique_ptr<common::sqlite::Database> writer_;
  // tenant + '\0' + canonical labels -> stream id and stored time range.
  std::unordered_map<std::string, CachedStream> stream_cache_;

  // Protected by pool_mu_.
  std::mutex pool_mu_;
  std::vector<std::unique_ptr<common::sqlite::Database>> idle_readers_;
};

}  // namespace skald::server::store
