#include "server/api/query_encoder.h"

#include <algorithm>
#include <charconv>
#include <map>
#include <span>
#include <unordered_map>

#include "common/json_writer.h"
#include "common/labels.h"
#include "common/time.h"

namespace skald::server::api {

using common::JsonWriter;
using common::Label;
using common::Labels;
using logql::LogLine;
using logql::QueryResult;

namespace {

const Labels kNoLabels;

const Labels& OutputLabels(const LogLine& l, bool categorize) {
  if (!l.labels) return kNoLabels;
  return categorize ? l.labels->stream : l.labels->labels;
}

void WriteLabelObject(JsonWriter& w, const std::vector<Label>& pairs) {
  w.BeginObject();
  for (const auto& p : pairs) w.Key(p.name).String(p.value);
  w.EndObject();
}

struct Group {
  const Labels* labels;  // owned by one of `lines` (its LabelsResult)
  std::vector<const LogLine*> lines;
};

// A hash of the label pairs (Labels keeps no hash of its own, and a
// LabelsResult's covers all labels, not the categorized stream ones).
uint64_t HashPairs(const Labels& labels) {
  uint64_t h = 0x9E3779B97F4A7C15ull;
  for (const Label& p : labels.pairs()) {
    h = (h ^ common::FingerprintOf(p.name)) * 0x100000001B3ull;
    h = (h ^ common::FingerprintOf(p.value)) * 0x100000001B3ull;
  }
  return h;
}

// Groups lines by their output label set, in Loki's order (by label
// string); lines keep their order within a group. Lines with the same label
// set usually share one LabelsResult, so each distinct result is hashed and
// compared once; label strings are built once per group, for the sort.
std::vector<Group> GroupLines(const std::vector<LogLine>& lines, bool categorize) {
  std::vector<Group> groups;
  std::unordered_map<uint64_t, std::vector<size_t>> by_hash;  // label hash -> groups
  std::unordered_map<const void*, size_t> by_result;          // LabelsResult -> group
  by_result.reserve(lines.size());
  for (const auto& l : lines) {
    auto [it, inserted] = by_result.try_emplace(l.labels.get(), 0);
    if (inserted) {
      const Labels& key = OutputLabels(l, categorize);
      std::vector<size_t>& same_hash = by_hash[HashPairs(key)];
      size_t g = groups.size();
      for (size_t c : same_hash) {
        if (*groups[c].labels == key) {
          g = c;
          break;
        }
      }
      if (g == groups.size()) {
        groups.push_back(Group{&key, {}});
        same_hash.push_back(g);
      }
      it->second = g;
    }
    groups[it->second].lines.push_back(&l);
  }
  if (groups.size() < 2) return groups;
  std::vector<std::string> text(groups.size());
  std::vector<size_t> order(groups.size());
  for (size_t i = 0; i < groups.size(); ++i) {
    text[i] = groups[i].labels->ToString();
    order[i] = i;
  }
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return text[a] < text[b]; });
  std::vector<Group> out;
  out.reserve(groups.size());
  for (size_t i : order) out.push_back(std::move(groups[i]));
  return out;
}

// Writes `groups` as elements of an array the caller opened.
void WriteGroups(JsonWriter& w, std::span<const Group> groups, bool categorize) {
  for (const Group& g : groups) {
    w.BeginObject().Key("stream");
    WriteLabelObject(w, g.labels->pairs());
    w.Key("values").BeginArray();
    for (const LogLine* l : g.lines) {
      char ts[24];
      const auto r = std::to_chars(ts, ts + sizeof(ts), l->timestamp_ns);
      w.BeginArray().String(std::string_view(ts, static_cast<size_t>(r.ptr - ts))).String(l->line);
      if (categorize) {
        w.BeginObject();
        if (l->labels && !l->labels->metadata.empty()) {
          w.Key("structuredMetadata");
          WriteLabelObject(w, l->labels->metadata.pairs());
        }
        if (l->labels && !l->labels->parsed.empty()) {
          w.Key("parsed");
          WriteLabelObject(w, l->labels->parsed.pairs());
        }
        w.EndObject();
      }
      w.EndArray();
    }
    w.EndArray().EndObject();
  }
}

// Results at least this many lines long are written in parallel (when a
// pool is given): two halves cost a thread hand-off and one more copy.
constexpr size_t kParallelEncodeLines = 256;

void WriteStreams(JsonWriter& w, const std::vector<LogLine>& lines, const EncodeOptions& opts) {
  const std::vector<Group> groups = GroupLines(lines, opts.categorize_labels);
  if (opts.pool == nullptr || lines.size() < kParallelEncodeLines || groups.size() < 2) {
    w.BeginArray();
    WriteGroups(w, groups, opts.categorize_labels);
    w.EndArray();
    return;
  }
  // Two parts of about equal line bytes, each written on its own thread as
  // a whole array, then joined into one.
  auto bytes = [](const Group& g) {  // about what a group's values take
    size_t n = 0;
    for (const LogLine* l : g.lines) n += l->line.size() + 32;
    return n;
  };
  size_t total = 0;
  for (const Group& g : groups) total += bytes(g);
  size_t split = 0;
  for (size_t half = 0; split < groups.size() - 1 && half < total / 2; ++split) half += bytes(groups[split]);
  std::span<const Group> all(groups);
  const std::span<const Group> parts[2] = {all.first(split), all.subspan(split)};
  std::string out[2];
  opts.pool->ParallelFor(2, [&](size_t i) {
    out[i].reserve(parts[i].size() * 64 + total / 2 + total / 8);
    JsonWriter pw(&out[i]);
    pw.BeginArray();
    WriteGroups(pw, parts[i], opts.categorize_labels);
    pw.EndArray();
  });
  // "[a]" + "[b]" -> "[a,b]": both parts hold at least one group.
  out[0].back() = ',';
  out[0].append(std::string_view(out[1]).substr(1));
  w.Raw(out[0]);
}

void WritePoint(JsonWriter& w, const logql::Point& p) {
  w.BeginArray().Raw(FormatModelTime(p.t_ms)).String(common::FormatFloatGo(p.value)).EndArray();
}

std::vector<const logql::Series*> SortedSeries(const QueryResult& r) {
  std::vector<const logql::Series*> v;
  v.reserve(r.series.size());
  for (const auto& s : r.series) v.push_back(&s);
  if (!r.keep_order) {
    // Prometheus labels.Compare order (label by label, a prefix first), as
    // Loki sorts vectors and matrices; not the label string, where `,`
    // sorts before `}`.
    std::sort(v.begin(), v.end(),
              [](const logql::Series* a, const logql::Series* b) { return a->metric < b->metric; });
  }
  return v;
}

void WriteStoreStats(JsonWriter& w, const logql::QueryStats& s, bool ingester) {
  w.BeginObject();
  w.Key("totalChunksRef").Uint(ingester ? 0 : s.total_chunks_ref);
  w.Key("totalChunksDownloaded").Uint(ingester ? 0 : s.total_chunks_downloaded);
  w.Key("chunksDownloadTime").Int(0);
  w.Key("queryReferencedStructuredMetadata").Bool(false);
  w.Key("chunk").BeginObject();
  w.Key("headChunkBytes").Uint(ingester ? s.head_chunk_bytes : 0);
  w.Key("headChunkLines").Uint(ingester ? s.head_chunk_lines : 0);
  w.Key("decompressedBytes").Uint(ingester ? 0 : s.decompressed_bytes);
  w.Key("decompressedLines").Uint(ingester ? 0 : s.decompressed_lines);
  w.Key("compressedBytes").Uint(ingester ? 0 : s.compressed_bytes);
  w.Key("totalDuplicates").Uint(ingester ? 0 : s.total_duplicates);
  w.Key("postFilterLines").Uint(ingester ? 0 : s.post_filter_lines);
  w.Key("headChunkStructuredMetadataBytes").Uint(0);
  w.Key("decompressedStructuredMetadataBytes").Uint(0);
  w.EndObject();
  w.EndObject();
}

void WriteCache(JsonWriter& w) {
  w.BeginObject();
  for (const char* k : {"entriesFound", "entriesRequested", "entriesStored", "bytesReceived",
                        "bytesSent", "requests", "downloadTime", "queryLengthServed"}) {
    w.Key(k).Int(0);
  }
  w.EndObject();
}

}  // namespace

std::string FormatModelTime(int64_t t_ms) {
  int64_t secs = t_ms / 1000, ms = t_ms % 1000;
  if (ms < 0) {
    ms += 1000;
    --secs;
  }
  std::string out = std::to_string(secs);
  if (ms != 0) {
    std::string f = std::to_string(ms);
    while (f.size() < 3) f.insert(f.begin(), '0');
    while (f.back() == '0') f.pop_back();
    out += "." + f;
  }
  return out;
}

void AppendStatsJson(std::string* out, const logql::QueryStats& s) {
  JsonWriter w(out);
  const double exec_s = static_cast<double>(s.exec_time_ns) / 1e9;
  const uint64_t bytes = s.decompressed_bytes + s.head_chunk_bytes;
  const uint64_t lines = s.decompressed_lines + s.head_chunk_lines;
  w.BeginObject();
  w.Key("summary").BeginObject();
  w.Key("bytesProcessedPerSecond").Uint(exec_s > 0 ? static_cast<uint64_t>(bytes / exec_s) : 0);
  w.Key("linesProcessedPerSecond").Uint(exec_s > 0 ? static_cast<uint64_t>(lines / exec_s) : 0);
  w.Key("totalBytesProcessed").Uint(bytes);
  w.Key("totalLinesProcessed").Uint(lines);
  w.Key("execTime").Double(exec_s);
  w.Key("queueTime").Double(0);
  w.Key("subqueries").Int(0);
  w.Key("totalEntriesReturned").Uint(s.total_entries_returned);
  w.Key("splits").Int(0);
  w.Key("shards").Int(0);
  w.Key("totalPostFilterLines").Uint(s.post_filter_lines);
  w.Key("totalStructuredMetadataBytesProcessed").Int(0);
  w.EndObject();
  w.Key("querier").BeginObject().Key("store");
  WriteStoreStats(w, s, false);
  w.Key("querierExecTime").Double(exec_s);
  w.EndObject();
  w.Key("ingester").BeginObject();
  w.Key("totalReached").Int(1);
  w.Key("totalChunksMatched").Int(0);
  w.Key("totalBatches").Int(0);
  w.Key("totalLinesSent").Uint(s.head_chunk_lines);
  w.Key("store");
  WriteStoreStats(w, s, true);
  w.EndObject();
  w.Key("cache").BeginObject();
  for (const char* k : {"chunk", "index", "result", "statsResult", "volumeResult", "seriesResult",
                        "labelResult", "instantMetricResult", "logResult", "taskResult"}) {
    w.Key(k);
    WriteCache(w);
  }
  w.EndObject();
  w.Key("index").BeginObject();
  w.Key("totalChunks").Uint(s.total_chunks_ref);
  w.Key("postFilterChunks").Uint(s.total_chunks_downloaded);
  w.Key("shardsDuration").Int(0);
  w.Key("usedBloomFilters").Bool(s.blocks_skipped_by_bloom > 0);
  w.Key("totalStreams").Uint(s.total_streams);
  w.Key("chunkRefsLookupTime").Int(0);
  w.Key("bloomFilterTime").Int(0);
  w.EndObject();
  w.EndObject();
}

std::string EncodeQueryResponse(const QueryResult& r, const EncodeOptions& opts) {
  std::string out;
  out.reserve(256 + r.lines.size() * 160 + r.series.size() * 64);
  JsonWriter w(&out);
  w.BeginObject().Key("status").String("success");
  if (!r.warnings.empty()) {
    w.Key("warnings").BeginArray();
    for (const auto& s : r.warnings) w.String(s);
    w.EndArray();
  }
  w.Key("data").BeginObject();
  switch (r.type) {
    case logql::ResultType::kStreams:
      w.Key("resultType").String("streams");
      if (opts.categorize_labels) w.Key("encodingFlags").BeginArray().String("categorize-labels").EndArray();
      w.Key("result");
      WriteStreams(w, r.lines, opts);
      break;
    case logql::ResultType::kMatrix:
      w.Key("resultType").String("matrix").Key("result").BeginArray();
      for (const auto* s : SortedSeries(r)) {
        w.BeginObject().Key("metric");
        WriteLabelObject(w, s->metric.pairs());
        w.Key("values").BeginArray();
        for (const auto& p : s->points) WritePoint(w, p);
        w.EndArray().EndObject();
      }
      w.EndArray();
      break;
    case logql::ResultType::kVector:
      w.Key("resultType").String("vector").Key("result").BeginArray();
      for (const auto* s : SortedSeries(r)) {
        if (s->points.empty()) continue;
        w.BeginObject().Key("metric");
        WriteLabelObject(w, s->metric.pairs());
        w.Key("value");
        WritePoint(w, s->points.back());
        w.EndObject();
      }
      w.EndArray();
      break;
    case logql::ResultType::kScalar:
      w.Key("resultType").String("scalar").Key("result");
      WritePoint(w, r.scalar);
      break;
  }
  w.Key("stats");
  std::string stats;
  AppendStatsJson(&stats, r.stats);
  w.Raw(stats);
  w.EndObject().EndObject();
  return out;
}

std::string EncodeLegacyQueryResponse(const QueryResult& r) {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject().Key("streams").BeginArray();
  std::map<std::string, std::vector<const LogLine*>> groups;
  for (const auto& l : r.lines) {
    std::vector<Label> v;
    if (l.labels) {
      v = l.labels->stream.pairs();
      v.insert(v.end(), l.labels->parsed.pairs().begin(), l.labels->parsed.pairs().end());
    }
    groups[Labels(std::move(v)).ToString()].push_back(&l);
  }
  for (const auto& [labels, lines] : groups) {
    w.BeginObject().Key("labels").String(labels).Key("entries").BeginArray();
    for (const LogLine* l : lines) {
      w.BeginObject().Key("ts").String(common::FormatRFC3339Nano(l->timestamp_ns));
      w.Key("line").String(l->line).EndObject();
    }
    w.EndArray().EndObject();
  }
  w.EndArray().Key("stats");
  std::string stats;
  AppendStatsJson(&stats, r.stats);
  w.Raw(stats);
  w.EndObject();
  return out;
}

}  // namespace skald::server::api
