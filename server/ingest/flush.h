// Flush: why a chunk is sealed (Loki's reasons), what a sealed chunk holds,
// and the ChunkWriter that makes sealed chunks durable (chunk file + index).
//
// Concurrency: StoreChunkWriter::Write may be called from several threads;
// the Index and ChunkStore it wraps are thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/entry.h"
#include "common/labels.h"
#include "common/status.h"
#include "server/chunk/chunk_builder.h"
#include "server/store/chunk_store.h"
#include "server/store/index.h"

namespace skald::server::ingest {

// Serialized in logs and metrics by name; numbers never change.
// kMemory (Skald): sealed early because the head went over its memory budget.
enum class FlushReason : uint8_t { kFull = 0, kMaxAge = 1, kIdle = 2, kForced = 3, kShutdown = 4, kMemory = 5 };

// Loki's names: "full", "max_age", "idle", "forced", "shutdown"; and "memory".
std::string_view FlushReasonName(FlushReason r);

// One sealed chunk of one stream, waiting to be written. Immutable once
// sealed, except `chunk`'s lookup cache (ChunkBuilder::Contains), which the
// const readers never touch.
struct SealedChunk {
  FlushReason reason = FlushReason::kFull;
  // Every block cut (the head block is empty): EncodeBlocks() gives the bytes.
  std::unique_ptr<chunk::ChunkBuilder> chunk;
  uint64_t entries = 0;      // distinct entries
  int64_t min_ts = 0;        // over its entries, inclusive
  int64_t max_ts = 0;
  uint64_t raw_bytes = 0;    // line + metadata bytes
  uint64_t min_segment = 0;  // oldest WAL segment holding one of its entries
};

// The chunks of one stream handed to a ChunkWriter.
struct StreamChunks {
  const common::Labels* labels = nullptr;
  std::vector<const SealedChunk*> chunks;
};

class ChunkWriter {
 public:
  virtual ~ChunkWriter() = default;
  // Makes every chunk of `streams` (one tenant) durable and indexed, all or
  // nothing. Returns the compressed bytes written, or the error.
  virtual common::Result<uint64_t> Write(std::string_view tenant, const std::vector<StreamChunks>& streams) = 0;
};

// Writes sealed chunks (their already-compressed blocks) into `chunks`
// (fsync) and `index` (one transaction). Not owned; both must outlive the
// writer.
class StoreChunkWriter : public ChunkWriter {
 public:
  StoreChunkWriter(store::Index* index, store::ChunkStore* chunks) : index_(index), chunks_(chunks) {}
  common::Result<uint64_t> Write(std::string_view tenant, const std::vector<StreamChunks>& streams) override;

 private:
  store::Index* const index_;
  store::ChunkStore* const chunks_;
};

}  // namespace skald::server::ingest
