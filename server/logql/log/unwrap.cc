#include "server/logql/log/unwrap.h"

#include "common/template_convert.h"
#include "common/time.h"

namespace skald::server::logql::log {

std::optional<double> Unwrap::Extract(LabelsBuilder& lbs) const {
  auto v = lbs.Get(label_);
  if (!v || v->empty()) return std::nullopt;
  common::Status err;
  double out = 0;
  switch (conv_) {
    case UnwrapConv::kFloat: {
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
