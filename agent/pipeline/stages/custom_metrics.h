// CustomMetrics: the metrics that pipeline `metrics` stages define
// (Promtail's promtail_custom_* metrics), exposed on the agent's /metrics
// after its own metrics.
//
// Unlike common::MetricsRegistry families, a custom metric's series are keyed
// by whatever stream labels an entry carries, so the label set varies per
// series. Series not updated for the metric's max_idle_duration are removed
// at exposition time. Thread-safe: one mutex guards everything (updates are
// per log line, cheap compared with reading the line).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/metrics.h"
#include "common/status.h"

namespace skald::agent::pipeline {

class CustomMetrics {
 public:
  // Limit on series per metric; beyond it new label sets are not recorded.
  static constexpr size_t kMaxSeriesPerMetric = 10000;

  CustomMetrics() = default;
  CustomMetrics(const CustomMetrics&) = delete;
  CustomMetrics& operator=(const CustomMetrics&) = delete;

  // The process-wide instance the metrics stage and the agent use.
  static CustomMetrics* Default();

  // Declares `name`; declaring it again with the same type is fine (every
  // file's pipeline declares it), with another type is InvalidArgument.
  common::Status Declare(const std::string& name, common::MetricType type, const std::string& help,
                         std::vector<double> buckets, int64_t max_idle_ns);

  // Updates the series of `name` with these labels (sorted name/value pairs)
  // at monotonic time now_ns. Unknown names are ignored.
  void CounterAdd(const std::string& name, const std::map<std::string, std::string>& labels,
                  double v, int64_t now_ns);
  enum class GaugeOp { kSet, kAdd };
  void GaugeUpdate(const std::string& name, const std::map<std::string, std::string>& labels,
                   GaugeOp op, double v, int64_t now_ns);
  void Observe(const std::string& name, const std::map<std::string, std::string>& labels,
               double v, int64_t now_ns);

  // Text exposition (format 0.0.4) of every metric, sorted by name, after
  // dropping series idle longer than their metric's max_idle_duration.
  std::string Expose(int64_t now_ns);

 private:
  struct Series {
    double value = 0;                 // counter/gauge value; histogram sum
    uint64_t count = 0;               // histogram count
    std::vector<uint64_t> buckets;    // histogram, non-cumulative, +Inf last
    int64_t last_update_ns = 0;
  };
  struct Metric {
    common::MetricType type = common::MetricType::kCounter;
    std::string help;
    std::vector<double> bounds;
    int64_t max_idle_ns = 0;
    std::map<std::map<std::string, std::string>, Series> series;
  };
  Series* SeriesFor(Metric* m, const std::map<std::string, std::string>& labels, int64_t now_ns);

  std::mutex mu_;
  std::map<std::string, Metric> metrics_;  // guarded by mu_
};

}  // namespace skald::agent::pipeline
