// WalRecord: what the ingester writes into one WAL record (the WAL itself,
// framing and CRCs, is wal_writer/wal_reader's): one stream's accepted
// entries of one push, with the ingester-wide sequence number that lets
// recovery skip what was already flushed.
//
//   record   := kind:u8 (=1) seq:varint64 tenant:lp labels:lp fingerprint:fixed64
//               count:varint32 entry*
//   entry    := ts:fixed64 (two's complement) line:lp md_count:varint32 (name:lp value:lp)*
//   lp       := varint32 length, bytes
//
// Pure functions; safe from any thread.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/entry.h"
#include "common/status.h"

namespace skald::server::ingest {

// Serialized: the first byte of every record. Never renumber.
enum class WalRecordKind : uint8_t { kStreamEntries = 1 };

struct WalRecord {
  uint64_t seq = 0;          // ingester-wide, increasing in admission order
  std::string tenant;
  std::string labels;        // canonical label text
  uint64_t fingerprint = 0;  // FingerprintOf(labels)
  std::vector<common::Entry> entries;
};

// Appends the encoding of a record to *dst.
void EncodeWalRecord(uint64_t seq, std::string_view tenant, std::string_view labels,
                     uint64_t fingerprint, const std::vector<common::Entry>& entries, std::string* dst);
// The same bytes from entry views (the write path).
void EncodeWalRecord(uint64_t seq, std::string_view tenant, std::string_view labels,
                     uint64_t fingerprint, std::span<const common::EntryView> entries, std::string* dst);

// Decodes one record. Corruption when the bytes are truncated or malformed.
common::Result<WalRecord> DecodeWalRecord(std::string_view bytes);

}  // namespace skald::server::ingest
