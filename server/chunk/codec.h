// Column compression for chunk blocks (zstd, snappy or none).
//
// Compression contexts are cached per thread, so these free functions are
// safe to call from any thread and cheap to call per block.
#pragma once

#include <string>
#include <string_view>

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

}  // namespace skald::server::chunk
