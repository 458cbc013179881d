#include "server/api/volume_handler.h"

#include <algorithm>
#include <charconv>
#include <map>
#include <memory>
#include <set>

#include "common/json_writer.h"
#include "common/logql/parser.h"
#include "server/api/error_response.h"
#include "server/api/query_encoder.h"
#include "server/api/query_params.h"

namespace skald::server::api {

using common::Label;
using common::Labels;
using common::Matcher;
using common::Result;
using common::Status;
using common::http::Request;
using common::http::Response;

namespace {

constexpr int64_t kNanosPerMs = 1'000'000;
constexpr int64_t kNanosPerSec = 1'000'000'000;
constexpr uint32_t kDefaultVolumeLimit = 100;

// Go's time.Time.Unix() for our ns timestamps (floor division).
int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

// Loki's util.GetFactorOfTime: the fraction of [min, max] inside [from, through].
double FactorOfTime(int64_t from, int64_t through, int64_t min, int64_t max) {
  if (from > max || through < min) return 0;
  if (min == max) return 1;
  const int64_t total = max - min;
  const int64_t leading = std::max<int64_t>(0, from - min);
  const int64_t trailing = std::max<int64_t>(0, max - through);
  return static_cast<double>(total - (leading + trailing)) / static_cast<double>(total);
}

std::vector<std::string> SplitTargetLabels(std::string_view v) {
  // Go's strings.Split(v, ","), with a lone "" meaning none.
  std::vector<std::string> out;
  if (v.empty()) return out;
  size_t pos = 0;
  while (true) {
    size_t comma = v.find(',', pos);
    out.emplace_back(v.substr(pos, comma == std::string_view::npos ? v.npos : comma - pos));
    if (comma == std::string_view::npos) break;
    pos = comma + 1;
  }
  return out;
}

Result<bool> ParseAggregateBy(const Request& req) {
  std::string_view v = req.Param("aggregateBy");
  if (v.empty() || v == "series") return false;
  if (v == "labels") return true;
  return Status::InvalidArgument("invalid aggregation option");
}

// Loki's volumeLimit: 0 means the default; the rest is the usual `limit` rule.
// Returns the request with `limit` rewritten when it was 0.
Request WithVolumeLimit(const Request& req) {
  Request out = req;
  std::string_view v = req.Param("limit");
  int64_t n = -1;
  auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (!v.empty() && ec == std::errc() && ptr == v.data() + v.size() && n == 0) {
    for (auto& [k, val] : out.params) {
      if (k == "limit") val = std::to_string(kDefaultVolumeLimit);
    }
  }
  return out;
}

struct VolumeRequest {
  std::string tenant;
  std::string query;
  int64_t start_ns = 0;
  int64_t end_ns = 0;
  int64_t step_ns = 0;  // 0 for the instant endpoint
  uint32_t limit = kDefaultVolumeLimit;
  std::vector<std::string> target_labels;
  bool by_labels = false;
};

Result<VolumeRequest> ParseVolumeRequest(const VolumeApi& api, const Request& raw, bool range) {
  VolumeRequest v;
  auto tenant = ReadTenant(raw, api.tenants);
  if (!tenant.ok()) return tenant.status();
  v.tenant = std::move(tenant).value();
  const Request req = WithVolumeLimit(raw);
  const int64_t now = api.clock->NowNanos();
  if (range) {
    auto p = ParseRangeQuery(req, now);
    if (!p.ok()) return p.status();
    auto by = ParseAggregateBy(req);
    if (!by.ok()) return by.status();
    v.by_labels = *by;
    v.query = p->query;
    v.start_ns = p->start_ns;
    v.end_ns = p->end_ns;
    v.step_ns = p->step_ns;
    v.limit = p->limit;
  } else {
    auto p = ParseInstantQuery(req, now);
    if (!p.ok()) return p.status();
    auto by = ParseAggregateBy(req);
    if (!by.ok()) return by.status();
    v.by_labels = *by;
    auto bounds = ParseTimeBounds(req, now);
    if (!bounds.ok()) return bounds.status();
    if (bounds->end_ns < bounds->start_ns) {
      return Status::InvalidArgument("end timestamp must not be before or equal to start time");
    }
    v.query = p->query;
    v.start_ns = bounds->start_ns;
    v.end_ns = bounds->end_ns;
    v.limit = p->limit;
  }
  v.target_labels = SplitTargetLabels(req.Param("targetLabels"));
  return v;
}

// Index chunks and head spans of the streams matching `g`, by stream.
Result<std::vector<VolumeStream>> CollectStreams(const VolumeApi& api, const std::string& tenant,
                                                 const VolumeGrouping& g, int64_t from_ns,
                                                 int64_t through_ns) {
  auto indexed = api.index->VolumeChunks(tenant, g.matchers, from_ns, through_ns);
  if (!indexed.ok()) return indexed.status();
  std::map<std::string, VolumeStream> by_text;
  for (auto& s : *indexed) {
    VolumeStream& v = by_text[s.labels.ToString()];
    v.labels = std::move(s.labels);
    v.chunks = std::move(s.chunks);
  }
  if (api.ingester != nullptr) {
    api.ingester->ForEachStreamStats(
        tenant, g.matchers, from_ns, through_ns,
        [&](const Labels& labels, const ingest::HeadStats& h) {
          if (h.entries == 0) return;
          VolumeStream& v = by_text[labels.ToString()];
          v.labels = labels;
          v.chunks.push_back({h.min_ts, h.max_ts, h.entries, h.bytes});
        });
  }
  std::vector<VolumeStream> out;
  out.reserve(by_text.size());
  for (auto& [text, v] : by_text) out.push_back(std::move(v));
  return out;
}

void WriteMetric(common::JsonWriter& w, const std::string& name, bool by_labels) {
  w.BeginObject();
  if (by_labels) {
    w.Key(name).String("");
  } else if (auto labels = common::ParseLabels(name); labels.ok()) {
    for (const auto& l : labels->pairs()) w.Key(l.name).String(l.value);
  }
  w.EndObject();
}

void WriteSample(common::JsonWriter& w, int64_t t_ms, uint64_t bytes) {
  w.BeginArray()
      .Raw(FormatModelTime(t_ms))
      .String(common::FormatFloatGo(static_cast<double>(bytes)))
      .EndArray();
}

Response Volume(const VolumeApi& api, const Request& raw, bool range) {
  auto v = ParseVolumeRequest(api, raw, range);
  if (!v.ok()) return ErrorResponse(v.status());
  if (api.limits && !api.limits(v->tenant).volume_enabled) {
    return ErrorResponse(Status::NotFound("not found"));
  }
  auto grouping = MakeVolumeGrouping(v->query, v->target_labels, v->by_labels);
  if (!grouping.ok()) return ErrorResponse(grouping.status());

  // Loki's RoundToMilliseconds, then the frontend's buckets.
  const int64_t from_ms = FloorDiv(v->start_ns, kNanosPerMs);
  const int64_t through_ms = FloorDiv(v->end_ns + kNanosPerMs - 1, kNanosPerMs);
  const auto buckets =
      VolumeBuckets(from_ms * kNanosPerMs, through_ms * kNanosPerMs, range ? v->step_ns : 0);
  const int64_t fetch_from = FloorDiv(from_ms, 1000) * kNanosPerSec;
  const int64_t fetch_through = through_ms * kNanosPerMs;
  auto streams = CollectStreams(api, v->tenant, *grouping, fetch_from, fetch_through);
  if (!streams.ok()) return ErrorResponse(streams.status());

  std::map<std::string, std::vector<std::pair<int64_t, uint64_t>>> series;
  for (const auto& b : buckets) {
    auto samples = VolumeInWindow(*streams, *grouping, b.from_ns, b.through_ns, v->limit);
    if (!samples.ok()) return ErrorResponse(samples.status());
    for (const auto& s : *samples) series[s.name].emplace_back(b.t_ms, s.bytes);
  }
  struct Out {
    const std::string* name;
    std::vector<std::pair<int64_t, uint64_t>>* samples;
  };
  std::vector<Out> sorted;
  bool matrix = false;
  for (auto& [name, samples] : series) {
    std::sort(samples.begin(), samples.end());
    if (samples.size() > 1) matrix = true;
    sorted.push_back({&name, &samples});
  }
  std::sort(sorted.begin(), sorted.end(), [](const Out& a, const Out& b) {
    if ((*a.samples)[0].second != (*b.samples)[0].second) {
      return (*a.samples)[0].second > (*b.samples)[0].second;
    }
    return *a.name < *b.name;
  });

  std::string out;
  common::JsonWriter w(&out);
  w.BeginObject().Key("status").String("success").Key("data").BeginObject();
  w.Key("resultType").String(matrix ? "matrix" : "vector").Key("result").BeginArray();
  for (const auto& s : sorted) {
    w.BeginObject().Key("metric");
    WriteMetric(w, *s.name, grouping->by_labels);
    if (matrix) {
      w.Key("values").BeginArray();
      for (const auto& [t, bytes] : *s.samples) WriteSample(w, t, bytes);
      w.EndArray();
    } else {
      w.Key("value");
      WriteSample(w, (*s.samples)[0].first, (*s.samples)[0].second);
    }
    w.EndObject();
  }
  w.EndArray().Key("stats");
  std::string stats;
  AppendStatsJson(&stats, logql::QueryStats{});
  w.Raw(stats);
  w.EndObject().EndObject();
  return Response::Json(200, std::move(out));
}

}  // namespace

Result<VolumeGrouping> MakeVolumeGrouping(std::string_view query,
                                          const std::vector<std::string>& target_labels,
                                          bool by_labels) {
  VolumeGrouping g;
  g.by_labels = by_labels;
  // Loki accepts the literal `{}` (seriesvolume.MatchAny) as "every stream".
  const bool match_any = query == "{}";
  if (!match_any) {
    auto m = common::logql::ParseMatchers(query, true);
    if (!m.ok()) return Status::InvalidArgument(m.status().message());
    g.matchers = std::move(m).value();
  }
  std::set<std::string> names;
  if (!target_labels.empty()) {
    for (const auto& t : target_labels) {
      names.insert(t);
      auto m = Matcher::Create(common::MatchType::kRegex, t, ".+");
      if (!m.ok()) return m.status();
      g.matchers.push_back(std::move(m).value());
    }
  } else if (match_any) {
    g.all_labels = true;
  } else {
    for (const auto& m : g.matchers) names.insert(m.name());
  }
  g.group_names.assign(names.begin(), names.end());
  return g;
}

Result<std::vector<VolumeSample>> VolumeInWindow(const std::vector<VolumeStream>& streams,
                                                 const VolumeGrouping& g, int64_t from_ns,
                                                 int64_t through_ns, uint32_t limit) {
  std::map<std::string, uint64_t> volumes;
  auto grouped = [&](std::string_view name) {
    return g.all_labels || std::binary_search(g.group_names.begin(), g.group_names.end(), name);
  };
  for (const auto& s : streams) {
    uint64_t bytes = 0, entries = 0;
    for (const auto& c : s.chunks) {
      const double f = FactorOfTime(from_ns, through_ns, c.from_ts, c.through_ts);
      bytes += static_cast<uint64_t>(static_cast<double>(c.bytes) * f);
      entries += static_cast<uint64_t>(static_cast<double>(c.entries) * f);
    }
    if (entries == 0) continue;
    if (g.by_labels) {
      for (const auto& l : s.labels.pairs()) {
        if (grouped(l.name)) volumes[l.name] += bytes;
      }
    } else {
      std::vector<Label> key;
      for (const auto& l : s.labels.pairs()) {
        if (grouped(l.name)) key.push_back(l);
      }
      volumes[Labels(std::move(key)).ToString()] += bytes;
    }
    if (volumes.size() > kMaxVolumeSeries) {
      return Status::InvalidArgument("the query hit the max number of series limit (limit: " +
                                     std::to_string(kMaxVolumeSeries) + " series)");
    }
  }
  std::vector<VolumeSample> out;
  out.reserve(volumes.size());
  for (auto& [name, bytes] : volumes) out.push_back({name, bytes});
  std::sort(out.begin(), out.end(), [](const VolumeSample& a, const VolumeSample& b) {
    if (a.bytes != b.bytes) return a.bytes > b.bytes;
    return a.name < b.name;
  });
  if (out.size() > limit) out.resize(limit);
  return out;
}

std::vector<VolumeBucket> VolumeBuckets(int64_t start_ns, int64_t end_ns, int64_t step_ns) {
  // Loki's util.ForInterval (end time inclusive: 1 ms gap between buckets);
  // each sub-request then covers whole seconds (model.TimeFromUnix(t.Unix())).
  std::vector<VolumeBucket> out;
  auto add = [&](int64_t from, int64_t through) {
    out.push_back({FloorDiv(from, kNanosPerSec) * kNanosPerSec,
                   FloorDiv(through, kNanosPerSec) * kNanosPerSec, FloorDiv(through, kNanosPerMs)});
  };
  if (step_ns <= 0) {
    add(start_ns, end_ns);
    return out;
  }
  const int64_t aligned = start_ns - start_ns % step_ns;
  bool first = true;
  for (int64_t s = aligned; s < end_ns; s += step_ns) {
    int64_t bucket_end = s + step_ns;
    if (bucket_end >= end_ns) {
      bucket_end = end_ns;
    } else {
      bucket_end -= kNanosPerMs;
    }
    add(first ? start_ns : s, bucket_end);
    first = false;
  }
  return out;
}

Response HandleVolume(const VolumeApi& api, const Request& req) { return Volume(api, req, false); }

Response HandleVolumeRange(const VolumeApi& api, const Request& req) {
  return Volume(api, req, true);
}

void RegisterVolumeRoutes(common::http::Router* router, VolumeApi api) {
  auto shared = std::make_shared<const VolumeApi>(std::move(api));
  router->Handle({"GET", "POST"}, "/loki/api/v1/index/volume",
                 [shared](const Request& r) { return HandleVolume(*shared, r); });
  router->Handle({"GET", "POST"}, "/loki/api/v1/index/volume_range",
                 [shared](const Request& r) { return HandleVolumeRange(*shared, r); });
}

}  // namespace skald::server::api
