// Index: the label endpoints (labels, label values, series, index/stats,
// index/volume), answered from the index alone.
#include <algorithm>
#include <map>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "server/store/index.h"

namespace skald::server::store {

using common::Label;
using common::Matcher;
using common::Result;
using common::Status;
using common::sqlite::Database;
using common::sqlite::Statement;

namespace {

// Sums of the chunks of one stream overlapping [from, through].
struct ChunkTotals {
  uint64_t chunks = 0;
  uint64_t bytes = 0;
  uint64_t entries = 0;
};

// At or above this many streams, chunk totals come from one grouped scan of
// the tenant's chunks instead of one indexed query per stream.
constexpr size_t kStreamsForChunkScan = 256;

// Chunk totals per stream id for `streams` (streams without chunks in the
// window are absent).
Result<std::unordered_map<uint64_t, ChunkTotals>> TotalsFor(Database& db, std::string_view tenant,
                                                            const std::vector<StreamInfo>& streams,
                                                            int64_t from, int64_t through) {
  std::unordered_map<uint64_t, ChunkTotals> out;
  if (streams.empty()) return out;
  auto collect = [&](Statement& st) -> Status {
    while (true) {
      auto row = st.Step();
      if (!row.ok()) return row.status();
      if (!*row) return Status::OK();
      if (st.ColumnInt64(1) == 0) continue;
      out[st.ColumnUint64(0)] = {st.ColumnUint64(1), st.ColumnUint64(2), st.ColumnUint64(3)};
    }
  };
  if (streams.size() >= kStreamsForChunkScan) {
    auto st = db.Prepare(
        "SELECT stream_id, count(*), sum(raw_bytes), sum(entries) FROM chunks "
        "WHERE tenant = ? AND from_ts <= ? AND through_ts >= ? GROUP BY stream_id");
    if (!st.ok()) return st.status();
    st->Bind(1, tenant).Bind(2, through).Bind(3, from);
    SKALD_RETURN_IF_ERROR(collect(*st));
    std::unordered_set<uint64_t> wanted;
    for (const auto& s : streams) wanted.insert(s.id);
    std::erase_if(out, [&](const auto& kv) { return !wanted.count(kv.first); });
    return out;
  }
  auto st = db.Prepare(
      "SELECT ?2, count(*), coalesce(sum(raw_bytes), 0), coalesce(sum(entries), 0) FROM chunks "
      "WHERE tenant = ?1 AND stream_id = ?2 AND from_ts <= ?3 AND through_ts >= ?4");
  if (!st.ok()) return st.status();
  for (const auto& s : streams) {
    st->Bind(1, tenant).Bind(2, s.id).Bind(3, through).Bind(4, from);
    SKALD_RETURN_IF_ERROR(collect(*st));
    st->Reset();
  }
  return out;
}

std::string LabelListText(const std::vector<Label>& labels) {
  std::string out = "{";
  for (const auto& l : labels) {
    if (out.size() > 1) out += ", ";
    out += l.name;
    out += '=';
    common::AppendGoQuoted(&out, l.value);
  }
  out += '}';
  return out;
}

}  // namespace

Result<std::vector<std::string>> Index::LabelNames(std::string_view tenant, int64_t from,
                                                   int64_t through,
                                                   const std::vector<Matcher>& matchers) {
  auto lease = Reader();
  if (!lease.ok()) return lease.status();
  Database& db = lease->db();
  std::vector<std::string> out;
  if (!matchers.empty()) {
    auto streams = FindStreamsWith(db, tenant, matchers, from, through);
    if (!streams.ok()) return streams.status();
    std::set<std::string> names;
    for (const auto& s : *streams) {
      for (const auto& l : s.labels.pairs()) names.insert(l.name);
    }
    return std::vector<std::string>(names.begin(), names.end());
  }
  // Skip-scan the distinct names (one index seek each), keeping a name when
  // some stream with it overlaps the window.
  auto next =
      db.Prepare("SELECT name FROM postings WHERE tenant = ? AND name > ? ORDER BY name LIMIT 1");
  auto live = db.Prepare(
      "SELECT 1 FROM postings p JOIN streams s ON s.id = p.stream_id "
      "WHERE p.tenant = ? AND p.name = ? AND s.last_ts >= ? AND s.first_ts <= ? LIMIT 1");
  if (!next.ok()) return next.status();
  if (!live.ok()) return live.status();
  std::string name;
  while (true) {
    next->Bind(1, tenant).Bind(2, name);
    auto row = next->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    name.assign(next->ColumnText(0));
    next->Reset();
    live->Bind(1, tenant).Bind(2, name).Bind(3, from).Bind(4, through);
    auto hit = live->Step();
    if (!hit.ok()) return hit.status();
    if (*hit) out.push_back(name);
    live->Reset();
  }
  return out;
}

Result<std::vector<std::string>> Index::LabelValues(std::string_view tenant, std::string_view name,
                                                    int64_t from, int64_t through,
                                                    const std::vector<Matcher>& matchers) {
  auto lease = Reader();
  if (!lease.ok()) return lease.status();
  Database& db = lease->db();
  if (!matchers.empty()) {
    auto streams = FindStreamsWith(db, tenant, matchers, from, through);
    if (!streams.ok()) return streams.status();
    std::set<std::string> values;
    for (const auto& s : *streams) {
      if (auto v = s.labels.Get(name)) values.emplace(*v);
    }
    return std::vector<std::string>(values.begin(), values.end());
  }
  auto st = db.Prepare(
      "SELECT DISTINCT p.value FROM postings p JOIN streams s ON s.id = p.stream_id "
      "WHERE p.tenant = ? AND p.name = ? AND s.last_ts >= ? AND s.first_ts <= ? "
      "ORDER BY p.value");
  if (!st.ok()) return st.status();
  st->Bind(1, tenant).Bind(2, name).Bind(3, from).Bind(4, through);
  std::vector<std::string> out;
  while (true) {
    auto row = st->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    out.emplace_back(st->ColumnText(0));
  }
  return out;
}

Result<std::vector<StreamInfo>> Index::Series(std::string_view tenant,
                                              const std::vector<std::vector<Matcher>>& groups,
                                              int64_t from, int64_t through) {
  auto lease = Reader();
  if (!lease.ok()) return lease.status();
  std::map<uint64_t, StreamInfo> by_id;
  for (const auto& group : groups) {
    auto streams = FindStreamsWith(lease->db(), tenant, group, from, through);
    if (!streams.ok()) return streams.status();
    for (auto& s : *streams) by_id.try_emplace(s.id, std::move(s));
  }
  std::vector<StreamInfo> out;
  out.reserve(by_id.size());
  for (auto& [id, s] : by_id) out.push_back(std::move(s));
  std::sort(out.begin(), out.end(),
            [](const StreamInfo& a, const StreamInfo& b) { return a.labels < b.labels; });
  return out;
}

Result<IndexStats> Index::Stats(std::string_view tenant, const std::vector<Matcher>& matchers,
                                int64_t from, int64_t through) {
  auto lease = Reader();
  if (!lease.ok()) return lease.status();
  auto streams = FindStreamsWith(lease->db(), tenant, matchers, from, through);
  if (!streams.ok()) return streams.status();
  auto totals = TotalsFor(lease->db(), tenant, *streams, from, through);
  if (!totals.ok()) return totals.status();
  IndexStats stats;
  stats.streams = streams->size();
  for (const auto& [id, t] : *totals) {
    stats.chunks += t.chunks;
    stats.bytes += t.bytes;
    stats.entries += t.entries;
  }
  return stats;
}

Result<std::vector<VolumeEntry>> Index::Volume(std::string_view tenant,
                                               const std::vector<Matcher>& matchers, int64_t from,
                                               int64_t through,
                                               const std::vector<std::string>& target_labels,
                                               VolumeAggregation aggregate_by) {
  // Loki's PrepareLabelsAndMatchers: group by the target labels, else by the
  // names the matchers mention.
  std::set<std::string> group_names(target_labels.begin(), target_labels.end());
  if (group_names.empty()) {
    for (const auto& m : matchers) group_names.insert(m.name());
  }
  auto lease = Reader();
  if (!lease.ok()) return lease.status();
  auto streams = FindStreamsWith(lease->db(), tenant, matchers, from, through);
  if (!streams.ok()) return streams.status();
  auto totals = TotalsFor(lease->db(), tenant, *streams, from, through);
  if (!totals.ok()) return totals.status();
  std::map<std::vector<Label>, uint64_t> groups;
  for (const auto& s : *streams) {
    std::vector<Label> key;
    bool has_targets = true;
    for (const auto& name : group_names) {
      auto v = s.labels.Get(name);
      if (v) {
        key.push_back({name, std::string(*v)});
      } else if (!target_labels.empty()) {
        has_targets = false;  // Loki adds name=~".+" for each target label
      }
    }
    if (!has_targets || key.empty()) continue;
    auto t = totals->find(s.id);
    if (t == totals->end()) continue;  // no chunks in the window
    if (aggregate_by == VolumeAggregation::kSeries) {
      groups[key] += t->second.bytes;
    } else {
      for (const auto& l : key) groups[{Label{l.name, ""}}] += t->second.bytes;
    }
  }
  std::vector<VolumeEntry> out;
  out.reserve(groups.size());
  for (auto& [key, bytes] : groups) out.push_back({key, bytes});
  std::stable_sort(out.begin(), out.end(), [](const VolumeEntry& a, const VolumeEntry& b) {
    if (a.bytes != b.bytes) return a.bytes > b.bytes;
    return LabelListText(a.labels) < LabelListText(b.labels);
  });
  return out;
}

Result<std::vector<std::string>> Index::Tenants() {
  auto lease = Reader();
  if (!lease.ok()) return lease.status();
  auto st =
      lease->db().Prepare("SELECT tenant FROM streams UNION SELECT tenant FROM files ORDER BY 1");
  if (!st.ok()) return st.status();
  std::vector<std::string> out;
  while (true) {
    auto row = st->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    out.emplace_back(st->ColumnText(0));
  }
  return out;
}

}  // namespace skald::server::store
