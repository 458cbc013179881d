#include "server/chunk/block.h"

#include <algorithm>
#include <cstring>

#define ZSTD_STATIC_LINKING_ONLY  // ZSTD_d_stableOutBuffer (zstd >= 1.4.6)
#include <zstd.h>

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

// Bytes between the end of the stored entries column and the stored lines.
size_t EntriesCrcBytes(const Header& h) {
  return (h.flags & kBlockFlagEntriesCrc) != 0 ? kBlockEntriesCrcBytes : 0;
}

// Offset of the stored lines column: the end of the block's head (header,
// entries column and, with kBlockFlagEntriesCrc, its crc).
size_t LinesStart(const Header& h) { return kBlockHeaderBytes + size_t{h.stored[0]} + EntriesCrcBytes(h); }

// Parses and checks the 52-byte header at `p` (not the checksums); *total is
// the block length it implies.
Status ParseHeaderFields(const char* p, std::string_view where, Header* h, uint64_t* total) {
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
  if ((h->flags & kBlockFlagNewestFirst) != 0 &&
      (h->codec != Codec::kZstd || (h->flags & kBlockFlagSplitEntries) == 0 ||
       (h->flags & kBlockFlagMetadataLinesPrefix) != 0)) {
    return Status::Corruption("block header flags", where);
  }
  *total = kBlockHeaderBytes + EntriesCrcBytes(*h);
  for (int i = 0; i < 3; ++i) {
    h->raw[i] = common::DecodeFixed32(p + 24 + 4 * i);
    h->stored[i] = common::DecodeFixed32(p + 36 + 4 * i);
    *total += h->stored[i];
  }
  if ((h->flags & kBlockFlagNewestFirst) != 0 && (h->raw[2] != 0 || h->stored[2] != 0)) {
    return Status::Corruption("block header flags", where);
  }
  return Status::OK();
}

Status ParseHeader(std::string_view bytes, std::string_view where, Header* h) {
  if (bytes.size() < kBlockHeaderBytes) return Status::Corruption("block truncated", where);
  const char* p = bytes.data();
  uint64_t total = 0;
  SKALD_RETURN_IF_ERROR(ParseHeaderFields(p, where, h, &total));
  if (total != bytes.size()) return Status::Corruption("block length mismatch", where);
  uint32_t want = common::crc32c::Unmask(common::DecodeFixed32(p + kBlockCrcOffset));
  uint32_t crc = common::crc32c::Value(p, kBlockCrcOffset);
  crc = common::crc32c::Extend(crc, p + kBlockHeaderBytes, bytes.size() - kBlockHeaderBytes);
  if (crc != want) return Status::Corruption("block checksum mismatch", where);
  return Status::OK();
}

// The first two runs of a split entries column (kBlockFlagSplitEntries):
// timestamp deltas into out->timestamps, line lengths into
// out->line_offsets (both sized by the caller, line_offsets[0] = 0), line
// bytes at most `max_line_bytes`; *line_bytes = their sum.
Status DecodeTimeAndLengthRuns(std::string_view* col, const Header& h, uint64_t max_line_bytes,
                               std::string_view where, DecodedBlock* out, uint64_t* line_bytes) {
  // Plain locals (not *col and out's vectors, which the stores below could
  // alias) keep each varint's position in a register: these two loops are
  // most of a metadata-only metric scan.
  const char* p = col->data();
  const char* const end = p + col->size();
  int64_t* const timestamps = out->timestamps.data();
  uint32_t* const offsets = out->line_offsets.data();
  const uint32_t count = h.count;
  const int64_t min_ts = h.min_ts, max_ts = h.max_ts;
  int64_t ts = min_ts;
  for (uint32_t i = 0; i < count; ++i) {
    uint64_t u = 0;
    p = common::DecodeVarint64(p, end, &u);
    if (p == nullptr) return Status::Corruption("block entries column truncated", where);
    ts = static_cast<int64_t>(static_cast<uint64_t>(ts) +
                              static_cast<uint64_t>(common::ZigZagDecode(u)));  // wraps, no UB
    if (ts < min_ts || ts > max_ts) return Status::Corruption("block entry out of range", where);
    timestamps[i] = ts;
  }
  uint64_t off = 0;
  for (uint32_t i = 0; i < count; ++i) {
    uint64_t len = 0;
    p = common::DecodeVarint64(p, end, &len);
    if (p == nullptr) return Status::Corruption("block entries column truncated", where);
    off += len;
    if (off > max_line_bytes) return Status::Corruption("block entry out of range", where);
    offsets[i + 1] = static_cast<uint32_t>(off);
  }
  col->remove_prefix(static_cast<size_t>(p - col->data()));
  *line_bytes = off;
  return Status::OK();
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
    SKALD_RETURN_IF_ERROR(DecodeTimeAndLengthRuns(&col, h, lines_size, where, out, &off));
    int64_t set = 0;
    for (uint32_t i = 0; i < h.count; ++i) {
      int64_t delta = 0;
      if (!common::GetVarsint64(&col, &delta)) return Status::Corruption("block entries column truncated", where);
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
    if (!common::GetVarsint64(&col, &delta) || !common::GetVarint64(&col, &len) ||
        !common::GetVarint64(&col, &set)) {
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

// Resets the set table to the empty set alone (set 0).
// meta_built only grows: its label vectors keep their capacity from block
// to block (meta_is_built says which are current).
void ResetMetadata(DecodedBlock* out) {
  out->meta_symbols.clear();
  out->meta_pairs.clear();
  out->meta_set_start = {0, 0};
  if (out->meta_built.empty()) out->meta_built.resize(1);
  out->meta_is_built.assign(1, 0);
}

// Validates the metadata column at [at, at + len) of out->MetaText() and
// appends its symbols and its sets but the first (which must be empty: every
// column's set 0 is the block's set 0) to the block's tables; MetadataSet
// builds Labels from them on demand. The column's set j > 0 is the block's
// set *first_set + j - 1; *nsets is the column's set count.
Status AppendMetadata(size_t at, size_t len, std::string_view where, DecodedBlock* out,
                      uint32_t* first_set, uint32_t* nsets) {
  const std::string_view text = out->MetaText();
  const char* base = text.data();
  std::string_view col = text.substr(at, len);
  uint64_t nsym = 0, sets = 0;
  if (!common::GetVarint64(&col, &nsym) || nsym > col.size()) {
    return Status::Corruption("block metadata symbols", where);
  }
  const auto sym_base = static_cast<uint32_t>(out->meta_symbols.size());
  for (uint64_t i = 0; i < nsym; ++i) {
    std::string_view s;
    if (!common::GetLengthPrefixed(&col, &s)) return Status::Corruption("block metadata symbol", where);
    out->meta_symbols.emplace_back(static_cast<uint32_t>(s.data() - base), static_cast<uint32_t>(s.size()));
  }
  uint64_t empty_pairs = 1;
  if (!common::GetVarint64(&col, &sets) || sets == 0 || sets > col.size() + 1 ||
      !common::GetVarint64(&col, &empty_pairs) || empty_pairs != 0) {
    return Status::Corruption("block metadata sets", where);
  }
  *first_set = static_cast<uint32_t>(out->metadata_set_count());
  *nsets = static_cast<uint32_t>(sets);
  for (uint64_t set = 1; set < sets; ++set) {
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
      out->meta_pairs.emplace_back(sym_base + static_cast<uint32_t>(n), sym_base + static_cast<uint32_t>(v));
    }
    out->meta_set_start.push_back(static_cast<uint32_t>(out->meta_pairs.size()));
  }
  if (!col.empty()) return Status::Corruption("block metadata column length", where);
  if (out->meta_built.size() < out->metadata_set_count()) out->meta_built.resize(out->metadata_set_count());
  out->meta_is_built.resize(out->metadata_set_count(), 0);
  return Status::OK();
}

// Validates the metadata column of an older block (in out->meta_column): its
// set ids are the block's.
Status DecodeMetadata(std::string_view where, DecodedBlock* out) {
  out->meta_in_lines = false;
  ResetMetadata(out);
  uint32_t first = 0, n = 0;
  return AppendMetadata(0, out->meta_column.size(), where, out, &first, &n);
}

// Metadata as if every entry had none: one set, the empty one.
void EmptyMetadata(DecodedBlock* out) {
  out->meta_column.clear();
  out->meta_in_lines = false;
  ResetMetadata(out);
}

// Newest-first blocks: the three runs as in DecodeEntries, with each set id
// local to its entry's segment (checked when the segment is decoded), then
// the segment table. Fills `segments`, and unless `entries_only` also
// `line_pos`, `runs` and the local set ids in `meta_ids`.
Status DecodeSegmentedEntries(std::string_view col, const Header& h, std::string_view where,
                              DecodedBlock* out, bool entries_only) {
  out->timestamps.resize(h.count);
  out->line_offsets.resize(h.count + 1);
  out->meta_ids.resize(entries_only ? 0 : h.count);
  out->line_offsets[0] = 0;
  uint64_t off = 0;
  SKALD_RETURN_IF_ERROR(DecodeTimeAndLengthRuns(&col, h, h.raw[1], where, out, &off));
  if (entries_only) {
    // The set ids are not wanted: skip their run (a third of the column)
    // without decoding it. The segment table after it is still checked.
    if (!common::SkipVarints(&col, h.count)) {
      return Status::Corruption("block entries column truncated", where);
    }
  } else {
    int64_t set = 0;
    for (uint32_t i = 0; i < h.count; ++i) {
      int64_t delta = 0;
      if (!common::GetVarsint64(&col, &delta)) return Status::Corruption("block entries column truncated", where);
      set = static_cast<int64_t>(static_cast<uint64_t>(set) + static_cast<uint64_t>(delta));  // wraps, no UB
      if (set < 0 || set > INT32_MAX) return Status::Corruption("block entry out of range", where);
      out->meta_ids[i] = static_cast<uint32_t>(set);
    }
  }
  uint64_t nseg = 0;
  if (!common::GetVarint64(&col, &nseg) || nseg == 0 || nseg > h.count || nseg > kMaxSegmentsPerBlock) {
    return Status::Corruption("block segment table", where);
  }
  out->segments.resize(nseg);
  uint64_t end = h.count, body = 0, stored = 0;
  for (BlockSegment& seg : out->segments) {
    uint64_t n = 0, meta = 0, stored_end = 0;
    if (!common::GetVarint64(&col, &n) || !common::GetVarint64(&col, &meta) ||
        !common::GetVarint64(&col, &stored_end) || n == 0 || n > end || meta > h.raw[1] ||
        stored_end <= stored || stored_end > h.stored[1]) {
      return Status::Corruption("block segment table", where);
    }
    seg.end_entry = static_cast<uint32_t>(end);
    seg.first_entry = static_cast<uint32_t>(end - n);
    seg.body_start = static_cast<uint32_t>(body);
    seg.meta_raw = static_cast<uint32_t>(meta);
    seg.stored_end = static_cast<uint32_t>(stored_end);
    body += out->line_offsets[seg.end_entry] - out->line_offsets[seg.first_entry] + meta;
    if (body > h.raw[1]) return Status::Corruption("block segment table", where);
    end -= n;
    stored = stored_end;
  }
  if (end != 0 || body != h.raw[1] || stored != h.stored[1] || !col.empty()) {
    return Status::Corruption("block segment table", where);
  }
  if (entries_only) return Status::OK();
  out->line_pos.resize(h.count);
  out->runs.clear();
  for (auto seg = out->segments.rbegin(); seg != out->segments.rend(); ++seg) {
    out->runs.push_back(seg->first_entry);
    const uint32_t shift = seg->body_start - out->line_offsets[seg->first_entry];
    for (uint32_t i = seg->first_entry; i < seg->end_entry; ++i) out->line_pos[i] = out->line_offsets[i] + shift;
  }
  out->runs.push_back(h.count);
  return Status::OK();
}

// A newest-first block's header and entries column: everything but the
// lines column. The set table is reset; metadata symbols live in `lines`.
Status DecodeSegmentedHead(std::string_view bytes, const Header& h, std::string_view where,
                           DecodedBlock* out) {
  thread_local std::string entries_buf;
  SKALD_RETURN_IF_ERROR(
      DecompressColumn(h.codec, bytes.substr(kBlockHeaderBytes, h.stored[0]), h.raw[0], &entries_buf, where));
  SKALD_RETURN_IF_ERROR(DecodeSegmentedEntries(entries_buf, h, where, out, /*entries_only=*/false));
  out->meta_column.clear();
  ResetMetadata(out);
  out->meta_in_lines = true;
  return Status::OK();
}

// Segment k of a newest-first block has been decompressed into `lines`:
// validates its metadata column and turns its entries' local set ids into
// the block's (all 0 without `with_metadata`).
Status FinishSegment(size_t k, std::string_view where, bool with_metadata, DecodedBlock* out) {
  const BlockSegment& seg = out->segments[k];
  if (!with_metadata) {
    std::fill(out->meta_ids.begin() + seg.first_entry, out->meta_ids.begin() + seg.end_entry, 0);
    return Status::OK();
  }
  uint32_t first_set = 0, nsets = 1;
  if (seg.meta_raw > 0) {
    const size_t at = seg.body_start + out->line_offsets[seg.end_entry] - out->line_offsets[seg.first_entry];
    SKALD_RETURN_IF_ERROR(AppendMetadata(at, seg.meta_raw, where, out, &first_set, &nsets));
  }
  for (uint32_t i = seg.first_entry; i < seg.end_entry; ++i) {
    const uint32_t local = out->meta_ids[i];
    if (local >= nsets) return Status::Corruption("block entry out of range", where);
    out->meta_ids[i] = local == 0 ? 0 : first_set + local - 1;
  }
  return Status::OK();
}

}  // namespace

// The zstd stream of a newest-first block that DecodeBlockNewest left partly
// decoded: its own copy of the stored column and how far it has got.
struct SegmentStream {
  SegmentStream() = default;
  SegmentStream(const SegmentStream&) = delete;
  SegmentStream& operator=(const SegmentStream&) = delete;
  ~SegmentStream() { ZSTD_freeDCtx(dctx); }

  ZSTD_DCtx* dctx = nullptr;  // kept across blocks (the DecodedBlock is pooled)
  std::string stored;
  std::string where;
  bool with_metadata = true;
  size_t next = 0;     // the next segment to decode (column order)
  size_t in_pos = 0;   // of `stored`
  size_t out_pos = 0;  // of the block's `lines`
};

void LineBuffer::ResizeUninitialized(size_t n) {
  if (n > capacity_) {
    const size_t cap = std::max(n, capacity_ + capacity_ / 2);
    auto bigger = std::make_unique_for_overwrite<char[]>(cap);
    if (size_ > 0) std::memcpy(bigger.get(), data_.get(), size_);
    data_ = std::move(bigger);
    capacity_ = cap;
  }
  size_ = n;
}

void LineBuffer::append(std::string_view s) {
  const size_t at = size_;
  ResizeUninitialized(size_ + s.size());
  if (!s.empty()) std::memcpy(data_.get() + at, s.data(), s.size());
}

DecodedBlock::DecodedBlock() = default;
DecodedBlock::~DecodedBlock() = default;
DecodedBlock::DecodedBlock(DecodedBlock&&) noexcept = default;
DecodedBlock& DecodedBlock::operator=(DecodedBlock&&) noexcept = default;

size_t DecodedBlock::EntryAtLineOffset(size_t pos) const {
  for (size_t k = 0; k + 1 < runs.size(); ++k) {
    const uint32_t a = runs[k], b = runs[k + 1];
    if (a == b || a < first_decoded || pos < line_pos[a] || pos >= line_pos[b - 1] + (line_offsets[b] - line_offsets[b - 1])) continue;
    auto it = std::upper_bound(line_pos.begin() + a, line_pos.begin() + b, static_cast<uint32_t>(pos));
    return static_cast<size_t>(it - line_pos.begin()) - 1;
  }
  return size();
}

size_t DecodedBlock::MemoryBytes() const {
  size_t n = lines.capacity() + meta_column.capacity() + timestamps.capacity() * sizeof(int64_t) +
             (line_offsets.capacity() + line_pos.capacity() + meta_ids.capacity()) * sizeof(uint32_t);
  if (stream != nullptr) n += stream->stored.capacity() + ZSTD_sizeof_DCtx(stream->dctx);
  return n;
}

std::span<const common::Label> DecodedBlock::MetadataSet(size_t set) const {
  std::vector<common::Label>& labels = meta_built[set];
  if (meta_is_built[set] == 0) {
    meta_is_built[set] = 1;
    auto sym = [&](uint32_t i) {
      return MetaText().substr(meta_symbols[i].first, meta_symbols[i].second);
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
      std::string_view s = MetaText().substr(meta_symbols[i].first, meta_symbols[i].second);
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

namespace {

// The header's entry count, time range and raw sizes are usable: checked
// before anything is sized from them (DecodeBlockNewest sizes `lines`).
Status CheckRanges(const Header& h, std::string_view where) {
  if (h.count == 0 || h.count > h.raw[0] || h.min_ts > h.max_ts) {
    return Status::Corruption("block header range", where);
  }
  for (uint32_t raw : h.raw) {
    if (raw > kMaxColumnRawBytes) return Status::Corruption("column raw size over limit", where);
  }
  return Status::OK();
}

Status ParseBlock(std::string_view bytes, std::string_view where, Header* h) {
  SKALD_RETURN_IF_ERROR(ParseHeader(bytes, where, h));
  return CheckRanges(*h, where);
}

std::string_view StoredLines(std::string_view bytes, const Header& h) {
  return bytes.substr(LinesStart(h), h.stored[1]);
}

// Sizes out->lines for the block's lines column (ParseBlock has bounded
// it). What a previous block left there is not kept: a buffer that must
// grow does not copy it.
void SizeLines(const Header& h, DecodedBlock* out) {
  out->lines.clear();
  out->lines.ResizeUninitialized(h.raw[1]);
}

// The whole lines column into out->lines.
Status DecompressLines(const Header& h, std::string_view stored, std::string_view where, DecodedBlock* out) {
  SizeLines(h, out);
  return DecompressColumnTo(h.codec, stored, h.raw[1], out->lines.data(), where);
}

}  // namespace

// DecodeBlock once the header is parsed and the checksum verified.
static Status DecodeWhole(std::string_view bytes, const Header& h, std::string_view where, DecodedBlock* out,
                   bool with_metadata) {
  out->first_decoded = 0;
  if ((h.flags & kBlockFlagNewestFirst) != 0) {
    SKALD_RETURN_IF_ERROR(DecodeSegmentedHead(bytes, h, where, out));
    SKALD_RETURN_IF_ERROR(DecompressLines(h, StoredLines(bytes, h), where, out));
    for (size_t k = 0; k < out->segments.size(); ++k) {
      SKALD_RETURN_IF_ERROR(FinishSegment(k, where, with_metadata, out));
    }
    return Status::OK();
  }
  out->segments.clear();
  std::string_view stored_entries = bytes.substr(kBlockHeaderBytes, h.stored[0]);
  std::string_view stored_lines = StoredLines(bytes, h);
  std::string_view stored_meta = bytes.substr(LinesStart(h) + h.stored[1], h.stored[2]);
  thread_local std::string entries_buf;
  SKALD_RETURN_IF_ERROR(DecompressLines(h, stored_lines, where, out));
  if (with_metadata) {
    std::string_view prefix;
    if ((h.flags & kBlockFlagMetadataLinesPrefix) != 0) prefix = out->lines.view();
    SKALD_RETURN_IF_ERROR(DecompressColumn(h.codec, stored_meta, h.raw[2], &out->meta_column, where, prefix));
    SKALD_RETURN_IF_ERROR(DecodeMetadata(where, out));
  } else {
    EmptyMetadata(out);
  }
  SKALD_RETURN_IF_ERROR(DecompressColumn(h.codec, stored_entries, h.raw[0], &entries_buf, where));
  SKALD_RETURN_IF_ERROR(DecodeEntries(entries_buf, h, where, out, /*entries_only=*/false,
                                      /*no_metadata=*/!with_metadata));
  out->line_pos.assign(out->line_offsets.begin(), out->line_offsets.end() - 1);
  out->runs = {0, h.count};
  return Status::OK();
}

Status DecodeBlock(std::string_view bytes, std::string_view where, DecodedBlock* out,
                   bool with_metadata) {
  Header h{};
  SKALD_RETURN_IF_ERROR(ParseBlock(bytes, where, &h));
  return DecodeWhole(bytes, h, where, out, with_metadata);
}

Status ParseBlockHead(std::string_view head, std::string_view where, uint64_t* entries_end,
                      uint64_t* block_length) {
  if (head.size() < kBlockHeaderBytes) return Status::Corruption("block truncated", where);
  Header h{};
  SKALD_RETURN_IF_ERROR(ParseHeaderFields(head.data(), where, &h, block_length));
  *entries_end = (h.flags & kBlockFlagEntriesCrc) != 0 ? LinesStart(h) : *block_length;
  return Status::OK();
}

Status DecodeBlockEntriesOnly(std::string_view bytes, std::string_view where, DecodedBlock* out) {
  Header h{};
  if (bytes.size() >= kBlockHeaderBytes && (bytes[21] & kBlockFlagEntriesCrc) != 0) {
    // The whole block or only its head: either way only the head is read,
    // and checked against its own crc.
    uint64_t total = 0;
    SKALD_RETURN_IF_ERROR(ParseHeaderFields(bytes.data(), where, &h, &total));
    if (bytes.size() != total && bytes.size() != LinesStart(h)) {
      return Status::Corruption("block length mismatch", where);
    }
    SKALD_RETURN_IF_ERROR(CheckRanges(h, where));
    const uint32_t want = common::crc32c::Unmask(
        common::DecodeFixed32(bytes.data() + LinesStart(h) - kBlockEntriesCrcBytes));
    uint32_t crc = common::crc32c::Value(bytes.data(), kBlockCrcOffset);
    crc = common::crc32c::Extend(crc, bytes.data() + kBlockHeaderBytes, h.stored[0]);
    if (crc != want) return Status::Corruption("block entries checksum mismatch", where);
  } else {
    SKALD_RETURN_IF_ERROR(ParseBlock(bytes, where, &h));
  }
  std::string_view stored_entries = bytes.substr(kBlockHeaderBytes, h.stored[0]);
  out->lines.clear();
  out->line_pos.clear();
  out->runs.clear();
  out->first_decoded = 0;
  out->meta_column.clear();
  out->meta_in_lines = false;
  out->meta_symbols.clear();
  out->meta_pairs.clear();
  out->meta_set_start.clear();
  out->meta_is_built.clear();
  thread_local std::string entries_buf;
  SKALD_RETURN_IF_ERROR(DecompressColumn(h.codec, stored_entries, h.raw[0], &entries_buf, where));
  if ((h.flags & kBlockFlagNewestFirst) != 0) {
    return DecodeSegmentedEntries(entries_buf, h, where, out, /*entries_only=*/true);
  }
  out->segments.clear();
  return DecodeEntries(entries_buf, h, where, out, /*entries_only=*/true);
}

Status DecodeBlockNewest(std::string_view bytes, std::string_view where, DecodedBlock* out,
                         bool with_metadata) {
  out->first_decoded = 0;  // whatever fails below, nothing is left to go on with
  Header h{};
  SKALD_RETURN_IF_ERROR(ParseBlock(bytes, where, &h));
  if ((h.flags & kBlockFlagNewestFirst) == 0) return DecodeWhole(bytes, h, where, out, with_metadata);
  SKALD_RETURN_IF_ERROR(DecodeSegmentedHead(bytes, h, where, out));
  if (out->stream == nullptr) out->stream = std::make_unique<SegmentStream>();
  SegmentStream& st = *out->stream;
  if (st.dctx == nullptr) st.dctx = ZSTD_createDCtx();
  size_t r = st.dctx == nullptr ? size_t{0} : ZSTD_DCtx_reset(st.dctx, ZSTD_reset_session_and_parameters);
  // The decoder writes straight into `lines` and keeps its window there.
  if (st.dctx != nullptr && !ZSTD_isError(r)) r = ZSTD_DCtx_setParameter(st.dctx, ZSTD_d_stableOutBuffer, 1);
  if (out->segments.size() == 1 || st.dctx == nullptr || ZSTD_isError(r)) {
    // Nothing to leave out, or no streaming decoder here: the whole block.
    SKALD_RETURN_IF_ERROR(DecompressLines(h, StoredLines(bytes, h), where, out));
    for (size_t k = 0; k < out->segments.size(); ++k) {
      SKALD_RETURN_IF_ERROR(FinishSegment(k, where, with_metadata, out));
    }
    return Status::OK();
  }
  st.stored.assign(StoredLines(bytes, h));
  st.where.assign(where);
  st.with_metadata = with_metadata;
  st.next = 0;
  st.in_pos = 0;
  st.out_pos = 0;
  SizeLines(h, out);
  out->first_decoded = out->size();
  return DecodeOlderSegment(out);
}

Status DecodeOlderSegment(DecodedBlock* out) {
  SegmentStream* st = out->stream.get();
  if (out->first_decoded == 0 || st == nullptr || st->next >= out->segments.size()) {
    return Status::Internal("no older segment to decode", "DecodeOlderSegment");
  }
  const BlockSegment& seg = out->segments[st->next];
  const size_t want = seg.body_start + out->line_offsets[seg.end_entry] -
                      out->line_offsets[seg.first_entry] + seg.meta_raw;
  // A failure ends the stream: nothing can go on from a half-done segment.
  const size_t segment = st->next;
  st->next = out->segments.size();
  if (seg.stored_end > st->stored.size() || want > out->lines.size()) {
    return Status::Corruption("zstd segment does not decompress", st->where);
  }
  ZSTD_outBuffer o{out->lines.data(), out->lines.size(), st->out_pos};
  ZSTD_inBuffer in{st->stored.data(), seg.stored_end, st->in_pos};
  // A segment ends with a zstd flush: its compressed bytes decode to exactly
  // its raw bytes. Each call makes progress until the input is used up.
  while (in.pos < in.size) {
    const size_t in_before = in.pos, out_before = o.pos;
    const size_t r = ZSTD_decompressStream(st->dctx, &o, &in);
    if (ZSTD_isError(r)) return Status::Corruption("zstd segment does not decompress", st->where);
    if (r == 0 || (in.pos == in_before && o.pos == out_before)) break;
  }
  if (in.pos != seg.stored_end || o.pos != want) {
    return Status::Corruption("zstd segment does not decompress", st->where);
  }
  SKALD_RETURN_IF_ERROR(FinishSegment(segment, st->where, st->with_metadata, out));
  st->in_pos = in.pos;
  st->out_pos = o.pos;
  out->first_decoded = seg.first_entry;
  st->next = segment + 1;
  return Status::OK();
}

}  // namespace skald::server::chunk
