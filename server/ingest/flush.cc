#include "server/ingest/flush.h"

namespace skald::server::ingest {

std::string_view FlushReasonName(FlushReason r) {
  switch (r) {
    case FlushReason::kFull: return "full";
    case FlushReason::kMaxAge: return "max_age";
    case FlushReason::kIdle: return "idle";
    case FlushReason::kForced: return "forced";
    case FlushReason::kShutdown: return "shutdown";
    case FlushReason::kMemory: return "memory";
  }
  return "unknown";
}

common::Result<uint64_t> StoreChunkWriter::Write(std::string_view tenant,
                                                 const std::vector<StreamChunks>& streams) {
  std::vector<std::string> encoded;
  std::vector<store::PendingChunk> pending;
  for (const StreamChunks& s : streams) {
    for (const SealedChunk* c : s.chunks) {
      if (c->chunk == nullptr || c->entries == 0) continue;
      auto id = index_->GetOrCreateStream(tenant, *s.labels, c->min_ts);
      if (!id.ok()) return id.status();
      auto bytes = c->chunk->EncodeBlocks();
      if (!bytes.ok()) return bytes.status();
      encoded.push_back(std::move(bytes).value());
      store::PendingChunk p;
      p.stream_id = *id;
      p.day = store::DayOf(c->min_ts);
      p.meta = store::ChunkMeta{c->min_ts, c->max_ts, c->entries, c->raw_bytes};
      pending.push_back(p);
    }
  }
  if (pending.empty()) return uint64_t{0};
  uint64_t total = 0;
  for (size_t i = 0; i < pending.size(); ++i) {
    pending[i].bytes = encoded[i];
    total += encoded[i].size();
  }
  auto refs = chunks_->WriteMany(tenant, pending);
  if (!refs.ok()) return refs.status();
  return total;
}

}  // namespace skald::server::ingest
