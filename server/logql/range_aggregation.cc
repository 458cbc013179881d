#include "server/logql/range_aggregation.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <mutex>
#include <span>
#include <unordered_map>

#include "common/clock.h"
#include "common/time.h"
#include "server/logql/log/label_filter.h"
#include "server/logql/log/pipeline.h"
#include "server/logql/log/unwrap.h"
#include "server/logql/pipeline_builder.h"
#include "server/logql/required_labels.h"
#include "server/logql/step_windows.h"

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

// One output series while samples are gathered: materialised samples, or
// per-step totals for additive aggregations.
struct SeriesAcc {
  bool init = false;
  Labels labels;
  std::vector<Sample> samples;
  // Where each task's samples start in `samples` (each task's part is
  // sorted by time in the task, so the whole is a merge of these runs).
  std::vector<size_t> run_starts;
  std::optional<StepTotals> totals;
};

// Sorts `v`, made of the time-sorted runs starting at `starts`, stably by
// time (equal times keep their order in `v`): pairwise merges, O(n log runs).
void MergeSortedRuns(std::vector<Sample>& v, std::vector<size_t> starts) {
  auto by_ts = [](const Sample& a, const Sample& b) { return a.ts < b.ts; };
  starts.push_back(v.size());
  while (starts.size() > 2) {
    std::vector<size_t> next;
    size_t k = 0;
    for (; k + 2 < starts.size(); k += 2) {
      std::inplace_merge(v.begin() + static_cast<std::ptrdiff_t>(starts[k]),
                         v.begin() + static_cast<std::ptrdiff_t>(starts[k + 1]),
                         v.begin() + static_cast<std::ptrdiff_t>(starts[k + 2]), by_ts);
      next.push_back(starts[k]);
    }
    for (; k < starts.size(); ++k) next.push_back(starts[k]);
    starts = std::move(next);
  }
}

bool UsesBytes(ql::RangeOp op) {
  return op == ql::RangeOp::kBytesOverTime || op == ql::RangeOp::kBytesRate;
}

// Aggregations whose window value is a function of the window's sample
// count and byte total only.
bool IsAdditive(ql::RangeOp op) {
  return op == ql::RangeOp::kCountOverTime || op == ql::RangeOp::kRate ||
         op == ql::RangeOp::kBytesOverTime || op == ql::RangeOp::kBytesRate;
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

// Prometheus' quantile of `v` (its sort.Float64s order: NaN first).
// Selects the two ranks it needs instead of sorting; reorders `v`.
double Quantile(double q, std::vector<double>& v) {
  if (v.empty()) return std::nan("");
  if (q < 0) return -std::numeric_limits<double>::infinity();
  if (q > 1) return std::numeric_limits<double>::infinity();
  auto less = [](double a, double b) { return a < b || (std::isnan(a) && !std::isnan(b)); };
  double n = static_cast<double>(v.size());
  double rank = q * (n - 1);
  size_t lower = static_cast<size_t>(std::max(0.0, std::floor(rank)));
  size_t upper = std::min(v.size() - 1, lower + 1);
  double weight = rank - std::floor(rank);
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(lower), v.end(), less);
  const double lo = v[lower];
  double hi = lo;
  if (upper != lower) hi = *std::min_element(v.begin() + static_cast<std::ptrdiff_t>(upper), v.end(), less);
  return lo * (1 - weight) + hi * weight;
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

// `scratch`: reused by quantile_over_time for the window's values.
std::optional<double> EvalWindow(const ql::RangeAggregationExpr& expr, const Sample* b,
                                 const Sample* e, int64_t window_start, int64_t window_end,
                                 std::vector<double>* scratch) {
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
      scratch->clear();
      for (auto* s = b; s != e; ++s) scratch->push_back(s->value);
      return Quantile(expr.param.value_or(0), *scratch);
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

namespace {

// What every extraction task of one range aggregation shares (read-only).
struct Extraction {
  const ql::RangeAggregationExpr* expr = nullptr;
  const ql::Grouping* grouping = nullptr;  // null: none
  bool no_labels = false;                  // `by ()`
  bool additive = false;                   // StepTotals instead of samples
  const RequiredLabels* required = nullptr;
  const std::vector<std::shared_ptr<const log::Stage>>* stages = nullptr;
  const log::Unwrap* unwrap = nullptr;     // null: no unwrap
  const std::vector<std::unique_ptr<log::Stage>>* post = nullptr;
  const StepWindows* windows = nullptr;
  size_t n_steps = 0;
  int64_t from = 0, through = 0;
  int64_t deadline_mono_ns = 0;
};

struct Task {
  const StreamSources* stream;
  EntrySource* source;
  ScanHints hints;
};

// Caches the grouped-key -> series map of one task.
class TaskSeries {
 public:
  // Cached LabelsResult pointers are dropped past this many (a line label
  // set unique per entry, e.g. structured metadata, would grow it forever).
  static constexpr size_t kMaxCachedResults = 1 << 14;

  // Grouping-value keys kept in a list scanned linearly (a `by` grouping
  // has a handful of values); more go to a hash map.
  static constexpr size_t kMaxLinearKeys = 16;

  explicit TaskSeries(const Extraction& x) : x_(x), cursor_(*x.windows) {}

  SeriesAcc& For(Labels out) {
    auto& ss = local_[out.ToString()];  // std::map nodes are stable
    if (!ss.init) {
      ss.init = true;
      ss.labels = std::move(out);
      if (x_.additive) ss.totals.emplace(x_.n_steps);
    }
    return ss;
  }

  void Add(SeriesAcc& ss, int64_t ts, double value, size_t bytes) {
    if (x_.additive) {
      size_t lo = 0, hi = 0;
      if (cursor_.Covering(ts, &lo, &hi)) ss.totals->Add(lo, hi, static_cast<int64_t>(bytes));
    } else {
      ss.samples.push_back({ts, value});
    }
  }

  // The series of the line in `b` (its labels finished, no error or an error).
  SeriesAcc& ForLine(log::LabelsBuilder& b) {
    if (x_.grouping && !x_.grouping->without && !b.HasErr()) {
      // Key: the grouping labels' values, length-prefixed.
      key_.clear();
      for (const auto& name : x_.grouping->labels) {
        std::string_view v = b.GetOrEmpty(name);
        uint32_t n = static_cast<uint32_t>(v.size());
        key_.append(reinterpret_cast<const char*>(&n), sizeof n);
        key_.append(v);
      }
      for (auto& [k, ss] : few_) {
        if (k == key_) return *ss;
      }
      if (!by_values_.empty()) {
        auto it = by_values_.find(key_);
        if (it != by_values_.end()) return *it->second;
      }
      Labels out = x_.no_labels ? Labels() : Group(b.Result()->labels, *x_.grouping);
      SeriesAcc& ss = For(std::move(out));
      if (few_.size() < kMaxLinearKeys) {
        few_.emplace_back(key_, &ss);
      } else {
        by_values_.emplace(key_, &ss);
      }
      return ss;
    }
    auto res = b.Result();
    auto cached = by_result_.find(res.get());
    if (cached != by_result_.end()) return *cached->second;
    Labels out;
    // An erroring sample keeps all its labels whatever the grouping, so
    // the error surfaces (Loki's GroupedLabels). A json/logfmt parser
    // whose labels nothing reads is not run at all (required labels), so
    // `sum(count_over_time({…} | json [5m]))` raises no error, as in Loki.
    if (b.HasErr() || !x_.grouping) {
      out = res->labels;
      if (x_.unwrap && !b.HasErr()) out = Without(out, x_.unwrap->label());
    } else if (!x_.no_labels) {
      out = Group(res->labels, *x_.grouping);
      // Loki's LabelExtractorWithStages adds the unwrapped label to a
      // `without` list: it never survives as a series label.
      if (x_.unwrap && x_.grouping->without) out = Without(out, x_.unwrap->label());
    }
    SeriesAcc& ss = For(std::move(out));
    if (by_result_.size() >= kMaxCachedResults) {
      by_result_.clear();
      owners_.clear();
    }
    by_result_.emplace(res.get(), &ss);
    // Keeps the result alive so its address is not reused by another label
    // set after the builder evicts it from its own cache.
    owners_.push_back(std::move(res));
    return ss;
  }

  std::map<std::string, SeriesAcc>& local() { return local_; }

 private:
  static Labels Without(const Labels& l, const std::string& name) {
    std::vector<Label> v;
    for (const auto& p : l.pairs()) {
      if (p.name != name) v.push_back(p);
    }
    return Labels(std::move(v));
  }

  const Extraction& x_;
  std::map<std::string, SeriesAcc> local_;
  StepCursor cursor_;
  std::string key_;
  std::vector<std::pair<std::string, SeriesAcc*>> few_;  // first kMaxLinearKeys keys
  std::unordered_map<std::string, SeriesAcc*> by_values_;  // the rest
  std::unordered_map<const void*, SeriesAcc*> by_result_;
  std::vector<std::shared_ptr<const log::LabelsResult>> owners_;
};

bool TimedOut(int64_t deadline) {
  return deadline != 0 && common::Clock::Real()->MonotonicNanos() > deadline;
}

// Count/bytes of a selector without pipeline, grouped `by` stream labels
// only: each entry's series is the stream's, and only timestamps and line
// lengths are read (no line text, no metadata). NotFound when the task does
// not qualify or its source declines.
Status ScanSizes(const Extraction& x, const Task& task, TaskSeries* series, QueryStats* stats) {
  const Labels& stream = *task.stream->labels;
  if (!x.additive || !x.expr->range.selector->stages.empty() || !x.grouping ||
      x.grouping->without) {
    return Status::NotFound("not entry sizes only");
  }
  for (const auto& name : x.grouping->labels) {
    if (!stream.Get(name)) return Status::NotFound("grouping label not a stream label");
  }
  SeriesAcc* ss = nullptr;
  bool timed_out = false;
  StepCursor cursor(*x.windows);
  auto done = task.source->ScanEntrySizes(x.from, x.through, stats, [&](const EntrySizes& run) {
    if (timed_out || (timed_out = TimedOut(x.deadline_mono_ns))) return;
    if (!ss) ss = &series->For(x.no_labels ? Labels() : Group(stream, *x.grouping));
    // Consecutive entries covered by the same steps (a block's timestamps
    // ascend) are added at once: their count, and their bytes from the
    // line offsets. Runs in any order stay correct, only slower.
    const std::span<const int64_t> t = run.timestamps;
    const size_t n = t.size();
    for (size_t i = 0; i < n;) {
      size_t lo = 0, hi = 0;
      int64_t span_lo = 0, span_hi = 0;
      if (t[i] < x.from || t[i] >= x.through || !cursor.Covering(t[i], &lo, &hi, &span_lo, &span_hi)) {
        ++i;
        continue;
      }
      size_t j = i + 1;
      while (j < n && t[j] >= span_lo && t[j] <= span_hi && t[j] >= x.from && t[j] < x.through) ++j;
      ss->totals->Add(lo, hi, static_cast<int64_t>(j - i),
                      static_cast<int64_t>(run.line_offsets[j]) - static_cast<int64_t>(run.line_offsets[i]));
      i = j;
    }
  });
  if (!done.ok()) return done.status();
  if (!*done) return Status::NotFound("source declined");
  if (timed_out) return Status::Timeout("query timed out");
  return Status::OK();
}

// Runs a task's pipeline, unwrap and post-unwrap filters on its entries.
// Only metadata the query can observe is handed to the pipeline (a
// `_extracted` rename depends on a clashing metadata key, so those stay).
class LineExtractor {
 public:
  LineExtractor(const Extraction& x, const Labels& stream)
      : x_(x), pipeline_(*x.stages), sp_(pipeline_.ForStream(stream)),
        bytes_(UsesBytes(x.expr->op)), keep_all_meta_(x.required->all) {
    for (const auto& r : x.required->names) {
      observable_.push_back(r);
      if (r.ends_with(log::kExtractedSuffix)) {
        observable_.push_back(r.substr(0, r.size() - log::kExtractedSuffix.size()));
      }
    }
    std::sort(observable_.begin(), observable_.end());
  }

  bool keep_all_meta() const { return keep_all_meta_; }

  // Whether metadata named `name` can be observed. Entries mostly repeat the
  // same names: the last answer is kept.
  bool Observed(std::string_view name) {
    if (name != last_name_) {
      last_name_.assign(name);
      last_observed_ = std::binary_search(observable_.begin(), observable_.end(), name);
    }
    return last_observed_;
  }

  // Runs the pipeline, unwrap and post-unwrap filters on the entry with
  // metadata `md`; false when the line yields no sample. Otherwise `*line`
  // is the final line, `*value` the sample and builder() the labels.
  bool Process(int64_t ts, std::string_view* line, const std::vector<Label>& md, double* value) {
    if (!sp_.ProcessNoLabels(ts, line, &md)) return false;
    log::LabelsBuilder& b = sp_.builder();
    *value = bytes_ ? static_cast<double>(line->size()) : 1.0;
    if (!x_.unwrap) return true;
    auto v = x_.unwrap->Extract(b);
    if (!v) return false;
    *value = *v;
    for (const auto& f : *x_.post) {
      std::string_view l2 = *line;
      if (!f->Process(ts, l2, b)) return false;
    }
    return true;
  }

  // Process for an entry whose metadata `md` holds the observable part
  // (`dropped`: some pair was left out) and `all()` every pair: an erroring
  // sample keeps every label, metadata included, so the line is redone
  // with all of it (rare: such a sample fails the query). Adds the sample.
  template <typename AllFn>
  void Extract(int64_t ts, std::string_view line, const std::vector<Label>& md, bool dropped,
               const AllFn& all, TaskSeries* series) {
    std::string_view out = line;
    double value = 0;
    if (!Process(ts, &out, md, &value)) return;
    if (dropped && sp_.builder().HasErr()) {
      const std::span<const Label> every = all();
      full_.assign(every.begin(), every.end());
      out = line;
      if (!Process(ts, &out, full_, &value)) return;
    }
    series->Add(series->ForLine(sp_.builder()), ts, value, out.size());
  }

 private:
  const Extraction& x_;
  log::Pipeline pipeline_;
  log::StreamPipeline& sp_;
  const bool bytes_;
  const bool keep_all_meta_;
  std::vector<std::string> observable_;  // required names, `x_extracted` also as `x`; sorted
  std::string last_name_;
  bool last_observed_ = false;
  std::vector<Label> full_;
};

// Runs the pipeline over the task's entries (an iterator) and adds a sample
// per kept line.
Status ScanEntries(const Extraction& x, const Task& task, TaskSeries* series, QueryStats* stats) {
  LineExtractor ex(x, *task.stream->labels);
  auto it = task.source->Open(x.from, x.through, iter::Direction::kForward, task.hints, stats);
  if (!it.ok()) return it.status();
  std::vector<Label> metadata;
  size_t n = 0;
  while ((*it)->Next()) {
    const iter::EntryRef& e = (*it)->At();
    if (++n % 4096 == 0 && TimedOut(x.deadline_mono_ns)) return Status::Timeout("query timed out");
    metadata.clear();
    bool dropped = false;
    for (const auto& m : e.metadata) {
      if (ex.keep_all_meta() || ex.Observed(m.name)) {
        metadata.push_back(m);
      } else {
        dropped = true;
      }
    }
    ex.Extract(e.timestamp_ns, e.line, metadata, dropped, [&] { return e.metadata; }, series);
  }
  return (*it)->status();
}

// Metadata sets of one EntryRun, reduced to what the query can observe once
// per set (entries share sets) and without building Labels for the rest.
class RunMetadata {
 public:
  explicit RunMetadata(LineExtractor* ex) : ex_(ex) {}

  void Reset(const EntryRun& run) {
    run_ = &run;
    slot_.assign(run.MetadataSetCount(), kUnknown);
    kept_.clear();
  }

  // Entry i's observable metadata (*dropped: some pair was left out).
  const std::vector<Label>& For(size_t i, bool* dropped) {
    if (ex_->keep_all_meta()) {
      auto all = run_->Metadata(i);
      all_.assign(all.begin(), all.end());
      *dropped = false;
      return all_;
    }
    const uint32_t set = run_->MetadataSetId(i);
    uint32_t& slot = slot_[set];
    if (slot == kUnknown) slot = Reduce(set);
    *dropped = slot != kNoneDropped && (slot == kEmptyDropped || kept_[slot - kFirstKept].dropped);
    if (slot == kNoneDropped || slot == kEmptyDropped) return empty_;
    return kept_[slot - kFirstKept].labels;
  }

 private:
  static constexpr uint32_t kUnknown = 0;
  static constexpr uint32_t kNoneDropped = 1;   // empty set
  static constexpr uint32_t kEmptyDropped = 2;  // nothing observable, something left out
  static constexpr uint32_t kFirstKept = 3;     // kept_[slot - kFirstKept]

  struct Kept {
    std::vector<Label> labels;
    bool dropped = false;
  };

  uint32_t Reduce(uint32_t set) {
    run_->MetadataSetPairs(set, &pairs_);
    if (pairs_.empty()) return kNoneDropped;
    Kept k;
    for (const auto& [name, value] : pairs_) {
      if (ex_->Observed(name)) {
        k.labels.push_back({std::string(name), std::string(value)});
      } else {
        k.dropped = true;
      }
    }
    if (k.labels.empty()) return kEmptyDropped;
    kept_.push_back(std::move(k));
    return static_cast<uint32_t>(kept_.size() - 1) + kFirstKept;
  }

  LineExtractor* ex_;
  const EntryRun* run_ = nullptr;
  std::vector<uint32_t> slot_;  // per set
  std::vector<Kept> kept_;
  std::vector<EntryRun::Pair> pairs_;
  std::vector<Label> all_;
  const std::vector<Label> empty_;
};

// As ScanEntries, over the decoded runs of the source (EntrySource::ScanRuns):
// no iterator, metadata reduced once per set. NotFound when the source
// declines.
Status ScanRuns(const Extraction& x, const Task& task, TaskSeries* series, QueryStats* stats) {
  LineExtractor ex(x, *task.stream->labels);
  RunMetadata meta(&ex);
  bool timed_out = false;
  auto done = task.source->ScanRuns(x.from, x.through, task.hints, stats, [&](const EntryRun& run) {
    if (timed_out || (timed_out = TimedOut(x.deadline_mono_ns))) return;
    meta.Reset(run);
    for (size_t i = 0; i < run.size(); ++i) {
      const int64_t ts = run.Timestamp(i);
      if (ts < x.from || ts >= x.through) continue;
      bool dropped = false;
      const std::vector<Label>& md = meta.For(i, &dropped);
      ex.Extract(ts, run.Line(i), md, dropped, [&] { return run.Metadata(i); }, series);
    }
  });
  if (!done.ok()) return done.status();
  if (!*done) return Status::NotFound("source declined");
  if (timed_out) return Status::Timeout("query timed out");
  return Status::OK();
}

// A series with at least this many samples has its steps evaluated in up
// to kMaxWindowParts parts on the pool (below, one part: not worth a task).
constexpr size_t kMinSamplesPerWindowPart = 1 << 14;
constexpr size_t kMaxWindowParts = 8;

// Per-step values of an additive aggregation from its totals.
StepSeries FromTotals(const ql::RangeAggregationExpr& expr, SeriesAcc& ss, size_t n_steps) {
  std::vector<int64_t> counts, bytes;
  ss.totals->Totals(&counts, &bytes);
  const double range_s = static_cast<double>(expr.range.range_ns) / 1e9;
  StepSeries s{std::move(ss.labels), std::vector<double>(n_steps, 0.0),
               std::vector<uint8_t>(n_steps, 0)};
  for (size_t i = 0; i < n_steps; ++i) {
    if (counts[i] <= 0) continue;
    s.has[i] = 1;
    switch (expr.op) {
      case ql::RangeOp::kCountOverTime: s.values[i] = static_cast<double>(counts[i]); break;
      case ql::RangeOp::kRate: s.values[i] = static_cast<double>(counts[i]) / range_s; break;
      case ql::RangeOp::kBytesOverTime: s.values[i] = static_cast<double>(bytes[i]); break;
      default: s.values[i] = static_cast<double>(bytes[i]) / range_s; break;  // bytes_rate
    }
  }
  return s;
}

}  // namespace

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
  const size_t n_steps = ctx.steps.size();
  const StepWindows windows(ctx.steps, range.range_ns, range.offset_ns);
  Extraction x;
  x.expr = &expr;
  x.grouping = grouping;
  x.no_labels = grouping && !grouping->without && grouping->labels.empty();
  // count/rate/bytes without unwrap: per-step totals (difference arrays)
  // instead of materialised samples.
  x.additive = !range.unwrap && IsAdditive(expr.op);
  x.required = &required;
  x.stages = &*stages;
  x.unwrap = unwrap ? &*unwrap : nullptr;
  x.post = &post;
  x.windows = &windows;
  x.n_steps = n_steps;
  const int64_t first = ctx.steps.front(), last = ctx.steps.back();
  x.from = first - range.offset_ns - range.range_ns + 1;  // window is left-open
  x.through = last - range.offset_ns + 1;                 // and right-closed
  x.deadline_mono_ns = ctx.deadline_mono_ns;
  auto streams = ctx.querier->SelectStreams(ctx.tenant, range.selector->matchers, x.from, x.through);
  if (!streams.ok()) return streams.status();

  // Structured metadata is read only if some label beyond the stream's may
  // be observed (`__error__` comes from parsers, never from metadata).
  const bool need_metadata =
      required.all || std::any_of(required.names.begin(), required.names.end(), [](const std::string& n) {
        return n != "__error__" && n != "__error_details__";
      });
  std::vector<Task> tasks;
  for (const auto& s : *streams) {
    ScanHints h = DeriveScanHints(*range.selector, *s.labels);
    h.need_metadata = need_metadata;
    for (const auto& src : s.sources) {
      if (src->MaxTime() < x.from || src->MinTime() >= x.through) continue;
      tasks.push_back({&s, src.get(), h});
    }
  }

  std::mutex mu;
  std::map<std::string, SeriesAcc> all;  // guarded by mu
  Status first_error;                    // guarded by mu
  ctx.pool->ParallelFor(tasks.size(), [&](size_t ti) {
    const Task& task = tasks[ti];
    QueryStats stats;
    TaskSeries series(x);
    Status st = ScanSizes(x, task, &series, &stats);
    if (st.code() == common::StatusCode::kNotFound) st = ScanRuns(x, task, &series, &stats);
    if (st.code() == common::StatusCode::kNotFound) st = ScanEntries(x, task, &series, &stats);
    // Each task's samples are sorted here, in parallel (a block's entries
    // ascend, so mostly already sorted); the merge after is O(n log tasks).
    for (auto& [_, ss] : series.local()) {
      auto by_ts = [](const Sample& a, const Sample& b) { return a.ts < b.ts; };
      if (!std::is_sorted(ss.samples.begin(), ss.samples.end(), by_ts)) {
        std::stable_sort(ss.samples.begin(), ss.samples.end(), by_ts);
      }
    }
    std::lock_guard<std::mutex> l(mu);
    ctx.stats->Merge(stats);
    if (!st.ok()) {
      if (first_error.ok()) first_error = st;
      return;
    }
    for (auto& [k, ss] : series.local()) {
      auto& dst = all[k];
      if (!dst.init) {
        dst = std::move(ss);
        dst.run_starts = {0};
        continue;
      }
      if (dst.totals) dst.totals->Merge(*ss.totals);
      if (ss.samples.empty()) continue;
      dst.run_starts.push_back(dst.samples.size());
      dst.samples.insert(dst.samples.end(), ss.samples.begin(), ss.samples.end());
    }
  });
  if (!first_error.ok()) return first_error;

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
    if (ss.totals) {
      StepSeries s = FromTotals(expr, ss, n_steps);
      if (std::any_of(s.has.begin(), s.has.end(), [](uint8_t h) { return h; })) out.push_back(std::move(s));
      continue;
    }
    auto& v = ss.samples;
    MergeSortedRuns(v, std::move(ss.run_starts));
    StepSeries s{std::move(ss.labels), std::vector<double>(n_steps, 0.0),
                 std::vector<uint8_t>(n_steps, 0)};
    // Steps are evaluated in parts on the pool when the series is large
    // (each window is independent of the others once samples are sorted).
    const size_t parts = v.size() >= kMinSamplesPerWindowPart ? std::min(n_steps, kMaxWindowParts) : 1;
    ctx.pool->ParallelFor(parts, [&](size_t part) {
      const size_t first_step = n_steps * part / parts, end_step = n_steps * (part + 1) / parts;
      std::vector<double> scratch;
      size_t lo_i = 0, hi_i = 0;
      for (size_t i = first_step; i < end_step; ++i) {
        int64_t hi = ctx.steps[i] - range.offset_ns, lo = hi - range.range_ns;
        if (i == first_step) {
          auto after = [](const Sample& a, int64_t t) { return a.ts <= t; };
          lo_i = static_cast<size_t>(std::lower_bound(v.begin(), v.end(), lo, after) - v.begin());
          hi_i = static_cast<size_t>(std::lower_bound(v.begin(), v.end(), hi, after) - v.begin());
        }
        while (hi_i < v.size() && v[hi_i].ts <= hi) ++hi_i;
        while (lo_i < hi_i && v[lo_i].ts <= lo) ++lo_i;
        auto r = EvalWindow(expr, v.data() + lo_i, v.data() + hi_i, lo, hi, &scratch);
        if (r) {
          s.values[i] = *r;
          s.has[i] = 1;
        }
      }
    });
    if (std::any_of(s.has.begin(), s.has.end(), [](uint8_t h) { return h; })) out.push_back(std::move(s));
  }
  return out;
}

}  // namespace skald::server::logql
