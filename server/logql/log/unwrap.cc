#include "server/logql/log/unwrap.h"

#include <charconv>

#include "common/template_convert.h"
#include "common/time.h"

namespace skald::server::logql::log {

namespace {

// `[-]digits[.digits]`: the common unwrapped value, which std::from_chars
// converts exactly as Go's ParseFloat (both round correctly) without
// ParseGoFloat's copy and strtod. Everything else takes the full path.
bool IsPlainDecimal(std::string_view v) {
  size_t i = (!v.empty() && v[0] == '-') ? 1 : 0;
  const size_t int_start = i;
  while (i < v.size() && v[i] >= '0' && v[i] <= '9') ++i;
  if (i == int_start) return false;
  if (i == v.size()) return true;
  if (v[i] != '.') return false;
  const size_t frac_start = ++i;
  while (i < v.size() && v[i] >= '0' && v[i] <= '9') ++i;
  return i == v.size() && i > frac_start;
}

// Digits a double holds exactly whatever they are (10^15 < 2^53), and the
// largest power of ten a double holds exactly.
constexpr int kMaxExactDigits = 15;
constexpr int kMaxExactPow10 = 22;
constexpr double kPow10[kMaxExactPow10 + 1] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                               1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                               1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

// A plain decimal of at most kMaxExactDigits digits (short ones are the
// common case: `27.49`): its digits as an integer m and its fraction length
// k make m and 10^k exact doubles, so m / 10^k is one correctly rounded
// IEEE division, the value from_chars gives (Clinger's fast path). False
// when `v` is not a plain decimal or is longer.
bool ShortPlainDecimal(std::string_view v, double* out) {
  size_t i = (!v.empty() && v[0] == '-') ? 1 : 0;
  const bool neg = i == 1;
  uint64_t m = 0;
  int digits = 0, frac = 0;
  const size_t int_start = i;
  for (; i < v.size() && v[i] >= '0' && v[i] <= '9'; ++i, ++digits) m = m * 10 + static_cast<uint64_t>(v[i] - '0');
  if (i == int_start || digits > kMaxExactDigits) return false;
  if (i < v.size()) {
    if (v[i] != '.') return false;
    const size_t frac_start = ++i;
    for (; i < v.size() && v[i] >= '0' && v[i] <= '9'; ++i, ++digits) {
      m = m * 10 + static_cast<uint64_t>(v[i] - '0');
    }
    frac = static_cast<int>(i - frac_start);
    if (i != v.size() || frac == 0 || digits > kMaxExactDigits) return false;
  }
  const double d = static_cast<double>(m) / kPow10[frac];
  *out = neg ? -d : d;
  return true;
}

}  // namespace

std::optional<double> ParsePlainDecimal(std::string_view v) {
  double out = 0;
  if (ShortPlainDecimal(v, &out)) return out;
  if (!IsPlainDecimal(v)) return std::nullopt;
  auto r = std::from_chars(v.data(), v.data() + v.size(), out);
  if (r.ec != std::errc() || r.ptr != v.data() + v.size()) return std::nullopt;
  return out;
}

std::optional<double> Unwrap::Extract(LabelsBuilder& lbs) const {
  auto v = lbs.Get(label_);
  if (!v || v->empty()) return std::nullopt;
  common::Status err;
  double out = 0;
  switch (conv_) {
    case UnwrapConv::kFloat: {
      if (auto fast = ParsePlainDecimal(*v)) {
        out = *fast;
        break;
      }
      auto r = common::ParseGoFloat(*v);
      if (r.ok()) out = r.value(); else err = r.status();
      break;
    }
    case UnwrapConv::kDuration:
    case UnwrapConv::kDurationSeconds: {
      auto r = common::ParseGoDuration(*v);
      if (r.ok()) out = static_cast<double>(r.value()) / 1e9; else err = r.status();
      break;
    }
    case UnwrapConv::kBytes: {
      auto r = common::ParseHumanBytes(*v);
      if (r.ok()) out = static_cast<double>(r.value()); else err = r.status();
      break;
    }
  }
  if (!err.ok()) {
    lbs.SetErr(kSampleExtractionErr);
    lbs.SetErrDetails(err.message());
    return 0.0;
  }
  return out;
}

}  // namespace skald::server::logql::log
