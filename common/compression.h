// HTTP body content encodings (`Content-Encoding`) for push and OTLP bodies.
//
// Decoding follows Loki's push handler: "" and "snappy" are the identity (a
// snappy protobuf body is decompressed by the push codec, not here), "gzip"
// (multi-member, as Go's gzip.Reader), "deflate" (raw deflate as Go's
// flate.NewReader; a zlib-wrapped stream is also accepted by sniffing its
// header) and "zstd" (used by OTLP). Every decoder stops at a caller-given
// decompressed-size cap so a small "zip bomb" cannot exhaust memory.
// Encoding names are matched exactly (Go compares the header verbatim).
//
// Free functions without state; safe to call from any thread.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "common/status.h"

namespace skald::common {

// Loki's default `distributor.max-decompressed-size` (5000 MiB).
constexpr size_t kDefaultMaxDecompressedBytes = size_t{5000} << 20;

// True for encodings that leave the body as sent ("" and "snappy"); callers
// use it to skip the copy DecodeContentEncoding would make.
bool IsIdentityContentEncoding(std::string_view encoding);

// Decodes `body` according to `encoding`.
// Success: the decoded bytes (caller owns them; a copy for identity encodings).
// Failure: InvalidArgument `Content-Encoding "<x>" not supported` for an
// unknown name; InvalidArgument naming the codec for truncated or corrupt
// input; TooLarge `request body too large: decompressed size exceeds <N>
// bytes` when the output would pass `max_decompressed_bytes`.
Result<std::string> DecodeContentEncoding(std::string_view encoding, std::string_view body,
                                          size_t max_decompressed_bytes);

// Compressors for clients and tests. All return the compressed bytes.
// gzip member (RFC 1952); `level` as zlib (-1 = default, 0..9).
std::string GzipCompress(std::string_view data, int level = -1);
// Raw deflate (RFC 1951) as Go's flate writer; `zlib_wrapped` adds the RFC
// 1950 header and Adler-32 trailer instead.
std::string DeflateCompress(std::string_view data, bool zlib_wrapped = false);
// One zstd frame; `level` as zstd (1..19).
std::string ZstdCompress(std::string_view data, int level = 3);

}  // namespace skald::common
