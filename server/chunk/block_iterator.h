// Entry iterators over blocks, shared by Chunk (sealed bytes) and
// ChunkBuilder (blocks still in memory). Internal to server/chunk.
//
// A block is decoded lazily, on the first Next(), through `decode`, into a
// buffer the iterator owns. Entries outside [from, through) or rejected by
// the line filter are skipped. Single-threaded.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "server/chunk/block.h"
#include "server/iter/entry_iterator.h"

namespace skald::server::chunk {

using BlockDecodeFn = std::function<common::Status(DecodedBlock*)>;
using LineFilterFn = std::function<bool(std::string_view line)>;

struct BlockSource {
  BlockMeta meta;
  BlockDecodeFn decode;
};

// Iterates the entries of `blocks` of the stream `labels` within
// [from_ns, through_ns) in `direction`: block by block when the blocks do
// not overlap in time, through a merge (which also drops duplicates) when
// they do. `line_filter` may be empty.
std::unique_ptr<iter::EntryIterator> NewBlocksIterator(std::string labels,
                                                       std::vector<BlockSource> blocks,
                                                       int64_t from_ns, int64_t through_ns,
                                                       iter::Direction direction,
                                                       LineFilterFn line_filter);

}  // namespace skald::server::chunk
