// regex: matches an RE2 expression with named groups against the line (or
// `source`) and puts each matched group into the extracted map (Promtail's
// `regex`). A line that does not match passes on unchanged.
#include <re2/re2.h>

#include "agent/pipeline/stages/stages.h"

namespace skald::agent::pipeline {
namespace {

class RegexStage final : public Stage {
 public:
  RegexStage(std::unique_ptr<re2::RE2> re, std::string source)
      : re_(std::move(re)), source_(std::move(source)) {
    for (const auto& [name, idx] : re_->NamedCapturingGroups()) names_[idx] = name;
    groups_.resize(static_cast<size_t>(re_->NumberOfCapturingGroups()) + 1);
  }

  void Process(PipelineEntry e, std::vector<PipelineEntry>* out) override {
    const std::string* input = SourceValue(e, source_);
    if (input != nullptr &&
        re_->Match(*input, 0, input->size(), re2::RE2::UNANCHORED, groups_.data(),
                   static_cast<int>(groups_.size()))) {
      for (const auto& [idx, name] : names_) {
        const re2::StringPiece& g = groups_[static_cast<size_t>(idx)];
        if (g.data() != nullptr) e.extracted[name] = std::string(g.data(), g.size());
      }
    }
    out->push_back(std::move(e));
  }
  const char* name() const override { return "regex"; }

 private:
  std::unique_ptr<re2::RE2> re_;
  std::string source_;
  std::map<int, std::string> names_;
  std::vector<re2::StringPiece> groups_;
};

}  // namespace

StageResult NewRegexStage(YamlMap* cfg) {
  SKALD_RETURN_IF_ERROR(cfg->CheckIsMap());
  std::string expression, source;
  SKALD_RETURN_IF_ERROR(cfg->GetString("expression", &expression));
  SKALD_RETURN_IF_ERROR(cfg->GetString("source", &source));
  SKALD_RETURN_IF_ERROR(cfg->CheckNoUnknownKeys());
  if (expression.empty()) return cfg->Error("expression", "regex stage requires an expression");
  re2::RE2::Options opts;
  opts.set_log_errors(false);
  auto re = std::make_unique<re2::RE2>(expression, opts);
  if (!re->ok()) return cfg->Error("expression", "invalid regex: " + re->error());
  if (re->NamedCapturingGroups().empty()) {
    return cfg->Error("expression", "regex must contain at least one named capture group");
  }
  return std::unique_ptr<Stage>(std::make_unique<RegexStage>(std::move(re), std::move(source)));
}

}  // namespace skald::agent::pipeline
