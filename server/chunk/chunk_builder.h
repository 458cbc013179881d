// ChunkBuilder: accumulates one stream's entries into blocks and encodes the
// chunk (FORMAT.md). The ingester decides when a chunk seals (size, age,
// idleness) and then calls Encode().
//
// Append() cuts the head block into a compressed block when its raw bytes
// reach ChunkOptions::block_bytes. Entries may arrive in any order; exact
// duplicates inside one head block are stored once (across blocks the read
// side's merge removes them).
//
// Not thread-safe: the owning stream serializes calls. NewIterator() takes a
// snapshot, so the iterator may be used after the builder changes or dies.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "common/entry.h"
#include "common/status.h"
#include "server/chunk/block.h"
#include "server/chunk/block_builder.h"
#include "server/chunk/head_block.h"
#include "server/iter/entry_iterator.h"

namespace skald::server::chunk {

// The head block's line arena is reserved at block_bytes + this, so the line
// that crosses block_bytes rarely makes it grow (and double).
constexpr size_t kHeadSlackBytes = 16 * 1024;

struct ChunkOptions {
  // Raw bytes (lines + metadata) at which the head block is cut.
  size_t block_bytes = kDefaultBlockBytes;
  // Codec and level of every block.
  BlockOptions block;
};

class ChunkBuilder {
 public:
  // `labels`: the stream's canonical label string, stored in the chunk.
  ChunkBuilder(std::string labels, ChunkOptions options);
  ChunkBuilder(const ChunkBuilder&) = delete;
  ChunkBuilder& operator=(const ChunkBuilder&) = delete;

  // Adds an entry; may cut a block. Internal/InvalidArgument only if
  // encoding fails (then the entry is still in the head block).
  common::Status Append(int64_t timestamp_ns, std::string_view line,
                        std::span<const common::Label> metadata = {});
  // The same from views (the ingester's path; the bytes are copied once,
  // into the head block).
  common::Status AppendView(int64_t timestamp_ns, std::string_view line,
                            std::span<const common::LabelView> metadata);
  common::Status Append(const common::Entry& e) {
    return Append(e.timestamp_ns, e.line, e.metadata);
  }
  // Compresses the head block into a block now (no-op when it is empty).
  common::Status CutBlock();
  // CutBlock, then frees the head block's buffers (kept otherwise for the
  // next block): for a chunk that takes no more entries. Appending after
  // it still works (the head allocates again).
  common::Status Seal();

  const std::string& labels() const { return labels_; }
  // Cut blocks (the head block is not counted).
  size_t BlockCount() const { return blocks_.size(); }
  const BlockMeta& Block(size_t i) const { return blocks_[i].meta; }
  // Bytes of cut blocks and blooms: what the chunk will roughly weigh.
  size_t CompressedBytes() const { return compressed_bytes_; }
  size_t HeadRawBytes() const { return head_.RawBytes(); }
  // Entries appended (head duplicates counted until cut).
  size_t EntryCount() const;
  bool empty() const { return blocks_.empty() && head_.empty(); }
  // Over all entries; undefined when empty().
  int64_t MinTimestamp() const;
  int64_t MaxTimestamp() const;

  // Cuts the head block and returns the encoded chunk; the builder keeps its
  // blocks (Encode can be called again). InvalidArgument when empty.
  common::Result<std::string> Encode();
  // Encodes the cut blocks as a chunk without touching the builder.
  // InvalidArgument when the head block is not empty (call CutBlock first)
  // or there is no block.
  common::Result<std::string> EncodeBlocks() const;

  // True when an entry with exactly this timestamp, line and metadata is in
  // the head block or a cut block. Free for timestamps outside every block's
  // [min, max] (in-order appends); otherwise one hash of the entry is looked
  // up in each covering block's sorted entry hashes (4 bytes per entry kept
  // per cut block), and only on a hash hit is the block decoded to compare
  // exactly; the last decoded block is kept until ReleaseLookupCache().
  // Corrupt in-memory blocks cannot happen; a decode error reads as absent.
  // Contains and ReleaseLookupCache touch only the lookup cache, so they may
  // run while other threads use the const methods (NewIterator, EncodeBlocks).
  bool Contains(int64_t timestamp_ns, std::string_view line, std::span<const common::Label> metadata);
  bool ContainsView(int64_t timestamp_ns, std::string_view line, std::span<const common::LabelView> metadata);
  void ReleaseLookupCache();

  // Bytes this builder holds in memory (cut blocks, blooms, head arena).
  size_t MemoryBytes() const;

  // Entries in [from_ns, through_ns), cut blocks and head block, as they
  // are now. The iterator owns its data.
  std::unique_ptr<iter::EntryIterator> NewIterator(int64_t from_ns, int64_t through_ns,
                                                   iter::Direction direction) const;

 private:
  struct StoredBlock {
    BlockMeta meta;
    std::shared_ptr<const std::string> bytes;
    std::string bloom;
    std::vector<uint32_t> hashes;  // HeadBlock::EntryHash of its entries, sorted
  };

  const std::string labels_;
  const ChunkOptions options_;
  BlockBuilder block_builder_;
  HeadBlock head_;
  std::vector<StoredBlock> blocks_;
  size_t compressed_bytes_ = 0;
  size_t cut_entries_ = 0;
  // Contains(): the block decoded last (index into blocks_, or npos).
  size_t cached_block_ = static_cast<size_t>(-1);
  std::unique_ptr<DecodedBlock> cached_;
};

}  // namespace skald::server::chunk
