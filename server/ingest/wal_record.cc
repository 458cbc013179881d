#include "server/ingest/wal_record.h"

#include "common/coding.h"

namespace skald::server::ingest {

using common::Status;

namespace {

// Entry is common::Entry or common::EntryView (same fields, same bytes).
template <typename Entry>
void EncodeRecord(uint64_t seq, std::string_view tenant, std::string_view labels, uint64_t fingerprint,
                  std::span<const Entry> entries, std::string* dst) {
  // Exact-enough size up front: the record is written once, not regrown
  // (and recopied) by doubling. Varints are counted at their maximum.
  size_t need = 1 + 10 + 5 + tenant.size() + 5 + labels.size() + 8 + 5;
  for (const Entry& e : entries) {
    need += 8 + 5 + e.line.size() + 5;
    for (const auto& l : e.metadata) need += 10 + l.name.size() + l.value.size();
  }
  dst->reserve(dst->size() + need);
  dst->push_back(static_cast<char>(WalRecordKind::kStreamEntries));
  common::PutVarint64(dst, seq);
  common::PutLengthPrefixed(dst, tenant);
  common::PutLengthPrefixed(dst, labels);
  common::PutFixed64(dst, fingerprint);
  common::PutVarint32(dst, static_cast<uint32_t>(entries.size()));
  for (const Entry& e : entries) {
    common::PutFixed64(dst, static_cast<uint64_t>(e.timestamp_ns));
    common::PutLengthPrefixed(dst, e.line);
    common::PutVarint32(dst, static_cast<uint32_t>(e.metadata.size()));
    for (const auto& l : e.metadata) {
      common::PutLengthPrefixed(dst, l.name);
      common::PutLengthPrefixed(dst, l.value);
    }
  }
}

}  // namespace

void EncodeWalRecord(uint64_t seq, std::string_view tenant, std::string_view labels,
                     uint64_t fingerprint, const std::vector<common::Entry>& entries, std::string* dst) {
  EncodeRecord(seq, tenant, labels, fingerprint, std::span<const common::Entry>(entries), dst);
}

void EncodeWalRecord(uint64_t seq, std::string_view tenant, std::string_view labels,
                     uint64_t fingerprint, std::span<const common::EntryView> entries, std::string* dst) {
  EncodeRecord(seq, tenant, labels, fingerprint, entries, dst);
}

common::Result<WalRecord> DecodeWalRecord(std::string_view in) {
  const Status bad = Status::Corruption("malformed wal record");
  if (in.empty() || static_cast<uint8_t>(in[0]) != static_cast<uint8_t>(WalRecordKind::kStreamEntries)) {
    return bad;
  }
  in.remove_prefix(1);
  WalRecord r;
  std::string_view tenant, labels;
  uint32_t count = 0;
  if (!common::GetVarint64(&in, &r.seq) || !common::GetLengthPrefixed(&in, &tenant) ||
      !common::GetLengthPrefixed(&in, &labels) || !common::GetFixed64(&in, &r.fingerprint) ||
      !common::GetVarint32(&in, &count)) {
    return bad;
  }
  r.tenant.assign(tenant);
  r.labels.assign(labels);
  if (count > in.size()) return bad;  // every entry takes at least one byte
  r.entries.reserve(count);
  for (uint32_t i = 0; i < count; ++i) {
    common::Entry e;
    uint64_t ts = 0;
    std::string_view line;
    uint32_t md = 0;
    if (!common::GetFixed64(&in, &ts) || !common::GetLengthPrefixed(&in, &line) ||
        !common::GetVarint32(&in, &md) || md > in.size()) {
      return bad;
    }
    e.timestamp_ns = static_cast<int64_t>(ts);
    e.line.assign(line);
    e.metadata.reserve(md);
    for (uint32_t j = 0; j < md; ++j) {
      std::string_view name, value;
      if (!common::GetLengthPrefixed(&in, &name) || !common::GetLengthPrefixed(&in, &value)) return bad;
      e.metadata.push_back(common::Label{std::string(name), std::string(value)});
    }
    r.entries.push_back(std::move(e));
  }
  if (!in.empty()) return bad;
  return r;
}

}  // namespace skald::server::ingest
