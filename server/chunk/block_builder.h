// BlockBuilder: encodes a HeadBlock into a block and its bloom filter
// (FORMAT.md "Block", "Bloom").
//
// Columns: entries (per entry: zig-zag varint timestamp delta from the
// previous entry (the first from min_ts), varint line length, varint
// metadata-set id), lines (all line bytes back to back) and metadata
// (symbol table + sets of symbol-id pairs), each compressed on its own.
// The bloom holds every line token and every `name=value` metadata key.
//
// Scratch buffers are per thread (thread_local), not per builder, so the
// many idle builders of an ingester (one per stream) hold no buffers.
// A builder is immutable; Build may be called from several threads.
#pragma once

#include <string>

#include "common/status.h"
#include "server/chunk/block.h"
#include "server/chunk/bloom.h"
#include "server/chunk/format.h"
#include "server/chunk/head_block.h"

namespace skald::server::chunk {

struct BlockOptions {
  // Compression of every column.
  Codec codec = Codec::kZstd;
  // zstd level (1 fastest .. 19); ignored by other codecs.
  int zstd_level = kDefaultZstdLevel;
  // zstd only: write the lines column newest segment first, each with its
  // own metadata (kBlockFlagNewestFirst), so a backward read decompresses
  // the newest entries alone. false: the older layout (lines, then metadata
  // against them), still read; tests use it.
  bool newest_first = true;
};

class BlockBuilder {
 public:
  explicit BlockBuilder(BlockOptions options) : options_(options) {}
  BlockBuilder(const BlockBuilder&) = delete;
  BlockBuilder& operator=(const BlockBuilder&) = delete;

  // Encodes `head` (must not be empty): appends the block to `*block` and its
  // bloom to `*bloom`, and fills `*meta` except the four offset/length
  // fields, which the caller (ChunkBuilder) knows. InvalidArgument for an
  // empty head or a column over kMaxColumnRawBytes.
  common::Status Build(const HeadBlock& head, std::string* block, std::string* bloom,
                       BlockMeta* meta) const;

 private:
  const BlockOptions options_;
};

}  // namespace skald::server::chunk
