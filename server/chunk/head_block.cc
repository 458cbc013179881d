#include "server/chunk/head_block.h"

#include <algorithm>

// Header-only xxh3: inlined into the per-entry hashes.
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "common/coding.h"

namespace skald::server::chunk {

namespace {

// Views of `metadata` in a per-thread scratch array (valid until the next
// call on this thread): the Label entry points share the LabelView code.
std::span<const common::LabelView> Views(std::span<const common::Label> metadata) {
  thread_local std::vector<common::LabelView> scratch;
  scratch.clear();
  for (const common::Label& l : metadata) scratch.push_back(common::LabelView{l.name, l.value});
  return scratch;
}

}  // namespace

HeadBlock::HeadBlock() : set_start_{0, 0} {}

bool HeadBlock::SetEquals(uint32_t id, std::span<const common::LabelView> metadata) const {
  if (MetadataSetSize(id) != metadata.size()) return false;
  for (size_t j = 0; j < metadata.size(); ++j) {
    const LabelRef p = MetadataPair(id, j);
    if (p.name != metadata[j].name || p.value != metadata[j].value) return false;
  }
  return true;
}

bool HeadBlock::SetLess(uint32_t a, uint32_t b) const {
  const size_t na = MetadataSetSize(a), nb = MetadataSetSize(b);
  for (size_t j = 0; j < na && j < nb; ++j) {
    const LabelRef x = MetadataPair(a, j), y = MetadataPair(b, j);
    if (int c = x.name.compare(y.name); c != 0) return c < 0;
    if (int c = x.value.compare(y.value); c != 0) return c < 0;
  }
  return na < nb;
}

std::vector<common::Label> HeadBlock::MetadataSetCopy(uint32_t id) const {
  std::vector<common::Label> out;
  out.reserve(MetadataSetSize(id));
  for (size_t j = 0; j < MetadataSetSize(id); ++j) {
    const LabelRef p = MetadataPair(id, j);
    out.push_back(common::Label{std::string(p.name), std::string(p.value)});
  }
  return out;
}

uint32_t HeadBlock::InternMetadata(std::span<const common::LabelView> metadata) {
  if (metadata.empty()) return 0;
  // The previous row's set again (a constant set per stream) costs no hash.
  if (!rows_.empty() && SetEquals(rows_.back().meta_set, metadata)) return rows_.back().meta_set;
  uint64_t h = metadata.size();
  for (const common::LabelView& l : metadata) {
    h = XXH3_64bits_withSeed(l.name.data(), l.name.size(), h);
    h = XXH3_64bits_withSeed(l.value.data(), l.value.size(), h ^ 0x9e3779b97f4a7c15ull);
  }
  if ((MetadataSetCount() + 1) * 2 > set_table_.size()) {
    std::vector<uint64_t> old = std::move(set_table_);
    set_table_.assign(std::max<size_t>(64, old.size() * 2), 0);
    const size_t mask = set_table_.size() - 1;
    for (uint64_t slot : old) {
      if (slot == 0) continue;
      size_t i = static_cast<size_t>(slot >> 32) & mask;
      while (set_table_[i] != 0) i = (i + 1) & mask;
      set_table_[i] = slot;
    }
  }
  const uint64_t tag = h >> 32;
  const size_t mask = set_table_.size() - 1;
  size_t i = static_cast<size_t>(tag) & mask;
  for (; set_table_[i] != 0; i = (i + 1) & mask) {
    if ((set_table_[i] >> 32) != tag) continue;
    const auto id = static_cast<uint32_t>(set_table_[i] & 0xffffffffu) - 1;
    if (SetEquals(id, metadata)) return id;
  }
  const auto id = static_cast<uint32_t>(MetadataSetCount());
  for (const common::LabelView& l : metadata) {
    PairRef p;
    p.name_offset = static_cast<uint32_t>(meta_bytes_.size());
    p.name_length = static_cast<uint32_t>(l.name.size());
    meta_bytes_.append(l.name);
    p.value_offset = static_cast<uint32_t>(meta_bytes_.size());
    p.value_length = static_cast<uint32_t>(l.value.size());
    meta_bytes_.append(l.value);
    pairs_.push_back(p);
  }
  set_start_.push_back(static_cast<uint32_t>(pairs_.size()));
  set_table_[i] = (tag << 32) | (uint64_t{id} + 1);
  return id;
}

void HeadBlock::Append(int64_t timestamp_ns, std::string_view line,
                       std::span<const common::Label> metadata) {
  AppendView(timestamp_ns, line, Views(metadata));
}

void HeadBlock::AppendView(int64_t timestamp_ns, std::string_view line,
                           std::span<const common::LabelView> metadata) {
  Row r{timestamp_ns, static_cast<uint32_t>(arena_.size()), static_cast<uint32_t>(line.size()),
        InternMetadata(metadata)};
  arena_.append(line);
  rows_.push_back(r);
  hashes_.push_back(EntryHash(timestamp_ns, line, metadata));
  raw_bytes_ += line.size();
  for (const common::LabelView& l : metadata) raw_bytes_ += l.name.size() + l.value.size();
  min_ts_ = std::min(min_ts_, timestamp_ns);
  max_ts_ = std::max(max_ts_, timestamp_ns);
}

uint32_t HeadBlock::EntryHash(int64_t timestamp_ns, std::string_view line,
                              std::span<const common::Label> metadata) {
  return EntryHash(timestamp_ns, line, Views(metadata));
}

uint32_t HeadBlock::EntryHash(int64_t timestamp_ns, std::string_view line,
                              std::span<const common::LabelView> metadata) {
  uint64_t h = XXH3_64bits_withSeed(line.data(), line.size(), static_cast<uint64_t>(timestamp_ns));
  for (const common::LabelView& l : metadata) {
    h = XXH3_64bits_withSeed(l.name.data(), l.name.size(), h);
    h = XXH3_64bits_withSeed(l.value.data(), l.value.size(), h ^ 0x9e3779b97f4a7c15ull);
  }
  return static_cast<uint32_t>(h ^ (h >> 32));
}

bool HeadBlock::Contains(int64_t timestamp_ns, std::string_view line, std::span<const common::Label> metadata,
                         uint32_t hash) const {
  return ContainsView(timestamp_ns, line, Views(metadata), hash);
}

bool HeadBlock::ContainsView(int64_t timestamp_ns, std::string_view line,
                             std::span<const common::LabelView> metadata, uint32_t hash) const {
  if (rows_.empty() || timestamp_ns > max_ts_ || timestamp_ns < min_ts_) return false;
  for (size_t i = hashes_.size(); i-- > 0;) {
    if (hashes_[i] != hash) continue;
    const Row& r = rows_[i];
    if (r.timestamp_ns != timestamp_ns || Line(r) != line) continue;
    if (SetEquals(r.meta_set, metadata)) return true;
  }
  return false;
}

std::vector<HeadBlock::Row> HeadBlock::SortedRows() const {
  std::vector<Row> rows = rows_;
  auto less = [this](const Row& a, const Row& b) {
    if (a.timestamp_ns != b.timestamp_ns) return a.timestamp_ns < b.timestamp_ns;
    int c = Line(a).compare(Line(b));
    if (c != 0) return c < 0;
    return a.meta_set != b.meta_set && SetLess(a.meta_set, b.meta_set);
  };
  // Appends are usually in order already; only sort when they are not.
  if (!std::is_sorted(rows.begin(), rows.end(), less)) std::sort(rows.begin(), rows.end(), less);
  auto same = [this](const Row& a, const Row& b) {
    return a.timestamp_ns == b.timestamp_ns && a.meta_set == b.meta_set && Line(a) == Line(b);
  };
  rows.erase(std::unique(rows.begin(), rows.end(), same), rows.end());
  return rows;
}

std::vector<common::Entry> HeadBlock::Entries(int64_t from_ns, int64_t through_ns) const {
  std::vector<common::Entry> out;
  for (const Row& r : SortedRows()) {
    if (r.timestamp_ns < from_ns || r.timestamp_ns >= through_ns) continue;
    out.push_back(common::Entry{r.timestamp_ns, std::string(Line(r)), MetadataSetCopy(r.meta_set)});
  }
  return out;
}

void HeadBlock::Reset() {
  arena_.clear();
  rows_.clear();
  hashes_.clear();
  meta_bytes_.clear();
  pairs_.clear();
  set_start_.resize(2);
  std::fill(set_table_.begin(), set_table_.end(), 0);
  raw_bytes_ = 0;
  min_ts_ = std::numeric_limits<int64_t>::max();
  max_ts_ = std::numeric_limits<int64_t>::min();
}

void HeadBlock::Release() {
  Reset();
  std::string().swap(arena_);
  std::vector<Row>().swap(rows_);
  std::vector<uint32_t>().swap(hashes_);
  std::string().swap(meta_bytes_);
  std::vector<PairRef>().swap(pairs_);
  std::vector<uint64_t>().swap(set_table_);
}

}  // namespace skald::server::chunk
