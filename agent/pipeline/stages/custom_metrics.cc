#include "agent/pipeline/stages/custom_metrics.h"

#include "common/json_writer.h"
#include "common/labels.h"

namespace skald::agent::pipeline {

CustomMetrics* CustomMetrics::Default() {
  static CustomMetrics* instance = new CustomMetrics();
  return instance;
}

common::Status CustomMetrics::Declare(const std::string& name, common::MetricType type,
                                      const std::string& help, std::vector<double> buckets,
                                      int64_t max_idle_ns) {
  std::lock_guard<std::mutex> lock(mu_);
  auto [it, created] = metrics_.try_emplace(name);
  if (!created) {
    if (it->second.type != type) {
      return common::Status::InvalidArgument("metric \"" + name +
                                             "\" is already defined with another type");
    }
    return common::Status::OK();
  }
  it->second.type = type;
  it->second.help = help;
  it->second.bounds = std::move(buckets);
  it->second.max_idle_ns = max_idle_ns;
  return common::Status::OK();
}

CustomMetrics::Series* CustomMetrics::SeriesFor(Metric* m,
                                                const std::map<std::string, std::string>& labels,
                                                int64_t now_ns) {
  auto it = m->series.find(labels);
  if (it == m->series.end()) {
    if (m->series.size() >= kMaxSeriesPerMetric) return nullptr;
    it = m->series.emplace(labels, Series{}).first;
    if (m->type == common::MetricType::kHistogram) it->second.buckets.resize(m->bounds.size() + 1);
  }
  it->second.last_update_ns = now_ns;
  return &it->second;
}

void CustomMetrics::CounterAdd(const std::string& name,
                               const std::map<std::string, std::string>& labels, double v,
                               int64_t now_ns) {
  if (!(v >= 0)) return;  // counters only grow (also rejects NaN)
  std::lock_guard<std::mutex> lock(mu_);
  auto m = metrics_.find(name);
  if (m == metrics_.end()) return;
  if (Series* s = SeriesFor(&m->second, labels, now_ns)) s->value += v;
}

void CustomMetrics::GaugeUpdate(const std::string& name,
                                const std::map<std::string, std::string>& labels, GaugeOp op,
                                double v, int64_t now_ns) {
  std::lock_guard<std::mutex> lock(mu_);
  auto m = metrics_.find(name);
  if (m == metrics_.end()) return;
  Series* s = SeriesFor(&m->second, labels, now_ns);
  if (s == nullptr) return;
  if (op == GaugeOp::kSet) {
    s->value = v;
  } else {
    s->value += v;
  }
}

void CustomMetrics::Observe(const std::string& name,
                            const std::map<std::string, std::string>& labels, double v,
                            int64_t now_ns) {
  std::lock_guard<std::mutex> lock(mu_);
  auto m = metrics_.find(name);
  if (m == metrics_.end()) return;
  Series* s = SeriesFor(&m->second, labels, now_ns);
  if (s == nullptr) return;
  size_t i = 0;
  while (i < m->second.bounds.size() && v > m->second.bounds[i]) ++i;
  ++s->buckets[i];
  ++s->count;
  s->value += v;
}

namespace {

// `{a="1",b="2"}` with an optional extra label (le) last; "" when empty.
std::string LabelText(const std::map<std::string, std::string>& labels, const char* extra_name,
                      const std::string& extra_value) {
  if (labels.empty() && extra_name == nullptr) return "";
  std::string out = "{";
  bool first = true;
  auto add = [&](const std::string& k, const std::string& v) {
    if (!first) out += ',';
    first = false;
    out += k;
    out += '=';
    common::AppendGoQuoted(&out, v);
  };
  for (const auto& [k, v] : labels) add(k, v);
  if (extra_name != nullptr) add(extra_name, extra_value);
  out += '}';
  return out;
}

}  // namespace

std::string CustomMetrics::Expose(int64_t now_ns) {
  std::lock_guard<std::mutex> lock(mu_);
  std::string out;
  for (auto& [name, m] : metrics_) {
    if (m.max_idle_ns > 0) {
      std::erase_if(m.series,
                    [&](const auto& kv) { return now_ns - kv.second.last_update_ns > m.max_idle_ns; });
    }
    const char* type = m.type == common::MetricType::kCounter ? "counter"
                       : m.type == common::MetricType::kGauge ? "gauge"
                                                                : "histogram";
    out += "# HELP " + name + " " + m.help + "\n# TYPE " + name + " " + type + "\n";
    for (const auto& [labels, s] : m.series) {
      if (m.type != common::MetricType::kHistogram) {
        out += name + LabelText(labels, nullptr, "") + " " + common::FormatFloatGo(s.value) + "\n";
        continue;
      }
      uint64_t cumulative = 0;
      for (size_t i = 0; i <= m.bounds.size(); ++i) {
        cumulative += s.buckets[i];
        std::string le = i < m.bounds.size() ? common::FormatFloatGo(m.bounds[i]) : "+Inf";
        out += name + "_bucket" + LabelText(labels, "le", le) + " " + std::to_string(cumulative) + "\n";
      }
      out += name + "_sum" + LabelText(labels, nullptr, "") + " " + common::FormatFloatGo(s.value) + "\n";
      out += name + "_count" + LabelText(labels, nullptr, "") + " " + std::to_string(s.count) + "\n";
    }
  }
  return out;
}

}  // namespace skald::agent::pipeline
