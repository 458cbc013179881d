// Unwrap: the sample-extraction step of `| unwrap [conv(]label[)]` — converts a
// label to a double. Conversion failure sets `__error__=SampleExtractionErr`
// (+ details) and still yields a sample (0) so that the engine's error rules
// apply; a missing or empty label yields no sample.
// Immutable; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "server/logql/log/labels_builder.h"

namespace skald::server::logql::log {

// The value of a plain decimal `[-]digits[.digits]` (as Go's ParseFloat
// gives it); nullopt for any other form or when out of range (callers then
// use the full parser, which reports the error).
std::optional<double> ParsePlainDecimal(std::string_view v);

enum class UnwrapConv : uint8_t {
  kFloat = 0,            // unwrap x            (Go ParseFloat)
  kDuration = 1,         // unwrap duration(x)  (Go ParseDuration, seconds)
  kDurationSeconds = 2,  // unwrap duration_seconds(x)
  kBytes = 3,            // unwrap bytes(x)     (humanize)
};

class Unwrap {
 public:
  Unwrap(std::string label, UnwrapConv conv) : label_(std::move(label)), conv_(conv) {}

  // The sample value of the line in `lbs`; nullopt when the label is missing
  // or empty. On a conversion error sets the error labels and returns 0.
  std::optional<double> Extract(LabelsBuilder& lbs) const;

  const std::string& label() const { return label_; }

 private:
  std::string label_;
  UnwrapConv conv_;
};

}  // namespace skald::server::logql::log
