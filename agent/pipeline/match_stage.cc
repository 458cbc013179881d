// match: runs nested stages on (action: keep) or drops (action: drop) the
// entries whose labels match a LogQL stream selector and whose line passes
// the selector's line filters (Promtail's `match`). Entries that do not
// match pass on unchanged. Supported line filters: |= != |~ !~ (with `or`
// alternatives); pattern and ip() filters and other LogQL stages are
// rejected at config time. Drops are counted in
// logentry_dropped_lines_total{reason=drop_counter_reason|"match_stage"}.
#include <re2/re2.h>

#include "agent/pipeline/pipeline.h"
#include "agent/pipeline/stages/drop_metrics.h"
#include "common/logql/ast.h"
#include "common/logql/parser.h"

namespace skald::agent::pipeline {
namespace {

namespace logql = common::logql;

// One `op term or term...` filter.
struct LineFilter {
  logql::LineMatchType op = logql::LineMatchType::kContains;
  std::vector<std::string> needles;                // contains
  std::vector<std::unique_ptr<re2::RE2>> regexes;  // regex

  bool Passes(const std::string& line) const {
    bool any = false;
    for (const std::string& n : needles) any = any || line.find(n) != std::string::npos;
    for (const auto& re : regexes) any = any || re2::RE2::PartialMatch(line, *re);
    return logql::IsNegated(op) ? !any : any;
  }
};

class MatchStage final : public Stage {
 public:
  MatchStage(std::vector<common::Matcher> matchers, std::vector<LineFilter> filters, bool drop,
             std::string drop_reason, std::unique_ptr<Pipeline> nested)
      : matchers_(std::move(matchers)), filters_(std::move(filters)), drop_(drop),
        drop_reason_(std::move(drop_reason)), nested_(std::move(nested)) {}

  void Process(PipelineEntry e, std::vector<PipelineEntry>* out) override {
    if (!Matches(e)) {
      out->push_back(std::move(e));
      return;
    }
    if (drop_) {
      CountDroppedLine(drop_reason_);
      return;
    }
    nested_->Process(std::move(e), out);
  }
  void Flush(int64_t now_ns, bool force, std::vector<PipelineEntry>* out) override {
    if (nested_) nested_->Flush(now_ns, force, out);
  }
  std::optional<uint64_t> PendingStart() const override {
    return nested_ ? nested_->PendingStart() : std::nullopt;
  }
  const char* name() const override { return "match"; }

 private:
  bool Matches(const PipelineEntry& e) const {
    for (const common::Matcher& m : matchers_) {
      auto it = e.labels.find(m.name());
      if (!m.Matches(it == e.labels.end() ? std::string_view() : std::string_view(it->second))) {
        return false;
      }
    }
    for (const LineFilter& f : filters_) {
      if (!f.Passes(e.line)) return false;
    }
    return true;
  }

  std::vector<common::Matcher> matchers_;
  std::vector<LineFilter> filters_;
  bool drop_;
  std::string drop_reason_;  // logentry_dropped_lines_total{reason}
  std::unique_ptr<Pipeline> nested_;  // null for action: drop
};

}  // namespace

StageResult NewMatchStage(YamlMap* cfg) {
  SKALD_RETURN_IF_ERROR(cfg->CheckIsMap());
  std::string selector, action = "keep", pipeline_name, reason;
  SKALD_RETURN_IF_ERROR(cfg->GetString("selector", &selector));
  SKALD_RETURN_IF_ERROR(cfg->GetString("action", &action));
  SKALD_RETURN_IF_ERROR(cfg->GetString("pipeline_name", &pipeline_name));
  SKALD_RETURN_IF_ERROR(cfg->GetString("drop_counter_reason", &reason));
  YAML::Node stages = cfg->GetNode("stages");
  SKALD_RETURN_IF_ERROR(cfg->CheckNoUnknownKeys());
  if (selector.empty()) return cfg->Error("selector", "match stage requires a selector");
  if (action != "keep" && action != "drop") {
    return cfg->Error("action", "action must be keep or drop, got \"" + action + "\"");
  }
  bool has_stages = stages.IsDefined() && !stages.IsNull();
  if (action == "keep" && !has_stages) {
    return cfg->Error("stages", "match stage with action keep requires stages");
  }
  if (action == "drop" && has_stages) {
    return cfg->Error("stages", "match stage with action drop must not have stages");
  }
  auto parsed = common::logql::ParseLogSelector(selector, /*validate=*/false);
  if (!parsed.ok()) return cfg->Error("selector", "invalid selector: " + parsed.status().message());
  std::vector<LineFilter> filters;
  for (const auto& st : (*parsed)->stages) {
    if (st->kind() != logql::StageKind::kLineFilter) {
      return cfg->Error("selector", "only line filters may follow the selector");
    }
    const auto& lf = st->As<logql::LineFilterStage>();
    LineFilter f;
    f.op = lf.op;
    for (const logql::LineFilterTerm& t : lf.terms) {
      if (t.is_ip || lf.op == logql::LineMatchType::kPattern ||
          lf.op == logql::LineMatchType::kNotPattern) {
        return cfg->Error("selector", "pattern and ip() line filters are not supported");
      }
      if (lf.op == logql::LineMatchType::kContains || lf.op == logql::LineMatchType::kNotContains) {
        f.needles.push_back(t.value);
      } else {
        re2::RE2::Options opts;
        opts.set_log_errors(false);
        auto re = std::make_unique<re2::RE2>(t.value, opts);
        if (!re->ok()) return cfg->Error("selector", "invalid regex: " + re->error());
        f.regexes.push_back(std::move(re));
      }
    }
    filters.push_back(std::move(f));
  }
  std::unique_ptr<Pipeline> nested;
  if (has_stages) {
    auto p = Pipeline::Create(stages, cfg->file(), cfg->PathOf("stages"));
    if (!p.ok()) return p.status();
    nested = std::move(*p);
  }
  return std::unique_ptr<Stage>(std::make_unique<MatchStage>(
      std::move((*parsed)->matchers), std::move(filters), action == "drop",
      reason.empty() ? std::string(kMatchStageReason) : reason, std::move(nested)));
}

}  // namespace skald::agent::pipeline
