// Recovery: the flush marks file and the WAL replay.
//
// A flush mark says "every WAL record of stream S with seq <= W is in
// durable chunks". Marks are saved (temp file + fsync + rename) after chunks
// are durable and before the WAL checkpoint deletes segments, so on start the
// replay skips exactly the records that were flushed: an acknowledged push is
// never lost, and flushed data is not stored twice.
//
//   file  := magic "SKFM1\n" count:varint64 (key:lp seq:varint64 segment:varint64)* crc32c:fixed32
//   key   := tenant '\0' canonical labels
//
// Functions are stateless; FlushMarks is not thread-safe (the ingester's
// flush lock guards it).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/env.h"
#include "common/status.h"

namespace skald::server::ingest {

struct FlushMark {
  uint64_t seq = 0;      // flushed through this sequence number
  uint64_t segment = 0;  // WAL segment active when the mark was made
};

using FlushMarks = std::unordered_map<std::string, FlushMark>;

// tenant + '\0' + labels.
std::string MarkKey(std::string_view tenant, std::string_view labels);

// Loads marks from `path`; an absent file gives no marks. Corruption when
// the file exists but fails its checksum.
common::Result<FlushMarks> LoadFlushMarks(common::Env* env, const std::string& path);
// Writes marks atomically and durably.
common::Status SaveFlushMarks(common::Env* env, const std::string& path, const FlushMarks& marks);

}  // namespace skald::server::ingest
