// Entry iterators over blocks, shared by Chunk (sealed bytes) and
// ChunkBuilder (blocks still in memory). Internal to server/chunk.
//
// A block is decoded lazily, on the first Next(), through `decode`, into a
// buffer the iterator owns. Entries outside [from, through) are skipped;
// with `line_contains` needles, one memmem pass over the block's contiguous
// line bytes finds the entries holding every needle before any entry is
// materialised. Single-threaded.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "server/chunk/block.h"
#include "server/iter/entry_iterator.h"

namespace skald::server::chunk {

// What a BlockDecodeFn is asked to do: decode the whole block
// (DecodeBlock), or (backward reads) possibly only its newest segment
// (DecodeBlockNewest), or the next older segment of a block it left partly
// decoded (DecodeOlderSegment).
enum class DecodeStep { kWhole, kNewest, kOlder };
using BlockDecodeFn = std::function<common::Status(DecodedBlock* out, DecodeStep step)>;

struct BlockSource {
  BlockMeta meta;
  BlockDecodeFn decode;
};

// Iterates the entries of `blocks` of the stream `labels` within
// [from_ns, through_ns) in `direction`: block by block when the blocks do
// not overlap in time, through a merge (which also drops duplicates) when
// they do. Only entries whose line contains every string of
// `line_contains` (case-sensitive) and whose structured metadata holds every
// name=value of `metadata_equals` are yielded; empty: all entries. For each
// name=value of `field_equals` (a field a json/logfmt parser extracts, see
// logql::ScanHints) an entry is yielded only if its line contains the value
// or a backslash, or its metadata holds the pair. `cutoff` and `pause`
// (optional): see ChunkIteratorOptions.
std::unique_ptr<iter::EntryIterator> NewBlocksIterator(std::string labels,
                                                       std::vector<BlockSource> blocks,
                                                       int64_t from_ns, int64_t through_ns,
                                                       iter::Direction direction,
                                                       std::vector<std::string> line_contains,
                                                       std::vector<common::Label> metadata_equals = {},
                                                       std::vector<common::Label> field_equals = {},
                                                       const std::atomic<int64_t>* cutoff = nullptr,
                                                       const iter::PauseBound* pause = nullptr);

// Indexes (ascending) of the entries in [lo, hi) of `block` whose line
// contains every needle, appended to `*out`. Exposed for tests.
void FindEntriesContaining(const DecodedBlock& block, size_t lo, size_t hi,
                           const std::vector<std::string>& needles, std::vector<uint32_t>* out);

}  // namespace skald::server::chunk
