#include "common/metrics.h"

#include <charconv>
#include <cmath>
#include <cstdlib>

namespace skald::common {

struct MetricsRegistry::Entry {
  std::string help;
  MetricType type = MetricType::kCounter;
  std::unique_ptr<Family<Counter>> counters;
  std::unique_ptr<Family<Gauge>> gauges;
  std::unique_ptr<Family<Histogram>> histograms;
  std::function<double()> callback;
};

namespace {

const char* TypeName(MetricType t) {
  switch (t) {
    case MetricType::kCounter: return "counter";
    case MetricType::kGauge: return "gauge";
    case MetricType::kHistogram: return "histogram";
  }
  return "untyped";
}

void AppendEscaped(std::string* out, std::string_view s, bool quote_too) {
  for (char c : s) {
    if (c == '\\') {
      out->append("\\\\");
    } else if (c == '\n') {
      out->append("\\n");
    } else if (c == '"' && quote_too) {
      out->append("\\\"");
    } else {
      out->push_back(c);
    }
  }
}

// {a="1",b="2"} plus an optional extra label (le for buckets); nothing when empty.
void AppendLabels(std::string* out, const std::vector<std::string>& names,
                  const std::vector<std::string>& values, std::string_view extra_name = {},
                  std::string_view extra_value = {}) {
  if (names.empty() && extra_name.empty()) return;
  out->push_back('{');
  bool first = true;
  for (size_t i = 0; i < names.size(); ++i) {
    if (!first) out->push_back(',');
    first = false;
    out->append(names[i]);
    out->append("=\"");
    AppendEscaped(out, values[i], true);
    out->push_back('"');
  }
  if (!extra_name.empty()) {
    if (!first) out->push_back(',');
    out->append(extra_name);
    out->append("=\"");
    out->append(extra_value);
    out->push_back('"');
  }
  out->push_back('}');
}

void AppendSample(std::string* out, std::string_view name, const std::vector<std::string>& names,
                  const std::vector<std::string>& values, double v) {
  out->append(name);
  AppendLabels(out, names, values);
  out->push_back(' ');
  out->append(FormatPromFloat(v));
  out->push_back('\n');
}

void AppendHistogram(std::string* out, const std::string& name, const std::vector<std::string>& names,
                     const std::vector<std::string>& values, const Histogram& h) {
  uint64_t cumulative = 0;
  const auto& bounds = h.upper_bounds();
  for (size_t i = 0; i <= bounds.size(); ++i) {
    cumulative += h.BucketCount(i);
    out->append(name);
    out->append("_bucket");
    AppendLabels(out, names, values, "le", i < bounds.size() ? FormatPromFloat(bounds[i]) : "+Inf");
    out->push_back(' ');
    out->append(std::to_string(cumulative));
    out->push_back('\n');
  }
  AppendSample(out, name + "_sum", names, values, h.Sum());
  out->append(name);
  out->append("_count");
  AppendLabels(out, names, values);
  out->push_back(' ');
  out->append(std::to_string(cumulative));
  out->push_back('\n');
}

}  // namespace

Histogram::Histogram(std::vector<double> upper_bounds)
    : bounds_(std::move(upper_bounds)), counts_(new std::atomic<uint64_t>[bounds_.size() + 1]) {
  for (size_t i = 0; i <= bounds_.size(); ++i) counts_[i].store(0, std::memory_order_relaxed);
}

void Histogram::Observe(double v) {
  size_t i = 0;
  while (i < bounds_.size() && v > bounds_[i]) ++i;
  counts_[i].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(v, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
}

std::vector<double> DefaultBuckets() { return {.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}; }

std::vector<double> ExponentialBuckets(double start, double factor, int count) {
  std::vector<double> out;
  for (int i = 0; i < count; ++i) {
    out.push_back(start);
    start *= factor;
  }
  return out;
}

std::string FormatPromFloat(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v == 0) return std::signbit(v) ? "-0" : "0";
  char buf[64];
  auto sci = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::scientific);
  std::string s(buf, sci.ptr);
  size_t e = s.find('e');
  int exp = std::atoi(s.c_str() + e + 1);
  // Go's shortest 'g': %e when the exponent is < -4 or >= 6.
  if (exp < -4 || exp >= 6) return s;
  auto fixed = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::fixed);
  return std::string(buf, fixed.ptr);
}

MetricsRegistry::MetricsRegistry() = default;
MetricsRegistry::~MetricsRegistry() = default;

MetricsRegistry::Entry* MetricsRegistry::FindOrAdd(const std::string& name, MetricType type, bool* created) {
  auto& slot = entries_[name];
  *created = !slot;
  if (!slot) {
    slot = std::make_unique<Entry>();
    slot->type = type;
  }
  return slot.get();
}

Family<Counter>* MetricsRegistry::AddCounter(std::string name, std::string help,
                                            std::vector<std::string> label_names) {
  std::lock_guard<std::mutex> lock(mu_);
  bool created = false;
  Entry* e = FindOrAdd(name, MetricType::kCounter, &created);
  if (created) {
    e->help = std::move(help);
    e->counters = std::make_unique<Family<Counter>>(std::move(label_names),
                                                    [] { return std::make_unique<Counter>(); });
  }
  return e->counters.get();
}

Family<Gauge>* MetricsRegistry::AddGauge(std::string name, std::string help, std::vector<std::string> label_names) {
  std::lock_guard<std::mutex> lock(mu_);
  bool created = false;
  Entry* e = FindOrAdd(name, MetricType::kGauge, &created);
  if (created) {
    e->help = std::move(help);
    e->gauges = std::make_unique<Family<Gauge>>(std::move(label_names), [] { return std::make_unique<Gauge>(); });
  }
  return e->gauges.get();
}

Family<Histogram>* MetricsRegistry::AddHistogram(std::string name, std::string help,
                                                std::vector<std::string> label_names,
                                                std::vector<double> buckets) {
  std::lock_guard<std::mutex> lock(mu_);
  bool created = false;
  Entry* e = FindOrAdd(name, MetricType::kHistogram, &created);
  if (created) {
    e->help = std::move(help);
    e->histograms = std::make_unique<Family<Histogram>>(
        std::move(label_names), [buckets] { return std::make_unique<Histogram>(buckets); });
  }
  return e->histograms.get();
}

void MetricsRegistry::AddCallback(std::string name, std::string help, MetricType type, std::function<double()> fn) {
  if (type == MetricType::kHistogram) return;
  std::lock_guard<std::mutex> lock(mu_);
  bool created = false;
  Entry* e = FindOrAdd(name, type, &created);
  if (created) {
    e->help = std::move(help);
    e->callback = std::move(fn);
  }
}

std::string MetricsRegistry::Expose() const {
  std::string out;
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [name, e] : entries_) {
    out.append("# HELP ");
    out.append(name);
    out.push_back(' ');
    AppendEscaped(&out, e->help, false);
    out.append("\n# TYPE ");
    out.append(name);
    out.push_back(' ');
    out.append(TypeName(e->type));
    out.push_back('\n');
    if (e->callback) {
      AppendSample(&out, name, {}, {}, e->callback());
    } else if (e->counters) {
      const auto& names = e->counters->label_names();
      e->counters->ForEach([&](const auto& values, const Counter& c) { AppendSample(&out, name, names, values, c.Value()); });
    } else if (e->gauges) {
      const auto& names = e->gauges->label_names();
      e->gauges->ForEach([&](const auto& values, const Gauge& g) { AppendSample(&out, name, names, values, g.Value()); });
    } else if (e->histograms) {
      const auto& names = e->histograms->label_names();
      e->histograms->ForEach(
          [&](const auto& values, const Histogram& h) { AppendHistogram(&out, name, names, values, h); });
    }
  }
  return out;
}

}  // namespace skald::common
