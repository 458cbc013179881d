// StepWindows and StepTotals: the additive side of range aggregations.
//
// A sample at time ts lies in the window (t − range − offset, t − offset] of
// every evaluation step t with ts + offset <= t < ts + offset + range: a
// contiguous run of steps. StepWindows finds that run in O(1) for evenly
// spaced steps (binary search otherwise). StepTotals keeps, per series, the
// number of samples and their byte total at every step as difference arrays,
// so each sample costs O(1) whatever the range/step ratio and totals from
// different tasks merge by adding arrays (count_over_time, rate, bytes_*).
//
// Both are plain values: thread-compatible (one StepTotals per task).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace skald::server::logql {

class StepWindows {
 public:
  // `steps` ascending and non-empty; range_ns > 0.
  StepWindows(std::vector<int64_t> steps, int64_t range_ns, int64_t offset_ns);

  // The steps [*lo, *hi] whose window holds `ts`; false when there is none.
  bool Covering(int64_t ts, size_t* lo, size_t* hi) const;
  // The timestamps [*ts_lo, *ts_hi] whose run is exactly [lo, hi] (a run
  // Covering returned).
  void Span(size_t lo, size_t hi, int64_t* ts_lo, int64_t* ts_hi) const;
  size_t size() const { return steps_.size(); }

 private:
  std::vector<int64_t> steps_;
  int64_t range_ns_;
  int64_t offset_ns_;
  int64_t step_ns_ = 0;  // > 0 when steps are evenly spaced (arithmetic lookup)
};

// StepCursor: StepWindows::Covering with its last answer remembered along
// with the span of timestamps sharing it, so a task's timestamps (ascending
// within a block) cost two comparisons instead of two divisions each.
// One per task; `windows` must outlive it.
class StepCursor {
 public:
  explicit StepCursor(const StepWindows& windows) : w_(&windows) {}

  // As StepWindows::Covering.
  bool Covering(int64_t ts, size_t* lo, size_t* hi) {
    if (ts >= span_lo_ && ts <= span_hi_) {
      *lo = lo_;
      *hi = hi_;
      return true;
    }
    if (!w_->Covering(ts, lo, hi)) return false;
    lo_ = *lo;
    hi_ = *hi;
    w_->Span(lo_, hi_, &span_lo_, &span_hi_);
    return true;
  }
  // As Covering, also giving the timestamps [*ts_lo, *ts_hi] covered by
  // exactly the same steps (StepWindows::Span of the answer).
  bool Covering(int64_t ts, size_t* lo, size_t* hi, int64_t* ts_lo, int64_t* ts_hi) {
    if (!Covering(ts, lo, hi)) return false;
    *ts_lo = span_lo_;
    *ts_hi = span_hi_;
    return true;
  }

 private:
  const StepWindows* w_;
  int64_t span_lo_ = 1, span_hi_ = 0;  // empty until the first answer
  size_t lo_ = 0, hi_ = 0;
};

class StepTotals {
 public:
  explicit StepTotals(size_t n_steps) : count_(n_steps + 1, 0), bytes_(n_steps + 1, 0) {}

  // One sample of `bytes` line bytes in steps [lo, hi] (hi < n_steps).
  void Add(size_t lo, size_t hi, int64_t bytes) { Add(lo, hi, 1, bytes); }
  // `count` samples of `bytes` line bytes in all in steps [lo, hi].
  void Add(size_t lo, size_t hi, int64_t count, int64_t bytes) {
    count_[lo] += count;
    count_[hi + 1] -= count;
    bytes_[lo] += bytes;
    bytes_[hi + 1] -= bytes;
  }
  // Adds `other` (same number of steps).
  void Merge(const StepTotals& other);
  // Per-step sample counts and byte totals (each n_steps long).
  void Totals(std::vector<int64_t>* counts, std::vector<int64_t>* bytes) const;

 private:
  std::vector<int64_t> count_;  // difference arrays, n_steps + 1 long
  std::vector<int64_t> bytes_;
};

}  // namespace skald::server::logql
