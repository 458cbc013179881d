// metrics: updates Counter, Gauge and Histogram metrics from extracted
// values (Promtail's `metrics`), registered in CustomMetrics::Default() with
// the prefix `promtail_custom_` (configurable per metric) and the entry's
// stream labels (internal `__` labels excluded). Entries pass unchanged.
//
// Per metric: type (Counter|Gauge|Histogram, case-insensitive), description,
// source (extracted key, default the metric name), prefix,
// max_idle_duration (default 5m), config: value (only count when the
// extracted value equals it), action (counter: inc|add; gauge:
// set|inc|dec|add|sub), match_all and count_entry_bytes (counter only),
// buckets (histogram). A value that does not parse as a number is skipped.
#include <algorithm>
#include <cctype>
#include <cstdlib>

#include "agent/pipeline/stages/custom_metrics.h"
#include "agent/pipeline/stages/stages.h"
#include "common/clock.h"

namespace skald::agent::pipeline {
namespace {

constexpr int64_t kDefaultMaxIdleNs = 5LL * 60 * 1000 * 1000 * 1000;
constexpr char kDefaultPrefix[] = "promtail_custom_";

struct MetricDef {
  std::string full_name;
  common::MetricType type = common::MetricType::kCounter;
  std::string source;
  std::string value;  // filter; empty: none
  bool has_value = false;
  std::string action;
  bool match_all = false;
  bool count_entry_bytes = false;
};

bool ParseNumber(const std::string& s, double* out) {
  if (s.empty()) return false;
  char* end = nullptr;
  *out = std::strtod(s.c_str(), &end);
  return end == s.c_str() + s.size();
}

class MetricsStage final : public Stage {
 public:
  MetricsStage(std::vector<MetricDef> defs, CustomMetrics* registry, common::Clock* clock)
      : defs_(std::move(defs)), registry_(registry), clock_(clock) {}

  void Process(PipelineEntry e, std::vector<PipelineEntry>* out) override {
    std::map<std::string, std::string> labels;
    for (const auto& [k, v] : e.labels) {
      if (k.rfind("__", 0) != 0 && !v.empty()) labels.emplace(k, v);
    }
    int64_t now = clock_->MonotonicNanos();
    for (const MetricDef& d : defs_) Update(d, e, labels, now);
    out->push_back(std::move(e));
  }
  const char* name() const override { return "metrics"; }

 private:
  void Update(const MetricDef& d, const PipelineEntry& e,
              const std::map<std::string, std::string>& labels, int64_t now) {
    if (d.type == common::MetricType::kCounter && d.match_all) {
      double v = d.count_entry_bytes ? static_cast<double>(e.line.size()) : 1.0;
      registry_->CounterAdd(d.full_name, labels, v, now);
      return;
    }
    auto it = e.extracted.find(d.source);
    if (it == e.extracted.end()) return;
    if (d.has_value && it->second != d.value) return;
    double num = 0;
    switch (d.type) {
      case common::MetricType::kCounter:
        if (d.action == "inc") {
          registry_->CounterAdd(d.full_name, labels, 1.0, now);
        } else if (ParseNumber(it->second, &num)) {
          registry_->CounterAdd(d.full_name, labels, num, now);
        }
        return;
      case common::MetricType::kGauge: {
        using Op = CustomMetrics::GaugeOp;
        if (d.action == "inc" || d.action == "dec") {
          registry_->GaugeUpdate(d.full_name, labels, Op::kAdd, d.action == "inc" ? 1 : -1, now);
          return;
        }
        if (!ParseNumber(it->second, &num)) return;
        if (d.action == "set") registry_->GaugeUpdate(d.full_name, labels, Op::kSet, num, now);
        if (d.action == "add") registry_->GaugeUpdate(d.full_name, labels, Op::kAdd, num, now);
        if (d.action == "sub") registry_->GaugeUpdate(d.full_name, labels, Op::kAdd, -num, now);
        return;
      }
      case common::MetricType::kHistogram:
        if (ParseNumber(it->second, &num)) registry_->Observe(d.full_name, labels, num, now);
        return;
    }
  }

  std::vector<MetricDef> defs_;
  CustomMetrics* registry_;
  common::Clock* clock_;
};

Status ReadMetric(YamlMap* m, const std::string& name, CustomMetrics* registry, MetricDef* d) {
  SKALD_RETURN_IF_ERROR(m->CheckIsMap());
  std::string type, description, prefix = kDefaultPrefix;
  int64_t max_idle = kDefaultMaxIdleNs;
  d->source = name;
  SKALD_RETURN_IF_ERROR(m->GetString("type", &type));
  SKALD_RETURN_IF_ERROR(m->GetString("description", &description));
  SKALD_RETURN_IF_ERROR(m->GetString("source", &d->source));
  SKALD_RETURN_IF_ERROR(m->GetString("prefix", &prefix));
  SKALD_RETURN_IF_ERROR(m->GetDuration("max_idle_duration", &max_idle));
  YamlMap c(m->GetNode("config"), m->file(), m->PathOf("config"));
  SKALD_RETURN_IF_ERROR(m->CheckNoUnknownKeys());
  SKALD_RETURN_IF_ERROR(c.CheckIsMap());
  std::transform(type.begin(), type.end(), type.begin(), ::tolower);
  d->has_value = c.Has("value");
  SKALD_RETURN_IF_ERROR(c.GetString("value", &d->value));
  std::vector<double> buckets;
  if (type == "counter") {
    d->type = common::MetricType::kCounter;
    SKALD_RETURN_IF_ERROR(c.GetString("action", &d->action));
    SKALD_RETURN_IF_ERROR(c.GetBool("match_all", &d->match_all));
    SKALD_RETURN_IF_ERROR(c.GetBool("count_entry_bytes", &d->count_entry_bytes));
    if (d->count_entry_bytes && !d->match_all) {
      return c.Error("count_entry_bytes", "count_entry_bytes requires match_all: true");
    }
    if (d->match_all && d->has_value) return c.Error("value", "value cannot be used with match_all");
    if (d->action != "inc" && d->action != "add") {
      return c.Error("action", "counter action must be inc or add");
    }
  } else if (type == "gauge") {
    d->type = common::MetricType::kGauge;
    SKALD_RETURN_IF_ERROR(c.GetString("action", &d->action));
    static const char* kActions[] = {"set", "inc", "dec", "add", "sub"};
    if (std::none_of(std::begin(kActions), std::end(kActions),
                     [&](const char* a) { return d->action == a; })) {
      return c.Error("action", "gauge action must be set, inc, dec, add or sub");
    }
  } else if (type == "histogram") {
    d->type = common::MetricType::kHistogram;
    YAML::Node b = c.GetNode("buckets");
    if (!b.IsSequence() || b.size() == 0) return c.Error("buckets", "histogram requires buckets");
    for (const auto& x : b) {
      double v = 0;
      if (!x.IsScalar() || !ParseNumber(x.Scalar(), &v)) {
        return c.Error("buckets", "buckets must be numbers");
      }
      if (!buckets.empty() && v <= buckets.back()) {
        return c.Error("buckets", "buckets must be in increasing order");
      }
      buckets.push_back(v);
    }
  } else {
    return m->Error("type", "type must be Counter, Gauge or Histogram");
  }
  SKALD_RETURN_IF_ERROR(c.CheckNoUnknownKeys());
  d->full_name = prefix + name;
  if (!common::IsValidLabelName(d->full_name)) {
    return m->Error("prefix", "invalid metric name \"" + d->full_name + "\"");
  }
  Status s = registry->Declare(d->full_name, d->type, description, std::move(buckets), max_idle);
  if (!s.ok()) return m->Error("type", s.message());
  return Status::OK();
}

}  // namespace

StageResult NewMetricsStageWith(YamlMap* cfg, CustomMetrics* registry, common::Clock* clock) {
  const YAML::Node& n = cfg->node();
  if (!n.IsMap() || n.size() == 0) {
    return YamlMap::ErrorAt(cfg->file(), n, "metrics", "expected a non-empty mapping of metrics");
  }
  std::vector<MetricDef> defs;
  for (const auto& kv : n) {
    std::string name = kv.first.Scalar();
    YamlMap m(cfg->GetNode(name), cfg->file(), cfg->PathOf(name));
    MetricDef d;
    SKALD_RETURN_IF_ERROR(ReadMetric(&m, name, registry, &d));
    defs.push_back(std::move(d));
  }
  return std::unique_ptr<Stage>(std::make_unique<MetricsStage>(std::move(defs), registry, clock));
}

StageResult NewMetricsStage(YamlMap* cfg) {
  return NewMetricsStageWith(cfg, CustomMetrics::Default(), common::Clock::Real());
}

}  // namespace skald::agent::pipeline
