#include "agent/pipeline/stages/drop_metrics.h"

#include "agent/pipeline/stages/custom_metrics.h"
#include "common/clock.h"

namespace skald::agent::pipeline {
namespace {

constexpr char kHelp[] = "A count of all log lines dropped as a result of a pipeline stage";

// Declares both counters once (no idle expiry) and returns the registry.
CustomMetrics* Registry() {
  static CustomMetrics* const registry = [] {
    CustomMetrics* m = CustomMetrics::Default();
    // Declared before any series exists; a `metrics` stage that names one of
    // these as a gauge or histogram gets a config error from Declare.
    (void)m->Declare(kDroppedLinesMetric, common::MetricType::kCounter, kHelp, {}, 0);
    (void)m->Declare(kDroppedLinesByLabelMetric, common::MetricType::kCounter, kHelp, {}, 0);
    return m;
  }();
  return registry;
}

}  // namespace

void CountDroppedLine(const std::string& reason) {
  Registry()->CounterAdd(kDroppedLinesMetric, {{"reason", reason}}, 1.0,
                         common::Clock::Real()->MonotonicNanos());
}

void CountDroppedLineByLabel(const std::string& label_name, const std::string& label_value) {
  Registry()->CounterAdd(kDroppedLinesByLabelMetric,
                         {{"label_name", label_name}, {"label_value", label_value}}, 1.0,
                         common::Clock::Real()->MonotonicNanos());
}

}  // namespace skald::agent::pipeline
