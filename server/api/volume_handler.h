// Volume endpoints (CONTRACT §1.4), answered from the index's chunk metadata
// and the ingester's head statistics — no chunk is read or decompressed:
//
//   GET|POST /loki/api/v1/index/volume        Prometheus vector JSON
//   GET|POST /loki/api/v1/index/volume_range  Prometheus matrix JSON
//
// Parameters as Loki: `query` (a stream selector, or `{}` for every stream),
// `start`/`end`/`since` (query_range defaults), `limit` (default 100, 0 means
// 100, negative -> 400), `step` (volume_range; query_range rules),
// `targetLabels` (comma list), `aggregateBy` = series (default) | labels.
//
// Semantics follow Loki's TSDB index (pkg/util PrepareLabelsAndMatchers,
// TSDBIndex.Volume) and its query-frontend volume middleware:
// - grouping: by `targetLabels` when given (streams lacking one are
//   skipped), else by the label names the selector mentions, else (`{}`) by
//   every label; `aggregateBy=labels` sums per label name (metric {name:""});
// - a chunk partly inside a window counts with the fraction of its time span
//   inside it (Loki's GetFactorOfTime), a stream only when its prorated
//   entries are > 0; bytes are raw line + structured-metadata bytes;
// - volume_range splits [start, end] into step buckets aligned to multiples
//   of step (first bucket keeps `start`, buckets end 1 ms before the next
//   one), each evaluated over whole seconds and stamped with its end; `limit`
//   applies per bucket;
// - series are sorted by their first value descending, then name; the result
//   is a vector when no series has two samples (so also for a one-bucket
//   volume_range, as Loki), else a matrix; `stats` is all zeros.
// Deviations: bytes are exact, not rounded to Loki's index KiB; head data of
// a stream is prorated as one span (Loki prorates per head chunk).
//
// Concurrency: handlers are pure functions of (VolumeApi, Request); the index
// and ingester are thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/http/request.h"
#include "common/http/response.h"
#include "common/http/router.h"
#include "common/labels.h"
#include "common/matcher.h"
#include "common/status.h"
#include "common/tenant_limits.h"
#include "server/api/tenant.h"
#include "server/ingest/ingester.h"
#include "server/store/index.h"

namespace skald::server::api {

// Loki's volume_max_series default: more distinct series (or label names) in
// one bucket -> 400 `the query hit the max number of series limit (limit: N series)`.
constexpr size_t kMaxVolumeSeries = 1000;

struct VolumeApi {
  store::Index* index = nullptr;               // required
  const ingest::Ingester* ingester = nullptr;  // optional (unflushed head data)
  TenantOptions tenants;
  // Effective limits of a tenant; volume_enabled=false -> 404 `not found`.
  // Empty function: volume enabled for everyone.
  std::function<common::TenantLimits(std::string_view tenant)> limits;
  const common::Clock* clock = common::Clock::Real();
};

// How volumes are grouped; built from the request by Loki's rules.
struct VolumeGrouping {
  std::vector<common::Matcher> matchers;   // incl. `name=~".+"` per target label
  std::vector<std::string> group_names;    // sorted; unused when `all_labels`
  bool all_labels = false;                 // `{}` without target labels
  bool by_labels = false;                  // aggregateBy=labels
};

// One stream with its data spans (index chunks and head data alike).
struct VolumeStream {
  common::Labels labels;
  std::vector<store::VolumeChunk> chunks;
};

// One result of one window: the series text (`{a="1"}`) or label name, bytes.
struct VolumeSample {
  std::string name;
  uint64_t bytes = 0;
  bool operator==(const VolumeSample&) const = default;
};

// One volume_range bucket: data window [from_ns, through_ns] (whole
// seconds, inclusive) and the sample time (ms).
struct VolumeBucket {
  int64_t from_ns = 0;
  int64_t through_ns = 0;
  int64_t t_ms = 0;
  bool operator==(const VolumeBucket&) const = default;
};

// Loki's grouping for `query` and `targetLabels`. InvalidArgument for a bad
// selector (parse error text, or `only label matchers are supported`).
common::Result<VolumeGrouping> MakeVolumeGrouping(std::string_view query,
                                                  const std::vector<std::string>& target_labels,
                                                  bool by_labels);

// The volumes of `streams` inside [from_ns, through_ns], grouped, sorted by
// bytes descending then name, at most `limit`. InvalidArgument past
// kMaxVolumeSeries groups.
common::Result<std::vector<VolumeSample>> VolumeInWindow(const std::vector<VolumeStream>& streams,
                                                         const VolumeGrouping& grouping,
                                                         int64_t from_ns, int64_t through_ns,
                                                         uint32_t limit);

// The buckets of [start_ns, end_ns] for `step_ns` (0 = one bucket, instant).
std::vector<VolumeBucket> VolumeBuckets(int64_t start_ns, int64_t end_ns, int64_t step_ns);

common::http::Response HandleVolume(const VolumeApi& api, const common::http::Request& req);
common::http::Response HandleVolumeRange(const VolumeApi& api, const common::http::Request& req);

// Registers both routes (GET and POST); the router keeps its own copy of `api`.
void RegisterVolumeRoutes(common::http::Router* router, VolumeApi api);

}  // namespace skald::server::api
