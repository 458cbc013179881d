#include "server/logql/range_aggregation.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <mutex>
#include <unordered_map>

#include "common/clock.h"
#include "common/time.h"
#include "server/logql/log/label_filter.h"
#include "server/logql/log/pipeline.h"
#include "server/logql/log/unwrap.h"
#include "server/logql/pipeline_builder.h"
#include "server/logql/required_labels.h"

namespace skald::server::logql {

namespace ql = common::logql;
using common::Label;
using common::Labels;
using common::Result;
using common::Status;

namespace {

struct Sample {
  int64_t ts;
  double value;
};

struct SeriesSamples {
  Labels labels;
  std::vector<Sample> samples;
};

bool UsesBytes(ql::RangeOp op) {
  return op == ql::RangeOp::kBytesOverTime || op == ql::RangeOp::kBytesRate;
}

// Applies a by/without grouping to a label set.
Labels Group(const Labels& all, const ql::Grouping& g) {
  std::vector<Label> out;
  for (const auto& l : all.pairs()) {
    bool listed = std::find(g.labels.begin(), g.labels.end(), l.name) != g.labels.end();
    if (listed != g.without) out.push_back(l);
  }
  return Labels(std::move(out));
}

log::UnwrapConv ToConv(ql::UnwrapConversion c) {
  switch (c) {
    case ql::UnwrapConversion::kNone: return log::UnwrapConv::kFloat;
    case ql::UnwrapConversion::kDuration: return log::UnwrapConv::kDuration;
    case ql::UnwrapConversion::kDurationSeconds: return log::UnwrapConv::kDurationSeconds;
    case ql::UnwrapConversion::kBytes: return log::UnwrapConv::kBytes;
  }
  return log::UnwrapConv::kFloat;
}

// ---- window functions (Prometheus/Loki semantics) ----

double AvgOverTime(const Sample* b, const Sample* e) {
  double mean = 0, count = 0;
  for (auto* s = b; s != e; ++s) {
    count++;
    if (std::isinf(mean)) {
      if (std::isinf(s->value) && (mean > 0) == (s->value > 0)) continue;
      if (!std::isinf(s->value) && !std::isnan(s->value)) continue;
    }
    mean += s->value / count - mean / count;
  }
  return mean;
}

double StdvarOverTime(const Sample* b, const Sample* e) {
  double aux = 0, count = 0, mean = 0;
  for (auto* s = b; s != e; ++s) {
    count++;
    double delta = s->value - mean;
    mean += delta / count;
    aux += delta * (s->value - mean);
  }
  return aux / count;
}

double Quantile(double q, std::vector<double> v) {
  if (v.empty()) return std::nan("");
  if (q < 0) return -std::numeric_limits<double>::infinity();
  if (q > 1) return std::numeric_limits<double>::infinity();
  std::sort(v.begin(), v.end());
  double n = static_cast<double>(v.size());
  double rank = q * (n - 1);
  size_t lower = static_cast<size_t>(std::max(0.0, std::floor(rank)));
  size_t upper = std::min(v.size() - 1, lower + 1);
  double weight = rank - std::floor(rank);
  return v[lower] * (1 - weight) + v[upper] * weight;
}

// Prometheus extrapolatedRate for counters over the window [start, end] (ns).
std::optional<double> RateCounter(const Sample* b, const Sample* e, int64_t start, int64_t end,
                                  int64_t range) {
  if (e - b < 2) return std::nullopt;
  double result = (e - 1)->value - b->value;
  double prev = b->value;
  for (auto* s = b + 1; s != e; ++s) {
    if (s->value < prev) result += prev;
    prev = s->value;
  }
  double to_start = static_cast<double>(b->ts - start) / 1e9;
  double to_end = static_cast<double>(end - (e - 1)->ts) / 1e9;
  double sampled = static_cast<double>((e - 1)->ts - b->ts) / 1e9;
  double avg_between = sampled / static_cast<double>(e - b - 1);
  if (result > 0 && b->value >= 0) {
    double to_zero = sampled * (b->value / result);
    if (to_zero < to_start) to_start = to_zero;
  }
  double threshold = avg_between * 1.1;
  double interval = sampled;
  interval += to_start < threshold ? to_start : avg_between / 2;
  interval += to_end < threshold ? to_end : avg_between / 2;
  result = result * (interval / sampled);
  return result / (static_cast<double>(range) / 1e9);
}

std::optional<double> EvalWindow(const ql::RangeAggregationExpr& expr, const Sample* b,
                                 const Sample* e, int64_t window_start, int64_t window_end) {
  const double range_s = static_cast<double>(expr.range.range_ns) / 1e9;
  if (b == e && expr.op != ql::RangeOp::kAbsentOverTime) return std::nullopt;
  double sum = 0;
  switch (expr.op) {
    case ql::RangeOp::kCountOverTime: return static_cast<double>(e - b);
    case ql::RangeOp::kRate:
      if (!expr.range.unwrap) return static_cast<double>(e - b) / range_s;
      [[fallthrough]];
    case ql::RangeOp::kSumOverTime:
    case ql::RangeOp::kBytesOverTime:
    case ql::RangeOp::kBytesRate:
      for (auto* s = b; s != e; ++s) sum += s->value;
      if (expr.op == ql::RangeOp::kRate || expr.op == ql::RangeOp::kBytesRate) return sum / range_s;
      return sum;
    case ql::RangeOp::kAvgOverTime: return AvgOverTime(b, e);
    case ql::RangeOp::kMinOverTime: {
      double m = b->value;
      for (auto* s = b; s != e; ++s) {
        if (s->value < m || std::isnan(m)) m = s->value;
      }
      return m;
    }
    case ql::RangeOp::kMaxOverTime: {
      double m = b->value;
      for (auto* s = b; s != e; ++s) {
        if (s->value > m || std::isnan(m)) m = s->value;
      }
      return m;
    }
    case ql::RangeOp::kStdvarOverTime: return StdvarOverTime(b, e);
    case ql::RangeOp::kStddevOverTime: return std::sqrt(StdvarOverTime(b, e));
    case ql::RangeOp::kQuantileOverTime: {
      std::vector<double> v;
      v.reserve(static_cast<size_t>(e - b));
      for (auto* s = b; s != e; ++s) v.push_back(s->value);
      return Quantile(expr.param.value_or(0), std::move(v));
    }
    case ql::RangeOp::kFirstOverTime: return b->value;
    case ql::RangeOp::kLastOverTime: return (e - 1)->value;
    case ql::RangeOp::kRateCounter:
      return RateCounter(b, e, window_start, window_end, expr.range.range_ns);
    case ql::RangeOp::kAbsentOverTime: return std::nullopt;  // handled by the caller
  }
  return std::nullopt;
}

// The labels absent_over_time reports: the selector's equality matchers.
Labels AbsentLabels(const ql::LogSelectorExpr& sel) {
  std::vector<Label> out;
  for (const auto& m : sel.matchers) {
    if (m.type() == common::MatchType::kEqual) out.push_back({m.name(), m.value()});
  }
  Labels l(std::move(out));
  if (l.FindDuplicateName()) return Labels();
  return l;
}

}  // namespace

Status PipelineError(const Labels& series) {
  std::string err(series.Get("__error__").value_or(""));
  return Status::InvalidArgument(
      "pipeline error: '" + err + "' for series: '" + series.ToString() + "'.\n" +
      "Use a label filter to intentionally skip this error. (e.g | __error__!=\"" + err +
      "\").\nTo skip all potential errors you can match empty errors.(e.g __error__=\"\")\n" +
      "The label filter can also be specified after unwrap. (e.g | unwrap latency | __error__=\"\" )");
}

Result<std::vector<StepSeries>> EvalRangeAggregation(const ql::RangeAggregationExpr& expr,
                                                     const EvalContext& ctx,
                                                     const ql::Grouping* override_grouping) {
  const ql::LogRange& range = expr.range;
  if (ctx.max_query_range > 0 && range.range_ns > ctx.max_query_range) {
    return Status::InvalidArgument("[interval] value exceeds limit: [" +
                                   common::FormatPromDuration(range.range_ns) + "] > [" +
                                   common::FormatPromDuration(ctx.max_query_range) + "]");
  }
  const ql::Grouping* grouping = expr.grouping ? &*expr.grouping : override_grouping;
  // Parsers extract only the labels the aggregation can observe.
  const RequiredLabels required = ComputeRequiredLabels(expr, grouping);
  auto stages = BuildStages(range.selector->stages, required.all ? nullptr : &required.names);
  if (!stages.ok()) return stages.status();
  std::optional<log::Unwrap> unwrap;
  std::vector<std::unique_ptr<log::Stage>> post;
  if (range.unwrap) {
    unwrap.emplace(range.unwrap->label, ToConv(range.unwrap->conversion));
    for (const auto& f : range.unwrap->post_filters) {
      auto s = BuildLabelFilter(*f);
      if (!s.ok()) return s.status();
      post.push_back(std::move(*s));
    }
  }
  const bool no_labels = grouping && !grouping->without && grouping->labels.empty();

  const int64_t first = ctx.steps.front(), last = ctx.steps.back();
  const int64_t from = first - range.offset_ns - range.range_ns + 1;  // window is left-open
  const int64_t through = last - range.offset_ns + 1;                 // and right-closed
  auto streams = ctx.querier->SelectStreams(ctx.tenant, range.selector->matchers, from, through);
  if (!streams.ok()) return streams.status();

  struct Task {
    const StreamSources* stream;
    EntrySource* source;
    ScanHints hints;
  };
  std::vector<Task> tasks;
  for (const auto& s : *streams) {
    ScanHints h = DeriveScanHints(*range.selector, *s.labels);
    for (const auto& src : s.sources) {
      if (src->MaxTime() < from || src->MinTime() >= through) continue;
      tasks.push_back({&s, src.get(), h});
    }
  }

  std::mutex mu;
  std::map<std::string, SeriesSamples> all;  // guarded by mu
  Status first_error;                        // guarded by mu
  ctx.pool->ParallelFor(tasks.size(), [&](size_t ti) {
    const Task& task = tasks[ti];
    QueryStats stats;
    log::Pipeline pipeline(*stages);
    log::StreamPipeline& sp = pipeline.ForStream(*task.stream->labels);
    // LabelsResult (cached by the builder) -> its series: one hash lookup per
    // sample instead of building and comparing label strings.
    std::unordered_map<const void*, SeriesSamples*> key_cache;
    // Holds every keyed result alive so its address cannot be reused by
    // another label set after the builder evicts it from its own cache.
    std::vector<std::shared_ptr<const log::LabelsResult>> key_owners;
    std::map<std::string, SeriesSamples> local;
    auto it = task.source->Open(from, through, iter::Direction::kForward, task.hints, &stats);
    Status st = it.ok() ? Status() : it.status();
    std::vector<Label> metadata;
    size_t n = 0;
    while (st.ok() && (*it)->Next()) {
      const iter::EntryRef& e = (*it)->At();
      if (++n % 4096 == 0 && ctx.deadline_mono_ns &&
          common::Clock::Real()->MonotonicNanos() > ctx.deadline_mono_ns) {
        st = Status::Timeout("query timed out");
        break;
      }
      metadata.assign(e.metadata.begin(), e.metadata.end());
      std::string_view line = e.line;
      if (!sp.ProcessNoLabels(e.timestamp_ns, &line, &metadata)) continue;
      log::LabelsBuilder& b = sp.builder();
      double value = UsesBytes(expr.op) ? static_cast<double>(line.size()) : 1.0;
      if (unwrap) {
        auto v = unwrap->Extract(b);
        if (!v) continue;
        value = *v;
        bool keep = true;
        for (const auto& f : post) {
          std::string_view l2 = line;
          if (!f->Process(e.timestamp_ns, l2, b)) {
            keep = false;
            break;
          }
        }
        if (!keep) continue;
      }
      auto res = b.Result();
      auto cached = key_cache.find(res.get());
      if (cached == key_cache.end()) {
        Labels out;
        // An erroring sample keeps all its labels whatever the grouping, so
        // the error surfaces (Loki's GroupedLabels). A json/logfmt parser
        // whose labels nothing reads is not run at all (required labels), so
        // `sum(count_over_time({…} | json [5m]))` raises no error, as in Loki.
        if (b.HasErr() || !grouping) {
          out = res->labels;
          if (unwrap && !b.HasErr()) {
            std::vector<Label> v;
            for (const auto& l : out.pairs()) {
              if (l.name != unwrap->label()) v.push_back(l);
            }
            out = Labels(std::move(v));
          }
        } else if (!no_labels) {
          out = Group(res->labels, *grouping);
          // Loki's LabelExtractorWithStages adds the unwrapped label to a
          // `without` list: it never survives as a series label.
          if (unwrap && grouping->without) {
            std::vector<Label> v;
            for (const auto& l : out.pairs()) {
              if (l.name != unwrap->label()) v.push_back(l);
            }
            out = Labels(std::move(v));
          }
        }
        auto& ss = local[out.ToString()];
        if (ss.labels.empty()) ss.labels = std::move(out);
        cached = key_cache.emplace(res.get(), &ss).first;  // std::map nodes are stable
        key_owners.push_back(res);
      }
      cached->second->samples.push_back({e.timestamp_ns, value});
    }
    if (st.ok() && it.ok()) st = (*it)->status();
    std::lock_guard<std::mutex> l(mu);
    ctx.stats->Merge(stats);
    if (!st.ok()) {
      if (first_error.ok()) first_error = st;
      return;
    }
    for (auto& [k, ss] : local) {
      auto& dst = all[k];
      if (dst.samples.empty()) dst.labels = std::move(ss.labels);
      dst.samples.insert(dst.samples.end(), ss.samples.begin(), ss.samples.end());
    }
  });
  if (!first_error.ok()) return first_error;

  const size_t n_steps = ctx.steps.size();
  std::vector<StepSeries> out;
  if (expr.op == ql::RangeOp::kAbsentOverTime) {
    StepSeries s{AbsentLabels(*range.selector), std::vector<double>(n_steps, 1.0),
                 std::vector<uint8_t>(n_steps, 1)};
    for (auto& [_, ss] : all) {
      std::sort(ss.samples.begin(), ss.samples.end(),
                [](const Sample& a, const Sample& b) { return a.ts < b.ts; });
    }
    bool any = false;
    for (size_t i = 0; i < n_steps; ++i) {
      int64_t hi = ctx.steps[i] - range.offset_ns, lo = hi - range.range_ns;
      for (auto& [_, ss] : all) {
        auto b = std::upper_bound(ss.samples.begin(), ss.samples.end(), lo,
                                  [](int64_t t, const Sample& s) { return t < s.ts; });
        if (b != ss.samples.end() && b->ts <= hi) {
          s.has[i] = 0;
          break;
        }
      }
      any = any || s.has[i];
    }
    if (any) out.push_back(std::move(s));
    return out;
  }

  for (auto& [_, ss] : all) {
    if (ss.labels.Get("__error__")) return PipelineError(ss.labels);
    auto& v = ss.samples;
    std::stable_sort(v.begin(), v.end(), [](const Sample& a, const Sample& b) { return a.ts < b.ts; });
    StepSeries s{std::move(ss.labels), std::vector<double>(n_steps, 0.0),
                 std::vector<uint8_t>(n_steps, 0)};
    size_t lo_i = 0, hi_i = 0;
    bool any = false;
    for (size_t i = 0; i < n_steps; ++i) {
      int64_t hi = ctx.steps[i] - range.offset_ns, lo = hi - range.range_ns;
      while (hi_i < v.size() && v[hi_i].ts <= hi) ++hi_i;
      while (lo_i < hi_i && v[lo_i].ts <= lo) ++lo_i;
      auto r = EvalWindow(expr, v.data() + lo_i, v.data() + hi_i, lo, hi);
      if (r) {
        s.values[i] = *r;
        s.has[i] = 1;
        any = true;
      }
    }
    if (any) out.push_back(std::move(s));
  }
  return out;
}

}  // namespace skald::server::logql
