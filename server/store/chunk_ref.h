// ChunkRef: where a stored chunk lives and what it summarises, as recorded in
// the index. A plain value; safe to copy and share between threads.
#pragma once

#include <cstdint>

namespace skald::server::store {

// What the writer of a chunk knows about it; the store treats the chunk's
// bytes as opaque.
struct ChunkMeta {
  int64_t from_ts = 0;     // timestamp (ns) of the chunk's first entry
  int64_t through_ts = 0;  // timestamp (ns) of its last entry, inclusive
  uint64_t entries = 0;    // number of entries
  uint64_t raw_bytes = 0;  // uncompressed line + metadata bytes (stats, volume)
};

struct ChunkRef {
  uint64_t id = 0;                // index row id; 0 until indexed
  uint64_t stream_id = 0;         // Index stream id (within the tenant)
  int64_t from_ts = 0;            // see ChunkMeta
  int64_t through_ts = 0;         // see ChunkMeta
  uint64_t file_id = 0;           // chunk file id (files table)
  uint64_t offset = 0;            // byte offset of the chunk in its file
  uint64_t length = 0;            // bytes stored at offset
  uint64_t entries = 0;           // see ChunkMeta
  uint64_t raw_bytes = 0;         // see ChunkMeta
  uint64_t compressed_bytes = 0;  // == length (the chunk is stored as given)
  uint64_t checksum = 0;          // XXH3-64 of the stored bytes, verified on Read

  bool operator==(const ChunkRef&) const = default;
};

}  // namespace skald::server::store
