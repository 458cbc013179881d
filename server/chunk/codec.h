// Column compression for chunk blocks (zstd, snappy or none).
//
// Compression contexts are cached per thread, so these free functions are
// safe to call from any thread and cheap to call per block.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "server/chunk/format.h"

namespace skald::server::chunk {

// Appends the compressed form of `in` to `*out`. `level` is used by zstd
// only. Internal error if the library fails (it does not for valid input).
// `prefix` (zstd only; ignored by other codecs): bytes the compressor may
// refer back to, e.g. the block's lines for its metadata column; the same
// prefix must be given to DecompressColumn.
common::Status CompressColumn(Codec codec, int level, std::string_view in, std::string* out,
                              std::string_view prefix = {});

// Replaces `*out` with the decompressed bytes, which must be exactly
// `raw_size` long (out's capacity is reused). Corruption on any mismatch or
// library error; `where` names the chunk and offset for the message.
common::Status DecompressColumn(Codec codec, std::string_view in, size_t raw_size,
                                std::string* out, std::string_view where,
                                std::string_view prefix = {});
// The same into `out`, which must have room for `raw_size` bytes.
common::Status DecompressColumnTo(Codec codec, std::string_view in, size_t raw_size, char* out,
                                  std::string_view where, std::string_view prefix = {});

// One segment of a newest-first lines column: its lines, then its metadata.
struct SegmentParts {
  std::string_view lines;
  std::string_view metadata;
};

// Appends one zstd frame (level `level`, content size declared) holding the
// segments' bytes in order, each segment ended by a zstd flush, so a reader
// can decompress the frame up to any segment's end without the rest
// (FORMAT.md "Block", flag bit 2). (*stored_ends)[k] = the frame's bytes up
// to the end of segment k. Internal error if the library fails.
common::Status CompressSegments(int level, std::span<const SegmentParts> segments, std::string* out,
                                std::vector<uint32_t>* stored_ends);

}  // namespace skald::server::chunk
