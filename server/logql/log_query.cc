#include "server/logql/log_query.h"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <set>
#include <span>

#include "common/clock.h"
#include "common/labels.h"
#include "server/logql/log/pipeline.h"
#include "server/logql/pipeline_builder.h"

namespace skald::server::logql {

using common::Result;
using common::Status;
using iter::Direction;

namespace {

// How often (in lines) a task checks the deadline.
constexpr size_t kCheckEveryLines = 1024;
// The first time slice of a log query is this fraction of its range; each
// later slice is 1.25-16x the covered span: 1.1x what the lines found so far
// say the limit needs, 16x when none turned up. (With at least 2x and 1.25x
// the estimate, a `|= "timeout"` limit 1000 read 8% more than now: the last
// slice overshoots the cutoff, and each round decompresses whole segments.)
// Every entry of a slice goes through the pipeline (labels built, line
// copied) before the limit cuts, so a small first slice keeps a limit query
// over many streams close to `limit` entries; a rare match costs one more
// round (a parallel pass over already open iterators).
constexpr int64_t kFirstSliceDivisor = 1024;
constexpr double kMaxSliceGrowth = 16.0;

struct Task {
  const StreamSources* stream;
  EntrySource* source;
};

// True when `a` comes before `b` in `dir` (newer first when backward).
inline bool Before(int64_t a, int64_t b, Direction dir) {
  return dir == Direction::kBackward ? a > b : a < b;
}

// The `limit` best distinct entries seen so far across all tasks, as
// (timestamp, hash of line and labels) so that an entry read twice from
// overlapping sources counts once. Once full, its worst timestamp is the
// cutoff: an entry strictly worse than it can never be returned. (A hash
// collision merges two entries, which only makes the cutoff looser.)
class Cutoff {
 public:
  Cutoff(size_t limit, Direction dir)
      : limit_(limit), dir_(dir), set_(Cmp{dir}), bound_(dir == Direction::kBackward ? INT64_MIN : INT64_MAX) {}

  void Add(std::span<const LogLine> lines) {
    std::lock_guard<std::mutex> l(mu_);
    for (const auto& line : lines) {
      Key k{line.timestamp_ns, common::FingerprintOf(line.line) ^
                                   (line.labels ? line.labels->hash * 0x9E3779B97F4A7C15ull : 0)};
      if (set_.size() >= limit_ && !Cmp{dir_}(k, *set_.rbegin())) continue;
      set_.insert(k);
      if (set_.size() > limit_) set_.erase(std::prev(set_.end()));
    }
    if (set_.size() >= limit_) bound_.store(set_.rbegin()->ts, std::memory_order_release);
  }
  // True when an entry at `ts` cannot make the result.
  bool Excludes(int64_t ts) const { return Before(bound_.load(std::memory_order_acquire), ts, dir_); }
  // The limit-th best timestamp so far (backward: entries older than it are
  // excluded; forward: newer), INT64_MIN/MAX until `limit` lines are found:
  // ScanHints::cutoff.
  const std::atomic<int64_t>* bound() const { return &bound_; }

 private:
  struct Key {
    int64_t ts;
    uint64_t hash;
  };
  struct Cmp {
    Direction dir;
    // Best first.
    bool operator()(const Key& a, const Key& b) const {
      if (a.ts != b.ts) return Before(a.ts, b.ts, dir);
      return a.hash < b.hash;
    }
  };
  size_t limit_;
  Direction dir_;
  std::mutex mu_;
  std::set<Key, Cmp> set_;
  std::atomic<int64_t> bound_;
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

// One source's progress across rounds: its iterator stays open (with the
// entry it stopped at pending) until the source is exhausted or cut.
struct TaskState {
  std::unique_ptr<iter::EntryIterator> it;
  bool pending = false;  // it->At() is read but not yet consumed
  bool done = false;
  size_t read = 0;
  TaskOutput out;
};

// Lines collected so far, exact duplicates counted once.
size_t CountUnique(const std::vector<TaskState>& states) {
  std::vector<const LogLine*> all;
  for (const auto& st : states) {
    for (const auto& l : st.out.lines) all.push_back(&l);
  }
  std::sort(all.begin(), all.end(), [](const LogLine* a, const LogLine* b) {
    if (a->timestamp_ns != b->timestamp_ns) return a->timestamp_ns < b->timestamp_ns;
    return a->line < b->line;
  });
  size_t n = 0;
  for (size_t i = 0; i < all.size(); ++i) {
    bool dup = false;
    for (size_t j = i; j-- > 0 && all[j]->timestamp_ns == all[i]->timestamp_ns && all[j]->line == all[i]->line;) {
      if (SameEntry(*all[j], *all[i])) {
        dup = true;
        break;
      }
    }
    n += !dup;
  }
  return n;
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
  // Sources may stop where the cutoff excludes everything further.
  if (can_cut) {
    for (ScanHints& h : hints) h.cutoff = cutoff.bound();
  }
  // Sources may pause at the end of each round's slice rather than search
  // on into older blocks and segments (which the next round may not need).
  iter::PauseBound pause(p.direction);
  for (ScanHints& h : hints) h.pause = &pause;
  PipelinePool pipelines(&*stages);
  std::vector<TaskState> states(tasks.size());
  std::vector<size_t> stream_index(tasks.size());
  for (size_t i = 0; i < tasks.size(); ++i) {
    stream_index[i] = static_cast<size_t>(tasks[i].stream - streams->data());
  }
  // Each round looks up every task's stream pipeline: hash the labels once.
  std::vector<uint64_t> stream_hash(streams->size());
  for (size_t i = 0; i < streams->size(); ++i) stream_hash[i] = (*streams)[i].labels->Fingerprint();
  const bool backward = p.direction == Direction::kBackward;

  // Reads task `ti` up to `bound`: entries at or after it (backward) or
  // before it (forward). The iterator stays open between rounds.
  auto run_task = [&](size_t ti, int64_t bound) {
    const Task& task = tasks[ti];
    TaskState& st = states[ti];
    if (st.done) return;
    TaskOutput& out = st.out;
    if (!st.it) {
      if (backward ? task.source->MaxTime() < bound : task.source->MinTime() >= bound) return;
      if (can_cut && cutoff.Excludes(backward ? task.source->MaxTime() : task.source->MinTime())) {
        st.done = true;
        return;
      }
      auto it = task.source->Open(p.start_ns, p.end_ns, p.direction, hints[stream_index[ti]],
                                  &out.stats);
      if (!it.ok()) {
        out.status = it.status();
        st.done = true;
        return;
      }
      st.it = std::move(it).value();
      if (!task.source->IsHead()) ++out.stats.total_chunks_downloaded;
    }
    const size_t first_new = out.lines.size();
    auto pipeline = pipelines.Get();
    log::StreamPipeline& sp = pipeline->ForStream(*task.stream->labels, stream_hash[stream_index[ti]]);
    std::vector<common::Label> metadata;
    iter::EntryIterator& it = *st.it;
    while (true) {
      if (!st.pending) {
        if (!it.Next()) {
          if (it.Paused()) break;  // the rest lies beyond this round's bound
          out.status = it.status();
          st.done = true;
          break;
        }
        st.pending = true;
        if (++st.read % kCheckEveryLines == 0 && p.deadline_mono_ns &&
            common::Clock::Real()->MonotonicNanos() > p.deadline_mono_ns) {
          out.status = Status::Timeout("query timed out");
          st.done = true;
          break;
        }
      }
      const iter::EntryRef& e = it.At();
      if (backward ? e.timestamp_ns < bound : e.timestamp_ns >= bound) break;  // next round
      st.pending = false;
      if (can_cut && cutoff.Excludes(e.timestamp_ns)) {
        st.done = true;
        break;
      }
      metadata.assign(e.metadata.begin(), e.metadata.end());
      auto r = sp.Process(e.timestamp_ns, e.line, &metadata);
      if (!r.keep) continue;
      out.lines.push_back(LogLine{e.timestamp_ns, std::string(r.line), r.labels});
      if (can_cut && out.lines.size() >= p.limit) {
        st.done = true;
        break;
      }
    }
    pipelines.Put(std::move(pipeline));
    if (st.done) st.it.reset();  // frees its decoded block
    if (can_cut && out.lines.size() > first_new) {
      cutoff.Add(std::span<const LogLine>(out.lines).subspan(first_new));
    }
  };

  // Rounds over growing time slices, newest (backward) or oldest (forward)
  // first: when `limit` lines turn up in the first slice, the rest of the
  // range is never decompressed. Each slice is sized from what the ones
  // before it yielded. Without a cut (interval), one round covers it all.
  const int64_t range = std::max<int64_t>(p.end_ns - p.start_ns, 1);
  int64_t covered = can_cut ? std::max<int64_t>(range / kFirstSliceDivisor, 1) : range;
  while (true) {
    const int64_t bound = covered >= range ? (backward ? INT64_MIN : INT64_MAX)
                                           : (backward ? p.end_ns - covered : p.start_ns + covered);
    pause.Set(bound);
    pool.ParallelFor(tasks.size(), [&](size_t ti) { run_task(ti, bound); });
    if (covered >= range) break;
    size_t found = 0;
    bool all_done = true;
    for (const auto& st : states) {
      found += st.out.lines.size();
      all_done &= st.done;
      if (!st.out.status.ok()) return st.out.status;
    }
    if (all_done) break;
    if (found >= p.limit && CountUnique(states) >= p.limit) break;
    const double grow = found == 0 ? kMaxSliceGrowth
                                   : std::clamp(1.1 * p.limit / static_cast<double>(found), 1.25,
                                                kMaxSliceGrowth);
    const double next = static_cast<double>(covered) * grow;
    covered = next >= static_cast<double>(range) ? range : static_cast<int64_t>(next);
  }
  // Iterators still open (paused or cut) hold decoded blocks and zstd
  // streams: release them on the pool rather than one by one on this thread.
  pool.ParallelFor(states.size(), [&](size_t ti) { states[ti].it.reset(); });

  std::vector<LogLine> all;
  for (auto& st : states) {
    TaskOutput& o = st.out;
    if (!o.status.ok()) return o.status;
    o.stats.post_filter_lines += o.lines.size();
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
