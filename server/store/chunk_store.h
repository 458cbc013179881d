// ChunkStore: sealed chunks appended to large files per tenant and day,
//   <root>/<tenant>/<yyyy-mm-dd>/<seq>.chunks   (seq = 000001, 000002, ...)
// addressed by (file_id, offset, length) and recorded in the Index. The store
// treats a chunk as opaque bytes; it adds an XXH3-64 checksum of them to the
// index row and verifies it on Read.
//
// Crash-consistency invariant: an index row never points at bytes that are
// not durable, and nothing is ever half-visible.
//   1. A file is registered in the index (files table) before it is created.
//   2. Chunk bytes are appended and fsynced (Sync; the first Sync of a new file
//      also syncs its directory) before their rows are committed, in one
//      transaction per Write/WriteMany.
//   3. Recover() (run by Open) truncates every file to the end of its last
//      indexed chunk (bytes written but never indexed are garbage), deletes
//      registered files with no indexed chunk and any *.chunks (or temp) file
//      the index does not know.
// So after a crash a chunk is either fully readable through the index or
// absent from both the index and the disk.
//
// Concurrency: thread-safe. Writes (Write, WriteMany, DeleteFiles) take
// `write_mu_` for the whole append + fsync + index commit, so writers are
// serialised; Read never waits for a writer (it takes `catalog_mu_` and
// `readers_mu_` only for map lookups; the reads themselves are concurrent
// preads).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/env.h"
#include "common/status.h"
#include "server/store/chunk_ref.h"
#include "server/store/index.h"

namespace skald::server::store {

struct ChunkStoreOptions {
  // Directory holding <tenant>/<yyyy-mm-dd>/<seq>.chunks.
  std::string root = "data/chunks";
  // A file that would grow past this many bytes is closed and the next chunk
  // starts file seq+1 (a single larger chunk gets a file of its own).
  uint64_t max_file_bytes = uint64_t{512} << 20;
  // File system; nullptr = common::Env::Default(). Not owned.
  common::Env* env = nullptr;
  // Read handles kept open; beyond this the cache is cleared (handles in use
  // stay valid until their reads finish).
  size_t max_open_readers = 256;
  // Open append handles (one per active tenant and day); beyond this the
  // least recently opened one is closed.
  size_t max_open_appenders = 64;
};

// Longest tenant id accepted (Loki's limit); longer -> InvalidArgument.
constexpr size_t kMaxTenantBytes = 150;

// One chunk to write.
struct PendingChunk {
  uint64_t stream_id = 0;  // from Index::GetOrCreateStream for the same tenant
  int64_t day = 0;         // DayOf(meta.from_ts) normally; selects the day directory
  std::string_view bytes;  // the sealed chunk; must stay valid during the call
  ChunkMeta meta;
};

// What Recover() found and repaired.
struct RecoveryStats {
  uint64_t files_truncated = 0;  // had unindexed bytes after their last chunk
  uint64_t bytes_truncated = 0;
  uint64_t files_removed = 0;  // registered without chunks, or unknown to the index
  uint64_t files_missing = 0;  // indexed chunks but no file (reads fail)
  uint64_t files_short = 0;    // shorter than their indexed end (reads fail)
};

// Days since the Unix epoch (UTC) of a ns timestamp (floor).
int64_t DayOf(int64_t ts_ns);
// "yyyy-mm-dd" of a day number.
std::string DayName(int64_t day);

class ChunkStore {
 public:
  // Opens the store over `index` (not owned; must outlive the store) and
  // runs Recover(). Returns the store, owned by the caller, or the first
  // IOError/Corruption that prevented recovery.
  static common::Result<std::unique_ptr<ChunkStore>> Open(const ChunkStoreOptions& options,
                                                          Index* index);

  ChunkStore(const ChunkStore&) = delete;
  ChunkStore& operator=(const ChunkStore&) = delete;
  ~ChunkStore();

  // Appends one chunk, fsyncs it, records it in the index. Returns its ref
  // (with id). InvalidArgument for a bad tenant or unknown stream; IOError
  // from the file system. On failure nothing is indexed.
  common::Result<ChunkRef> Write(std::string_view tenant, uint64_t stream_id, int64_t day,
                                 std::string_view bytes, const ChunkMeta& meta);
  // Appends many chunks, fsyncs each touched file once, and indexes them all
  // in one transaction. Returns refs in input order. All or nothing (bytes
  // appended before a failure are garbage removed by the next Recover).
  common::Result<std::vector<ChunkRef>> WriteMany(std::string_view tenant,
                                                  std::span<const PendingChunk> chunks);

  // Reads a chunk's bytes (owned by the caller). Corruption naming the file
  // and offset when the file is shorter than the ref or the checksum differs;
  // NotFound when the file id is unknown (e.g. dropped by retention).
  common::Result<std::string> Read(const ChunkRef& ref);
  // Reads bytes [offset, offset + length) of a chunk (owned by the caller),
  // without the whole-chunk checksum: for readers that verify what they read
  // by the chunk format's own checksums (index, blooms, blocks). InvalidArgument
  // when the range is outside the chunk; Corruption when the file is short.
  common::Result<std::string> ReadRange(const ChunkRef& ref, uint64_t offset, uint64_t length);
  // Same as ReadRange into `*out` (its contents replaced, its capacity
  // reused: no allocation when it is already big enough).
  common::Status ReadRangeInto(const ChunkRef& ref, uint64_t offset, uint64_t length,
                               std::string* out);

  // Removes the files' index rows (one transaction), then the files, then
  // empty day directories. Used by retention.
  common::Status DeleteFiles(const std::vector<uint64_t>& file_ids);

  // Repairs the files against the index (see the invariant above). Runs in
  // Open; safe to call again when no writes are in flight.
  common::Result<RecoveryStats> Recover();

  const RecoveryStats& last_recovery() const { return last_recovery_; }
  // Absolute path of a registered file; NotFound when unknown.
  common::Result<std::string> PathOf(uint64_t file_id);

 private:
  struct Appender {
    uint64_t file_id = 0;
    uint64_t seq = 0;
    std::unique_ptr<common::WritableFile> file;
  };
  struct CatalogEntry {
    std::string tenant;
    int64_t day = 0;
    uint64_t seq = 0;
    std::string path;  // absolute
  };
  using DayKey = std::pair<std::string, int64_t>;  // (tenant, day)

  ChunkStore(ChunkStoreOptions options, Index* index);
  common::Result<Appender*> AppenderFor(const std::string& tenant, int64_t day, uint64_t need);
  common::Status OpenNextFile(const std::string& tenant, int64_t day, Appender* a);
  common::Status TruncateFile(const std::string& path, uint64_t size);
  common::Status RemoveUnknownFiles(RecoveryStats* stats);
  common::Result<std::shared_ptr<common::RandomAccessFile>> ReaderFor(uint64_t file_id);
  std::string RelPath(const std::string& tenant, int64_t day, uint64_t seq) const;

  // Constant after construction.
  const ChunkStoreOptions options_;
  common::Env* const env_;
  Index* const index_;

  // Protected by write_mu_.
  std::mutex write_mu_;
  std::map<DayKey, Appender> appenders_;
  std::vector<DayKey> appender_order_;  // opening order, for eviction
  RecoveryStats last_recovery_;

  // Protected by catalog_mu_.
  std::mutex catalog_mu_;
  std::unordered_map<uint64_t, CatalogEntry> catalog_;
  std::map<DayKey, uint64_t> last_seq_;  // highest seq registered per (tenant, day)

  // Protected by readers_mu_.
  std::mutex readers_mu_;
  std::unordered_map<uint64_t, std::shared_ptr<common::RandomAccessFile>> readers_;
};

}  // namespace skald::server::store
