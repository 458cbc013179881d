// Prometheus metrics: a registry of Counter, Gauge and Histogram families
// with label names, callback gauges/counters, and Expose() in the text
// exposition format 0.0.4 (what GET /metrics serves).
//
// Concurrency: everything is thread-safe. Metric updates are lock-free
// atomics; Family::WithLabels takes the family's mutex and returns a pointer
// that stays valid for the registry's lifetime, so hot paths look a child up
// once and keep the pointer.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace skald::common {

class Counter {
 public:
  // Adds `v` (must be >= 0; negative values are ignored, as counters only grow).
  void Inc(double v = 1.0) {
    if (v > 0) value_.fetch_add(v, std::memory_order_relaxed);
  }
  double Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

class Gauge {
 public:
  void Set(double v) { value_.store(v, std::memory_order_relaxed); }
  void Add(double v) { value_.fetch_add(v, std::memory_order_relaxed); }
  void Inc() { Add(1.0); }
  void Dec() { Add(-1.0); }
  double Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

class Histogram {
 public:
  // `upper_bounds` ascending; the +Inf bucket is implicit.
  explicit Histogram(std::vector<double> upper_bounds);
  Histogram(const Histogram&) = delete;
  Histogram& operator=(const Histogram&) = delete;

  void Observe(double v);
  const std::vector<double>& upper_bounds() const { return bounds_; }
  // Non-cumulative count of bucket i (i == bounds.size() is +Inf).
  uint64_t BucketCount(size_t i) const { return counts_[i].load(std::memory_order_relaxed); }
  uint64_t Count() const { return count_.load(std::memory_order_relaxed); }
  double Sum() const { return sum_.load(std::memory_order_relaxed); }

 private:
  const std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;
  std::atomic<uint64_t> count_{0};
  std::atomic<double> sum_{0.0};
};

// Prometheus client_golang's DefBuckets.
std::vector<double> DefaultBuckets();
// `count` buckets: start, start*factor, ... (client_golang ExponentialBuckets).
std::vector<double> ExponentialBuckets(double start, double factor, int count);

enum class MetricType : uint8_t { kCounter = 0, kGauge = 1, kHistogram = 2 };

// One metric name with a fixed list of label names; children per label values.
template <typename M>
class Family {
 public:
  using Factory = std::function<std::unique_ptr<M>()>;
  Family(std::vector<std::string> label_names, Factory factory)
      : label_names_(std::move(label_names)), factory_(std::move(factory)) {}
  Family(const Family&) = delete;
  Family& operator=(const Family&) = delete;

  // The child for these label values (same order and count as the label
  // names; missing values are empty, extra ones ignored). Created on first
  // use; the pointer stays valid for the family's lifetime.
  M* WithLabels(std::vector<std::string> values) {
    values.resize(label_names_.size());
    std::lock_guard<std::mutex> lock(mu_);
    auto& slot = children_[values];
    if (!slot) slot = factory_();
    return slot.get();
  }
  // Shortcut for a family without labels.
  M* Get() { return WithLabels({}); }

  const std::vector<std::string>& label_names() const { return label_names_; }
  // Calls fn(label values, child) for every child in label-value order.
  template <typename Fn>
  void ForEach(Fn&& fn) const {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [values, child] : children_) fn(values, *child);
  }

 private:
  const std::vector<std::string> label_names_;
  const Factory factory_;
  mutable std::mutex mu_;
  std::map<std::vector<std::string>, std::unique_ptr<M>> children_;  // guarded by mu_
};

class MetricsRegistry {
 public:
  MetricsRegistry();
  ~MetricsRegistry();
  MetricsRegistry(const MetricsRegistry&) = delete;
  MetricsRegistry& operator=(const MetricsRegistry&) = delete;

  // Registers (or returns the already registered) family `name`. Registering
  // a name again with another type returns nullptr (a programming error).
  // The registry owns the family; the pointer is valid for its lifetime.
  Family<Counter>* AddCounter(std::string name, std::string help, std::vector<std::string> label_names = {});
  Family<Gauge>* AddGauge(std::string name, std::string help, std::vector<std::string> label_names = {});
  Family<Histogram>* AddHistogram(std::string name, std::string help, std::vector<std::string> label_names,
                                  std::vector<double> buckets = DefaultBuckets());
  // A value read at exposition time (e.g. open fds, queue length). `fn` must
  // be thread-safe and outlive the registry. A duplicate name is ignored.
  void AddCallback(std::string name, std::string help, MetricType type, std::function<double()> fn);

  // All metrics in the Prometheus text format 0.0.4, families sorted by name.
  std::string Expose() const;

 private:
  struct Entry;
  Entry* FindOrAdd(const std::string& name, MetricType type, bool* created);

  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<Entry>> entries_;  // guarded by mu_
};

// Go strconv.FormatFloat(v, 'g', -1, 64) as Prometheus writes sample values,
// with "+Inf", "-Inf", "NaN".
std::string FormatPromFloat(double v);

}  // namespace skald::common
