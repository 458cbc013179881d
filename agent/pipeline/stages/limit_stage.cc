// limit: rate-limits entries with a token bucket of `rate` entries per
// second and `burst` capacity, starting full (Promtail's `limit`, built on
// golang.org/x/time/rate). With `drop: true` an entry over the limit is
// dropped; otherwise the stage waits (blocking the file's pipeline) until a
// token is available. With `by_label_name` each value of that label has its
// own bucket and entries without the label are not limited; when the number
// of buckets reaches `max_distinct_labels` (at least kMinDistinctLabels) all
// buckets are forgotten and start full again, as in Promtail. Drops are
// counted in logentry_dropped_lines_total{reason="ratelimit_drop_stage"}
// (and per label value with by_label_name), see drop_metrics.h.
#include <algorithm>
#include <chrono>
#include <thread>
#include <unordered_map>

#include "agent/pipeline/stages/drop_metrics.h"
#include "agent/pipeline/stages/stages.h"
#include "common/clock.h"

namespace skald::agent::pipeline {
namespace {

constexpr int64_t kMinDistinctLabels = 10000;

class TokenBucket {
 public:
  TokenBucket(double rate, double burst, int64_t now_ns)
      : rate_(rate), burst_(burst), tokens_(burst), last_ns_(now_ns) {}

  // Takes one token if available now; otherwise returns the wait in ns
  // until one will be (after reserving it when `reserve`).
  int64_t Take(int64_t now_ns, bool reserve) {
    Refill(now_ns);
    if (tokens_ >= 1) {
      tokens_ -= 1;
      return 0;
    }
    if (rate_ <= 0) return -1;  // never refills
    int64_t wait = static_cast<int64_t>((1 - tokens_) / rate_ * 1e9) + 1;
    if (reserve) tokens_ -= 1;
    return wait;
  }

 private:
  void Refill(int64_t now_ns) {
    if (now_ns > last_ns_) {
      tokens_ = std::min(burst_, tokens_ + rate_ * static_cast<double>(now_ns - last_ns_) / 1e9);
      last_ns_ = now_ns;
    }
  }
  double rate_, burst_, tokens_;
  int64_t last_ns_;
};

class LimitStage final : public Stage {
 public:
  LimitStage(double rate, int64_t burst, bool drop, std::string by_label, int64_t max_distinct,
             common::Clock* clock)
      : rate_(rate), burst_(static_cast<double>(burst)), drop_(drop),
        by_label_(std::move(by_label)), max_distinct_(max_distinct), clock_(clock),
        global_(rate, static_cast<double>(burst), clock->MonotonicNanos()) {}

  void Process(PipelineEntry e, std::vector<PipelineEntry>* out) override {
    TokenBucket* bucket = &global_;
    if (!by_label_.empty()) {
      auto l = e.labels.find(by_label_);
      if (l == e.labels.end()) {
        out->push_back(std::move(e));
        return;
      }
      auto it = buckets_.find(l->second);
      if (it == buckets_.end()) {
        if (static_cast<int64_t>(buckets_.size()) >= max_distinct_) buckets_.clear();
        it = buckets_.emplace(l->second, TokenBucket(rate_, burst_, clock_->MonotonicNanos())).first;
      }
      bucket = &it->second;
    }
    int64_t wait = bucket->Take(clock_->MonotonicNanos(), !drop_);
    if (wait != 0) {
      if (drop_ || wait < 0) {
        CountDroppedLine(kRateLimitDropReason);
        if (!by_label_.empty()) CountDroppedLineByLabel(by_label_, *e.labels.Get(by_label_));
        return;
      }
      std::this_thread::sleep_for(std::chrono::nanoseconds(wait));
    }
    out->push_back(std::move(e));
  }
  const char* name() const override { return "limit"; }

 private:
  double rate_, burst_;
  bool drop_;
  std::string by_label_;
  int64_t max_distinct_;
  common::Clock* clock_;
  TokenBucket global_;
  std::unordered_map<std::string, TokenBucket> buckets_;
};

}  // namespace

StageResult NewLimitStageWithClock(YamlMap* cfg, common::Clock* clock) {
  SKALD_RETURN_IF_ERROR(cfg->CheckIsMap());
  double rate = 0;
  int64_t burst = 0, max_distinct = kMinDistinctLabels;
  bool drop = false;
  std::string by_label;
  bool has_rate = cfg->Has("rate"), has_burst = cfg->Has("burst");
  SKALD_RETURN_IF_ERROR(cfg->GetDouble("rate", &rate));
  SKALD_RETURN_IF_ERROR(cfg->GetInt("burst", &burst));
  SKALD_RETURN_IF_ERROR(cfg->GetBool("drop", &drop));
  SKALD_RETURN_IF_ERROR(cfg->GetString("by_label_name", &by_label));
  SKALD_RETURN_IF_ERROR(cfg->GetInt("max_distinct_labels", &max_distinct));
  SKALD_RETURN_IF_ERROR(cfg->CheckNoUnknownKeys());
  if (!has_rate || rate <= 0) return cfg->Error("rate", "limit stage requires a positive rate");
  if (!has_burst || burst <= 0) return cfg->Error("burst", "limit stage requires a positive burst");
  max_distinct = std::max(max_distinct, kMinDistinctLabels);
  return std::unique_ptr<Stage>(
      std::make_unique<LimitStage>(rate, burst, drop, std::move(by_label), max_distinct, clock));
}

StageResult NewLimitStage(YamlMap* cfg) { return NewLimitStageWithClock(cfg, common::Clock::Real()); }

}  // namespace skald::agent::pipeline
