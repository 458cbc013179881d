#include "server/chunk/head_block.h"

#include <algorithm>

#include "common/coding.h"

namespace skald::server::chunk {

HeadBlock::HeadBlock() { sets_.emplace_back(); }

uint32_t HeadBlock::InternMetadata(std::span<const common::Label> metadata) {
  if (metadata.empty()) return 0;
  std::string key;
  for (const common::Label& l : metadata) {
    common::PutLengthPrefixed(&key, l.name);
    common::PutLengthPrefixed(&key, l.value);
  }
  auto [it, inserted] = set_ids_.try_emplace(std::move(key), static_cast<uint32_t>(sets_.size()));
  if (inserted) sets_.emplace_back(metadata.begin(), metadata.end());
  return it->second;
}

void HeadBlock::Append(int64_t timestamp_ns, std::string_view line,
                       std::span<const common::Label> metadata) {
  Row r{timestamp_ns, static_cast<uint32_t>(arena_.size()), static_cast<uint32_t>(line.size()),
        InternMetadata(metadata)};
  arena_.append(line);
  rows_.push_back(r);
  raw_bytes_ += line.size();
  for (const common::Label& l : metadata) raw_bytes_ += l.name.size() + l.value.size();
  min_ts_ = std::min(min_ts_, timestamp_ns);
  max_ts_ = std::max(max_ts_, timestamp_ns);
}

bool HeadBlock::Contains(int64_t timestamp_ns, std::string_view line,
                         std::span<const common::Label> metadata) const {
  if (rows_.empty() || timestamp_ns > max_ts_ || timestamp_ns < min_ts_) return false;
  for (auto it = rows_.rbegin(); it != rows_.rend(); ++it) {
    if (it->timestamp_ns != timestamp_ns || it->line_length != line.size() || Line(*it) != line) continue;
    const std::vector<common::Label>& set = sets_[it->meta_set];
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
  sets_.resize(1);
  set_ids_.clear();
  raw_bytes_ = 0;
  min_ts_ = std::numeric_limits<int64_t>::max();
  max_ts_ = std::numeric_limits<int64_t>::min();
}

}  // namespace skald::server::chunk
