#include "server/chunk/block.h"

#include <algorithm>
#include <bit>
#include <cstring>

#include "common/coding.h"
#include "common/crc32c.h"
#include "server/chunk/codec.h"

namespace skald::server::chunk {
namespace {

using common::Status;

struct Header {
  int64_t min_ts;
  int64_t max_ts;
  uint32_t count;
  Codec codec;
  uint8_t flags;
  uint32_t raw[3];     // entries, lines, metadata columns
  uint32_t stored[3];
};

Status ParseHeader(std::string_view bytes, std::string_view where, Header* h) {
  if (bytes.size() < kBlockHeaderBytes) return Status::Corruption("block truncated", where);
  const char* p = bytes.data();
  h->min_ts = static_cast<int64_t>(common::DecodeFixed64(p));
  h->max_ts = static_cast<int64_t>(common::DecodeFixed64(p + 8));
  h->count = common::DecodeFixed32(p + 16);
  uint8_t codec = static_cast<uint8_t>(p[20]);
  h->flags = static_cast<uint8_t>(p[21]);
  if (codec > kMaxCodec || (h->flags & ~kKnownBlockFlags) != 0 || p[22] != 0 || p[23] != 0) {
    return Status::Corruption("block header codec", where);
  }
  h->codec = static_cast<Codec>(codec);
  if ((h->flags & kBlockFlagMetadataLinesPrefix) != 0 && h->codec != Codec::kZstd) {
    return Status::Corruption("block header flags", where);
  }
  uint64_t total = kBlockHeaderBytes;
  for (int i = 0; i < 3; ++i) {
    h->raw[i] = common::DecodeFixed32(p + 24 + 4 * i);
    h->stored[i] = common::DecodeFixed32(p + 36 + 4 * i);
    total += h->stored[i];
  }
  if (total != bytes.size()) return Status::Corruption("block length mismatch", where);
  uint32_t want = common::crc32c::Unmask(common::DecodeFixed32(p + kBlockCrcOffset));
  uint32_t crc = common::crc32c::Value(p, kBlockCrcOffset);
  crc = common::crc32c::Extend(crc, p + kBlockHeaderBytes, bytes.size() - kBlockHeaderBytes);
  if (crc != want) return Status::Corruption("block checksum mismatch", where);
  return Status::OK();
}

// Reads one varint from the front of `*in` (as common::GetVarint64). With 8
// readable bytes on a little-endian machine it finds the length from the
// stop bits and gathers the 7-bit groups without a branch per byte: the
// entries column holds three varints per entry and metric scans decode
// millions of them.
inline bool ReadVarint(std::string_view* in, uint64_t* v) {
  if constexpr (std::endian::native == std::endian::little) {
    if (in->size() >= 8) {
      uint64_t x;
      std::memcpy(&x, in->data(), 8);
      const uint64_t stops = ~x & 0x8080808080808080ULL;
      if (stops != 0) {
        const int n = (std::countr_zero(stops) >> 3) + 1;  // bytes, 1..8
        if (n < 8) x &= (uint64_t{1} << (n * 8)) - 1;
        x &= 0x7f7f7f7f7f7f7f7fULL;
        x = (x & 0x7fULL) | ((x >> 1) & (0x7fULL << 7)) | ((x >> 2) & (0x7fULL << 14)) |
            ((x >> 3) & (0x7fULL << 21)) | ((x >> 4) & (0x7fULL << 28)) |
            ((x >> 5) & (0x7fULL << 35)) | ((x >> 6) & (0x7fULL << 42)) |
            ((x >> 7) & (0x7fULL << 49));
        *v = x;
        in->remove_prefix(static_cast<size_t>(n));
        return true;
      }
    }
  }
  return common::GetVarint64(in, v);
}

inline bool ReadVarsint(std::string_view* in, int64_t* v) {
  uint64_t u = 0;
  if (!ReadVarint(in, &u)) return false;
  *v = common::ZigZagDecode(u);
  return true;
}

// `entries_only`: the lines and metadata columns were not decoded; line
// lengths are checked against the header's raw lines size and set ids are
// parsed but not kept (meta_ids stays empty).
Status DecodeEntries(std::string_view col, const Header& h, std::string_view where,
                     DecodedBlock* out, bool entries_only = false, bool no_metadata = false) {
  const uint64_t lines_size = entries_only ? h.raw[1] : out->lines.size();
  out->timestamps.resize(h.count);
  out->line_offsets.resize(h.count + 1);
  out->meta_ids.resize(entries_only ? 0 : h.count);
  if (no_metadata) std::fill(out->meta_ids.begin(), out->meta_ids.end(), 0);
  const bool keep_sets = !entries_only && !no_metadata;
  out->line_offsets[0] = 0;
  int64_t ts = h.min_ts;
  uint64_t off = 0;
  if ((h.flags & kBlockFlagSplitEntries) != 0) {
    for (uint32_t i = 0; i < h.count; ++i) {
      int64_t delta = 0;
      if (!ReadVarsint(&col, &delta)) return Status::Corruption("block entries column truncated", where);
      ts = static_cast<int64_t>(static_cast<uint64_t>(ts) + static_cast<uint64_t>(delta));  // wraps, no UB
      if (ts < h.min_ts || ts > h.max_ts) return Status::Corruption("block entry out of range", where);
      out->timestamps[i] = ts;
    }
    for (uint32_t i = 0; i < h.count; ++i) {
      uint64_t len = 0;
      if (!ReadVarint(&col, &len)) return Status::Corruption("block entries column truncated", where);
      off += len;
      if (off > lines_size) return Status::Corruption("block entry out of range", where);
      out->line_offsets[i + 1] = static_cast<uint32_t>(off);
    }
    int64_t set = 0;
    for (uint32_t i = 0; i < h.count; ++i) {
      int64_t delta = 0;
      if (!ReadVarsint(&col, &delta)) return Status::Corruption("block entries column truncated", where);
      set = static_cast<int64_t>(static_cast<uint64_t>(set) + static_cast<uint64_t>(delta));  // wraps, no UB
      if (!keep_sets) {
        if (set < 0) return Status::Corruption("block entry out of range", where);
        continue;
      }
      if (set < 0 || static_cast<uint64_t>(set) >= out->metadata_set_count()) {
        return Status::Corruption("block entry out of range", where);
      }
      out->meta_ids[i] = static_cast<uint32_t>(set);
    }
    if (!col.empty() || off != lines_size) {
      return Status::Corruption("block entries column length", where);
    }
    return Status::OK();
  }
  for (uint32_t i = 0; i < h.count; ++i) {
    int64_t delta = 0;
    uint64_t len = 0, set = 0;
    if (!ReadVarsint(&col, &delta) || !ReadVarint(&col, &len) ||
        !ReadVarint(&col, &set)) {
      return Status::Corruption("block entries column truncated", where);
    }
    ts += delta;
    off += len;
    if (off > lines_size || (keep_sets && set >= out->metadata_set_count()) || ts < h.min_ts ||
        ts > h.max_ts) {
      return Status::Corruption("block entry out of range", where);
    }
    out->timestamps[i] = ts;
    out->line_offsets[i + 1] = static_cast<uint32_t>(off);
    if (keep_sets) out->meta_ids[i] = static_cast<uint32_t>(set);
  }
  if (!col.empty() || off != lines_size) {
    return Status::Corruption("block entries column length", where);
  }
  return Status::OK();
}

// Validates the metadata column (already in out->meta_column) and records
// its symbols and sets; MetadataSet builds Labels from them on demand.
Status DecodeMetadata(std::string_view where, DecodedBlock* out) {
  std::string_view col = out->meta_column;
  const char* base = col.data();
  uint64_t nsym = 0, nsets = 0;
  if (!common::GetVarint64(&col, &nsym) || nsym > col.size()) {
    return Status::Corruption("block metadata symbols", where);
  }
  out->meta_symbols.resize(nsym);
  for (auto& sym : out->meta_symbols) {
    std::string_view s;
    if (!common::GetLengthPrefixed(&col, &s)) return Status::Corruption("block metadata symbol", where);
    sym = {static_cast<uint32_t>(s.data() - base), static_cast<uint32_t>(s.size())};
  }
  if (!common::GetVarint64(&col, &nsets) || nsets == 0 || nsets > col.size() + 1) {
    return Status::Corruption("block metadata sets", where);
  }
  out->meta_pairs.clear();
  out->meta_set_start.resize(nsets + 1);
  for (uint64_t set = 0; set < nsets; ++set) {
    out->meta_set_start[set] = static_cast<uint32_t>(out->meta_pairs.size());
    uint64_t npairs = 0;
    if (!common::GetVarint64(&col, &npairs) || npairs > col.size()) {
      return Status::Corruption("block metadata set", where);
    }
    for (uint64_t i = 0; i < npairs; ++i) {
      uint64_t n = 0, v = 0;
      if (!common::GetVarint64(&col, &n) || !common::GetVarint64(&col, &v) || n >= nsym ||
          v >= nsym) {
        return Status::Corruption("block metadata pair", where);
      }
      out->meta_pairs.emplace_back(static_cast<uint32_t>(n), static_cast<uint32_t>(v));
    }
  }
  out->meta_set_start[nsets] = static_cast<uint32_t>(out->meta_pairs.size());
  if (out->meta_set_start[1] != 0 || !col.empty()) {
    return Status::Corruption("block metadata column length", where);
  }
  out->meta_built.resize(nsets);
  out->meta_is_built.assign(nsets, 0);
  return Status::OK();
}

void ClearMetadata(DecodedBlock* out) {
  out->meta_column.clear();
  out->meta_symbols.clear();
  out->meta_pairs.clear();
  out->meta_set_start.clear();
  out->meta_is_built.clear();
}

// Metadata as if every entry had none: one set, the empty one.
void EmptyMetadata(DecodedBlock* out) {
  ClearMetadata(out);
  out->meta_set_start = {0, 0};
  out->meta_built.resize(1);
  out->meta_is_built.assign(1, 0);
}

}  // namespace

size_t DecodedBlock::EntryAtLineOffset(size_t pos) const {
  auto it = std::upper_bound(line_offsets.begin(), line_offsets.end(), static_cast<uint32_t>(pos));
  return static_cast<size_t>(it - line_offsets.begin()) - 1;
}

std::span<const common::Label> DecodedBlock::MetadataSet(size_t set) const {
  std::vector<common::Label>& labels = meta_built[set];
  if (meta_is_built[set] == 0) {
    meta_is_built[set] = 1;
    auto sym = [&](uint32_t i) {
      return std::string_view(meta_column).substr(meta_symbols[i].first, meta_symbols[i].second);
    };
    // assign() reuses the strings' capacity from an earlier block.
    labels.resize(meta_set_start[set + 1] - meta_set_start[set]);
    for (uint32_t p = meta_set_start[set], j = 0; p < meta_set_start[set + 1]; ++p, ++j) {
      labels[j].name.assign(sym(meta_pairs[p].first));
      labels[j].value.assign(sym(meta_pairs[p].second));
    }
  }
  return labels;
}

size_t DecodedBlock::MetadataSetsHolding(std::span<const common::Label> pairs,
                                         std::vector<uint8_t>* out) const {
  const size_t nsets = metadata_set_count();
  out->assign(nsets, 1);
  size_t holding = nsets;
  std::vector<uint8_t> is_name, is_value;  // per symbol, for the current pair
  for (const common::Label& want : pairs) {
    is_name.assign(meta_symbols.size(), 0);
    is_value.assign(meta_symbols.size(), 0);
    for (size_t i = 0; i < meta_symbols.size(); ++i) {
      std::string_view s = std::string_view(meta_column).substr(meta_symbols[i].first, meta_symbols[i].second);
      is_name[i] = s == want.name;
      is_value[i] = s == want.value;
    }
    for (size_t set = 0; set < nsets; ++set) {
      if ((*out)[set] == 0) continue;
      bool found = false;
      for (uint32_t p = meta_set_start[set]; p < meta_set_start[set + 1] && !found; ++p) {
        found = is_name[meta_pairs[p].first] != 0 && is_value[meta_pairs[p].second] != 0;
      }
      if (!found) {
        (*out)[set] = 0;
        --holding;
      }
    }
  }
  return holding;
}

Status DecodeBlock(std::string_view bytes, std::string_view where, DecodedBlock* out,
                   bool with_metadata) {
  Header h{};
  SKALD_RETURN_IF_ERROR(ParseHeader(bytes, where, &h));
  if (h.count == 0 || h.count > h.raw[0] || h.min_ts > h.max_ts) return Status::Corruption("block header range", where);
  std::string_view cols = bytes.substr(kBlockHeaderBytes);
  std::string_view stored_entries = cols.substr(0, h.stored[0]);
  std::string_view stored_lines = cols.substr(h.stored[0], h.stored[1]);
  std::string_view stored_meta = cols.substr(h.stored[0] + size_t{h.stored[1]}, h.stored[2]);
  thread_local std::string entries_buf;
  SKALD_RETURN_IF_ERROR(DecompressColumn(h.codec, stored_lines, h.raw[1], &out->lines, where));
  if (with_metadata) {
    std::string_view prefix;
    if ((h.flags & kBlockFlagMetadataLinesPrefix) != 0) prefix = out->lines;
    SKALD_RETURN_IF_ERROR(DecompressColumn(h.codec, stored_meta, h.raw[2], &out->meta_column, where, prefix));
    SKALD_RETURN_IF_ERROR(DecodeMetadata(where, out));
  } else {
    EmptyMetadata(out);
  }
  SKALD_RETURN_IF_ERROR(DecompressColumn(h.codec, stored_entries, h.raw[0], &entries_buf, where));
  return DecodeEntries(entries_buf, h, where, out, /*entries_only=*/false,
                       /*no_metadata=*/!with_metadata);
}

Status DecodeBlockEntriesOnly(std::string_view bytes, std::string_view where, DecodedBlock* out) {
  Header h{};
  SKALD_RETURN_IF_ERROR(ParseHeader(bytes, where, &h));
  if (h.count == 0 || h.count > h.raw[0] || h.min_ts > h.max_ts) return Status::Corruption("block header range", where);
  std::string_view stored_entries = bytes.substr(kBlockHeaderBytes, h.stored[0]);
  out->lines.clear();
  ClearMetadata(out);
  thread_local std::string entries_buf;
  SKALD_RETURN_IF_ERROR(DecompressColumn(h.codec, stored_entries, h.raw[0], &entries_buf, where));
  return DecodeEntries(entries_buf, h, where, out, /*entries_only=*/true);
}

}  // namespace skald::server::chunk
