// drop: drops entries matching every configured condition (Promtail's
// `drop`): `source` (one key or a list; with several, values are joined by
// `separator`, default ";"), `value` (exact match) or `expression` (RE2,
// unanchored), `older_than` (duration against the entry timestamp) and
// `longer_than` (bytes of the line). Drops are counted in
// logentry_dropped_lines_total{reason=drop_counter_reason|"drop_stage"}.
// With only `source`, an entry is dropped when the key is present.
#include <re2/re2.h>

#include <ctime>

#include "agent/pipeline/stages/drop_metrics.h"
#include "agent/pipeline/stages/stages.h"

namespace skald::agent::pipeline {
namespace {

struct DropConfig {
  std::vector<std::string> sources;
  std::string separator = ";";
  std::string value;
  bool has_value = false;
  std::unique_ptr<re2::RE2> re;
  int64_t older_than_ns = 0;
  int64_t longer_than = 0;
  std::string reason = kDropStageReason;  // drop_counter_reason
};

class DropStage final : public Stage {
 public:
  explicit DropStage(DropConfig c) : c_(std::move(c)) {}

  void Process(PipelineEntry e, std::vector<PipelineEntry>* out) override {
    if (Matches(e)) {
      CountDroppedLine(c_.reason);
      return;
    }
    out->push_back(std::move(e));
  }
  const char* name() const override { return "drop"; }

 private:
  bool Matches(const PipelineEntry& e) const {
    if (c_.longer_than > 0 && static_cast<int64_t>(e.line.size()) <= c_.longer_than) return false;
    if (c_.older_than_ns > 0) {
      timespec ts;
      clock_gettime(CLOCK_REALTIME, &ts);
      int64_t now = static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
      if (e.timestamp_ns >= now - c_.older_than_ns) return false;
    }
    if (c_.sources.empty() && !c_.has_value && !c_.re) return true;
    std::string subject;
    if (c_.sources.empty()) {
      subject = e.line;
    } else {
      for (size_t i = 0; i < c_.sources.size(); ++i) {
        const std::string* v = SourceValue(e, c_.sources[i]);
        if (v == nullptr) return false;
        if (i > 0) subject += c_.separator;
        subject += *v;
      }
    }
    if (c_.has_value && subject != c_.value) return false;
    if (c_.re && !re2::RE2::PartialMatch(subject, *c_.re)) return false;
    return true;
  }

  DropConfig c_;
};

}  // namespace

StageResult NewDropStage(YamlMap* cfg) {
  SKALD_RETURN_IF_ERROR(cfg->CheckIsMap());
  DropConfig c;
  std::string expression, reason;
  SKALD_RETURN_IF_ERROR(cfg->GetStringList("source", &c.sources));
  SKALD_RETURN_IF_ERROR(cfg->GetString("separator", &c.separator));
  c.has_value = cfg->Has("value");
  SKALD_RETURN_IF_ERROR(cfg->GetString("value", &c.value));
  SKALD_RETURN_IF_ERROR(cfg->GetString("expression", &expression));
  SKALD_RETURN_IF_ERROR(cfg->GetDuration("older_than", &c.older_than_ns));
  SKALD_RETURN_IF_ERROR(cfg->GetBytes("longer_than", &c.longer_than));
  SKALD_RETURN_IF_ERROR(cfg->GetString("drop_counter_reason", &reason));
  SKALD_RETURN_IF_ERROR(cfg->CheckNoUnknownKeys());
  if (!reason.empty()) c.reason = reason;
  if (c.has_value && !expression.empty()) {
    return cfg->Error("value", "value and expression are mutually exclusive");
  }
  if (!expression.empty()) {
    re2::RE2::Options o;
    o.set_log_errors(false);
    c.re = std::make_unique<re2::RE2>(expression, o);
    if (!c.re->ok()) return cfg->Error("expression", "invalid regex: " + c.re->error());
  }
  if (c.sources.empty() && !c.has_value && !c.re && c.older_than_ns == 0 && c.longer_than == 0) {
    return YamlMap::ErrorAt(cfg->file(), cfg->node(), "drop", "at least one condition is required");
  }
  return std::unique_ptr<Stage>(std::make_unique<DropStage>(std::move(c)));
}

}  // namespace skald::agent::pipeline
