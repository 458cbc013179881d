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

}  // namespace

std::optional<double> ParsePlainDecimal(std::string_view v) {
  if (!IsPlainDecimal(v)) return std::nullopt;
  double out = 0;
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
