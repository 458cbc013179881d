#include "server/logql/log_query.h"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <queue>

#include "common/clock.h"
#include "server/logql/log/pipeline.h"
#include "server/logql/pipeline_builder.h"

namespace skald::server::logql {

using common::Result;
using common::Status;
using iter::Direction;

namespace {

// How often (in lines) a task checks the deadline and the shared cutoff.
constexpr size_t kCheckEveryLines = 1024;

struct Task {
  const StreamSources* stream;
  EntrySource* source;
};

// True when `a` comes before `b` in `dir` (newer first when backward).
inline bool Before(int64_t a, int64_t b, Direction dir) {
  return dir == Direction::kBackward ? a > b : a < b;
}

// The `limit` best timestamps seen so far across all tasks. Once full, its
// worst element is the cutoff: an entry that is not Before-or-equal the
// cutoff can never be returned.
class Cutoff {
 public:
  Cutoff(size_t limit, Direction dir) : limit_(limit), dir_(dir), heap_(Cmp{dir}) {}

  void Add(const std::vector<LogLine>& lines) {
    std::lock_guard<std::mutex> l(mu_);
    for (const auto& line : lines) {
      if (heap_.size() < limit_) {
        heap_.push(line.timestamp_ns);
      } else if (Before(line.timestamp_ns, heap_.top(), dir_)) {
        heap_.pop();
        heap_.push(line.timestamp_ns);
      }
    }
    if (heap_.size() >= limit_) {
      has_.store(true, std::memory_order_release);
      value_.store(heap_.top(), std::memory_order_release);
    }
  }
  // True when an entry at `ts` cannot make the result.
  bool Excludes(int64_t ts) const {
    if (!has_.load(std::memory_order_acquire)) return false;
    return Before(value_.load(std::memory_order_acquire), ts, dir_);
  }

 private:
  struct Cmp {
    Direction dir;
    // Max-heap on "worse": the top is the worst kept timestamp.
    bool operator()(int64_t a, int64_t b) const { return Before(a, b, dir); }
  };
  size_t limit_;
  Direction dir_;
  std::mutex mu_;
  std::priority_queue<int64_t, std::vector<int64_t>, Cmp> heap_;
  std::atomic<bool> has_{false};
  std::atomic<int64_t> value_{0};
};

// Pipelines are not thread-safe: each running task borrows one.
class PipelinePool {
 public:
  explicit PipelinePool(const std::vector<log::StagePtr>* stages) : stages_(stages) {}
  std::unique_ptr<log::Pipeline> Get() {
    std::lock_guard<std::mutex> l(mu_);
    if (free_.empty()) return std::make_unique<log::Pipeline>(*stages_);
    auto p = std::move(free_.back());
    free_.pop_back();
    return p;
  }
  void Put(std::unique_ptr<log::Pipeline> p) {
    std::lock_guard<std::mutex> l(mu_);
    free_.push_back(std::move(p));
  }

 private:
  const std::vector<log::StagePtr>* stages_;
  std::mutex mu_;
  std::vector<std::unique_ptr<log::Pipeline>> free_;
};

struct TaskOutput {
  std::vector<LogLine> lines;
  QueryStats stats;
  Status status;
};

bool SameEntry(const LogLine& a, const LogLine& b) {
  return a.timestamp_ns == b.timestamp_ns && a.line == b.line &&
         (a.labels == b.labels || (a.labels && b.labels && a.labels->labels == b.labels->labels));
}

}  // namespace

Result<QueryResult> EvalLogQuery(const common::logql::LogSelectorExpr& expr,
                                 const LogQueryParams& p, Querier& querier,
                                 common::ThreadPool& pool) {
  const int64_t t0 = common::Clock::Real()->MonotonicNanos();
  QueryResult result;
  result.type = ResultType::kStreams;

  auto stages = BuildStages(expr.stages);
  if (!stages.ok()) return stages.status();
  auto streams = querier.SelectStreams(p.tenant, expr.matchers, p.start_ns, p.end_ns);
  if (!streams.ok()) return streams.status();
  result.stats.total_streams = streams->size();

  std::vector<Task> tasks;
  std::vector<ScanHints> hints(streams->size());
  for (size_t i = 0; i < streams->size(); ++i) {
    const auto& s = (*streams)[i];
    hints[i] = DeriveScanHints(expr, *s.labels);
    for (const auto& src : s.sources) {
      if (src->MaxTime() < p.start_ns || src->MinTime() >= p.end_ns) continue;
      tasks.push_back({&s, src.get()});
      if (!src->IsHead()) ++result.stats.total_chunks_ref;
    }
  }
  // Most promising sources first, so the cutoff tightens early.
  std::sort(tasks.begin(), tasks.end(), [&](const Task& a, const Task& b) {
    return p.direction == Direction::kBackward ? a.source->MaxTime() > b.source->MaxTime()
                                               : a.source->MinTime() < b.source->MinTime();
  });

  // With `interval` thinning, which entries survive depends on all of them,
  // so nothing may be cut early.
  const bool can_cut = p.interval_ns == 0;
  Cutoff cutoff(p.limit, p.direction);
  PipelinePool pipelines(&*stages);
  std::vector<TaskOutput> outputs(tasks.size());
  std::vector<size_t> stream_index(tasks.size());
  for (size_t i = 0; i < tasks.size(); ++i) {
    stream_index[i] = static_cast<size_t>(tasks[i].stream - streams->data());
  }

  pool.ParallelFor(tasks.size(), [&](size_t ti) {
    const Task& task = tasks[ti];
    TaskOutput& out = outputs[ti];
    if (can_cut) {
      int64_t best = p.direction == Direction::kBackward ? task.source->MaxTime()
                                                         : task.source->MinTime();
      if (cutoff.Excludes(best)) return;
    }
    auto it = task.source->Open(p.start_ns, p.end_ns, p.direction, hints[stream_index[ti]],
                                &out.stats);
    if (!it.ok()) {
      out.status = it.status();
      return;
    }
    if (!task.source->IsHead()) ++out.stats.total_chunks_downloaded;
    auto pipeline = pipelines.Get();
    log::StreamPipeline& sp = pipeline->ForStream(*task.stream->labels);
    std::vector<common::Label> metadata;
    size_t n = 0;
    while ((*it)->Next()) {
      const iter::EntryRef& e = (*it)->At();
      if (++n % kCheckEveryLines == 0) {
        if (p.deadline_mono_ns && common::Clock::Real()->MonotonicNanos() > p.deadline_mono_ns) {
          out.status = Status::Timeout("query timed out");
          break;
        }
      }
      if (can_cut && cutoff.Excludes(e.timestamp_ns)) break;
      metadata.assign(e.metadata.begin(), e.metadata.end());
      auto r = sp.Process(e.timestamp_ns, e.line, &metadata);
      if (!r.keep) continue;
      out.lines.push_back(LogLine{e.timestamp_ns, std::string(r.line), r.labels});
      if (can_cut && out.lines.size() >= p.limit) break;
    }
    if (out.status.ok()) out.status = (*it)->status();
    out.stats.post_filter_lines += out.lines.size();
    pipelines.Put(std::move(pipeline));
    if (can_cut) cutoff.Add(out.lines);
  });

  std::vector<LogLine> all;
  for (auto& o : outputs) {
    if (!o.status.ok()) return o.status;
    result.stats.Merge(o.stats);
    std::move(o.lines.begin(), o.lines.end(), std::back_inserter(all));
  }
  std::stable_sort(all.begin(), all.end(), [&](const LogLine& a, const LogLine& b) {
    if (a.timestamp_ns != b.timestamp_ns) return Before(a.timestamp_ns, b.timestamp_ns, p.direction);
    return a.line < b.line;
  });
  // Drop exact duplicates (same labels, timestamp and line) from overlapping
  // chunks, then apply `interval` thinning and the limit.
  std::vector<LogLine> kept;
  kept.reserve(std::min<size_t>(all.size(), p.limit));
  int64_t last_emitted = 0;
  bool emitted = false;
  for (size_t i = 0; i < all.size() && kept.size() < p.limit; ++i) {
    bool dup = false;
    for (size_t j = kept.size(); j-- > 0 && kept[j].timestamp_ns == all[i].timestamp_ns;) {
      if (SameEntry(kept[j], all[i])) {
        dup = true;
        break;
      }
    }
    if (dup) {
      ++result.stats.total_duplicates;
      continue;
    }
    if (p.interval_ns > 0 && emitted) {
      int64_t gap = p.direction == Direction::kForward ? all[i].timestamp_ns - last_emitted
                                                        : last_emitted - all[i].timestamp_ns;
      if (gap < p.interval_ns) continue;
    }
    last_emitted = all[i].timestamp_ns;
    emitted = true;
    kept.push_back(std::move(all[i]));
  }
  result.lines = std::move(kept);
  result.stats.total_entries_returned = result.lines.size();
  result.stats.exec_time_ns = common::Clock::Real()->MonotonicNanos() - t0;
  return result;
}

}  // namespace skald::server::logql
