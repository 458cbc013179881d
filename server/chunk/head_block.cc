#include "server/chunk/head_block.h"

#include <algorithm>

#include <xxhash.h>

#include "common/coding.h"

namespace skald::server::chunk {

HeadBlock::HeadBlock() { sets_.emplace_back(); }

uint32_t HeadBlock::InternMetadata(std::span<const common::Label> metadata) {
  if (metadata.empty()) return 0;
  // The previous row's set again (a constant set per stream) costs no hash.
  if (!rows_.empty()) {
    const std::vector<common::Label>& last = sets_[rows_.back().meta_set];
    if (std::equal(last.begin(), last.end(), metadata.begin(), metadata.end())) return rows_.back().meta_set;
  }
  uint64_t h = metadata.size();
  for (const common::Label& l : metadata) {
    h = XXH3_64bits_withSeed(l.name.data(), l.name.size(), h);
    h = XXH3_64bits_withSeed(l.value.data(), l.value.size(), h ^ 0x9e3779b97f4a7c15ull);
  }
  if ((sets_.size() + 1) * 2 > set_table_.size()) {
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
    const std::vector<common::Label>& set = sets_[id];
    if (std::equal(set.begin(), set.end(), metadata.begin(), metadata.end())) return id;
  }
  const auto id = static_cast<uint32_t>(sets_.size());
  sets_.emplace_back(metadata.begin(), metadata.end());
  set_table_[i] = (tag << 32) | (uint64_t{id} + 1);
  return id;
}

void HeadBlock::Append(int64_t timestamp_ns, std::string_view line,
                       std::span<const common::Label> metadata) {
  Row r{timestamp_ns, static_cast<uint32_t>(arena_.size()), static_cast<uint32_t>(line.size()),
        InternMetadata(metadata)};
  arena_.append(line);
  rows_.push_back(r);
  hashes_.push_back(EntryHash(timestamp_ns, line, metadata));
  raw_bytes_ += line.size();
  for (const common::Label& l : metadata) raw_bytes_ += l.name.size() + l.value.size();
  min_ts_ = std::min(min_ts_, timestamp_ns);
  max_ts_ = std::max(max_ts_, timestamp_ns);
}

uint32_t HeadBlock::EntryHash(int64_t timestamp_ns, std::string_view line,
                              std::span<const common::Label> metadata) {
  uint64_t h = XXH3_64bits_withSeed(line.data(), line.size(), static_cast<uint64_t>(timestamp_ns));
  for (const common::Label& l : metadata) {
    h = XXH3_64bits_withSeed(l.name.data(), l.name.size(), h);
    h = XXH3_64bits_withSeed(l.value.data(), l.value.size(), h ^ 0x9e3779b97f4a7c15ull);
  }
  return static_cast<uint32_t>(h ^ (h >> 32));
}

bool HeadBlock::Contains(int64_t timestamp_ns, std::string_view line, std::span<const common::Label> metadata,
                         uint32_t hash) const {
  if (rows_.empty() || timestamp_ns > max_ts_ || timestamp_ns < min_ts_) return false;
  for (size_t i = hashes_.size(); i-- > 0;) {
    if (hashes_[i] != hash) continue;
    const Row& r = rows_[i];
    if (r.timestamp_ns != timestamp_ns || Line(r) != line) continue;
    const std::vector<common::Label>& set = sets_[r.meta_set];
    if (std::equal(set.begin(), set.end(), metadata.begin(), metadata.end())) return true;
  }
  return false;
}

std::vector<HeadBlock::Row> HeadBlock::SortedRows() const {
  std::vector<Row> rows = rows_;
  auto less = [this](const Row& a, const Row& b) {
    if (a.timestamp_ns != b.timestamp_ns) return a.timestamp_ns < b.timestamp_ns;
    int c = Line(a).compare(Line(b));
    if (c != 0) return c < 0;
    return sets_[a.meta_set] < sets_[b.meta_set];
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
    out.push_back(common::Entry{r.timestamp_ns, std::string(Line(r)), sets_[r.meta_set]});
  }
  return out;
}

void HeadBlock::Reset() {
  arena_.clear();
  rows_.clear();
  hashes_.clear();
  sets_.resize(1);
  sets_.shrink_to_fit();
  std::fill(set_table_.begin(), set_table_.end(), 0);
  raw_bytes_ = 0;
  min_ts_ = std::numeric_limits<int64_t>::max();
  max_ts_ = std::numeric_limits<int64_t>::min();
}

}  // namespace skald::server::chunk
