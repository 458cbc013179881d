#include "server/logql/step_windows.h"

#include <algorithm>
#include <cstdint>

namespace skald::server::logql {

namespace {

// floor(a / b) for b > 0.
int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && a < 0) ? q - 1 : q;
}

}  // namespace

StepWindows::StepWindows(std::vector<int64_t> steps, int64_t range_ns, int64_t offset_ns)
    : steps_(std::move(steps)), range_ns_(range_ns), offset_ns_(offset_ns) {
  if (steps_.size() < 2) return;
  const int64_t d = steps_[1] - steps_[0];
  if (d <= 0) return;
  for (size_t i = 1; i < steps_.size(); ++i) {
    if (steps_[i] - steps_[i - 1] != d) return;
  }
  step_ns_ = d;
}

bool StepWindows::Covering(int64_t ts, size_t* lo, size_t* hi) const {
  // Steps t with a <= t <= b.
  int64_t a = 0, b = 0;
  if (__builtin_add_overflow(ts, offset_ns_, &a) || __builtin_add_overflow(a, range_ns_ - 1, &b)) {
    return false;
  }
  if (b < steps_.front() || a > steps_.back()) return false;
  if (step_ns_ > 0) {
    // a >= front - ... : both differences fit since a, b are within one range of the steps.
    const int64_t first = steps_.front();
    int64_t l = a <= first ? 0 : FloorDiv(a - first - 1, step_ns_) + 1;  // ceil((a-first)/step)
    int64_t h = FloorDiv(b - first, step_ns_);
    h = std::min<int64_t>(h, static_cast<int64_t>(steps_.size()) - 1);
    if (l > h) return false;
    *lo = static_cast<size_t>(l);
    *hi = static_cast<size_t>(h);
    return true;
  }
  auto l = std::lower_bound(steps_.begin(), steps_.end(), a);
  auto h = std::upper_bound(l, steps_.end(), b);
  if (l == h) return false;
  *lo = static_cast<size_t>(l - steps_.begin());
  *hi = static_cast<size_t>(h - steps_.begin()) - 1;
  return true;
}

void StepWindows::Span(size_t lo, size_t hi, int64_t* ts_lo, int64_t* ts_hi) const {
  // ts + offset = a must satisfy steps[lo-1] < a <= steps[lo] (no lower
  // bound for lo == 0), and b = a + range - 1 must satisfy steps[hi] <= b <
  // steps[hi+1] (no upper bound for the last step).
  using Wide = __int128;
  Wide a_lo = lo == 0 ? Wide(INT64_MIN) : Wide(steps_[lo - 1]) + 1;
  Wide a_hi = steps_[lo];
  a_lo = std::max(a_lo, Wide(steps_[hi]) - range_ns_ + 1);
  if (hi + 1 < steps_.size()) a_hi = std::min(a_hi, Wide(steps_[hi + 1]) - range_ns_);
  Wide t_lo = a_lo - offset_ns_, t_hi = a_hi - offset_ns_;
  *ts_lo = static_cast<int64_t>(std::max(t_lo, Wide(INT64_MIN)));
  *ts_hi = static_cast<int64_t>(std::min(t_hi, Wide(INT64_MAX)));
}

void StepTotals::Merge(const StepTotals& other) {
  for (size_t i = 0; i < count_.size(); ++i) {
    count_[i] += other.count_[i];
    bytes_[i] += other.bytes_[i];
  }
}

void StepTotals::Totals(std::vector<int64_t>* counts, std::vector<int64_t>* bytes) const {
  const size_t n = count_.size() - 1;
  counts->assign(n, 0);
  bytes->assign(n, 0);
  int64_t c = 0, by = 0;
  for (size_t i = 0; i < n; ++i) {
    c += count_[i];
    by += bytes_[i];
    (*counts)[i] = c;
    (*bytes)[i] = by;
  }
}

}  // namespace skald::server::logql
