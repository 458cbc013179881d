// Write-ahead log format: segment files of length-prefixed, checksummed
// records, and the payload of a record (a WalBatch).
//
// Segment files live in one directory and are named by a 16-digit, zero-
// padded sequence number: `data/wal/0000000000000007.wal`. Replay reads
// them in sequence order. A segment is rotated once it reaches
// WalOptions::segment_bytes (the record that crosses the limit stays whole).
//
// A segment is a sequence of records, nothing else:
//
//   +----------+----------+------+----------------------+
//   | crc u32  | len u32  | type | payload (len bytes)  |  ... next record
//   +----------+----------+------+----------------------+
//    0          4          8      9
//
//   crc  = masked crc32c over bytes [4, 9 + len): length, type and payload
//   len  = payload length, at most kMaxWalRecordBytes
//   type = WalRecordType
//
// Records are not fragmented (unlike leveldb's 32 KiB blocks): a record is
// written with one append, and the reader finds the next record after a
// damaged one by trusting the damaged record's length first and otherwise
// scanning forward for a header whose crc matches (false match: 2^-32).
// A torn tail (a record cut short by a crash) ends its segment.
//
// WalBatch payload (type kBatch):
//   varint version (1) | len-prefixed tenant | varint stream_count
//   per stream: len-prefixed labels | varint entry_count
//     per entry: zz-varint timestamp_ns | len-prefixed line |
//                varint metadata_count | (len-prefixed name, value)*
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/entry.h"
#include "common/env.h"
#include "common/status.h"

namespace skald::server::ingest {

constexpr size_t kWalHeaderBytes = 9;
// Append rejects (TooLarge) a payload bigger than this; the reader treats a
// larger length field as corruption.
constexpr size_t kMaxWalRecordBytes = size_t{64} << 20;
constexpr uint64_t kWalBatchVersion = 1;
constexpr size_t kDefaultWalSegmentBytes = size_t{128} << 20;
constexpr std::string_view kWalSuffix = ".wal";

enum class WalRecordType : uint8_t {
  kBatch = 1,
};

// One push, after validation: the tenant and its streams (labels as the
// canonical string) with their entries.
struct WalBatch {
  std::string tenant;
  std::vector<common::PushStream> streams;
};

// Appends the payload encoding of `batch` to `*out`.
void EncodeWalBatch(const WalBatch& batch, std::string* out);
// Decodes a payload. Corruption when malformed or of another version.
common::Result<WalBatch> DecodeWalBatch(std::string_view payload);

// `dir`/<seq, 16 digits>.wal
std::string WalSegmentPath(std::string_view dir, uint64_t seq);
// Sequence numbers of the segments in `dir`, ascending (other files are
// ignored). An absent directory has no segments.
common::Result<std::vector<uint64_t>> ListWalSegments(common::Env& env, const std::string& dir);

}  // namespace skald::server::ingest
