// replace: finds every match of `expression` in the line (or `source`) and
// replaces each capture group, named or not, with the `replace` template
// rendered with the extracted map plus `.Value` (the captured text)
// (Promtail's `replace`). The result becomes the line, or the extracted
// `source` value; each named group's replacement is also extracted under
// its name. An empty `replace` removes the captured text. A template error
// leaves the entry unchanged.
#include <re2/re2.h>

#include "agent/pipeline/stages/stages.h"
#include "common/template.h"

namespace skald::agent::pipeline {
namespace {

class ReplaceStage final : public Stage {
 public:
  ReplaceStage(std::unique_ptr<re2::RE2> re, std::unique_ptr<common::Template> tmpl,
               std::string source)
      : re_(std::move(re)), tmpl_(std::move(tmpl)), source_(std::move(source)) {
    for (const auto& [name, idx] : re_->NamedCapturingGroups()) names_[idx] = name;
    groups_.resize(static_cast<size_t>(re_->NumberOfCapturingGroups()) + 1);
  }

  void Process(PipelineEntry e, std::vector<PipelineEntry>* out) override {
    const std::string* found = SourceValue(e, source_);
    if (found != nullptr && !found->empty()) {
      std::string input = *found;
      std::string result;
      std::map<std::string, std::string> captured;
      if (Replace(e, input, &result, &captured)) {
        if (source_.empty()) {
          e.line = std::move(result);
        } else {
          e.extracted[source_] = std::move(result);
        }
        for (auto& [k, v] : captured) e.extracted[k] = std::move(v);
      }
    }
    out->push_back(std::move(e));
  }
  const char* name() const override { return "replace"; }

 private:
  // False when nothing matched or the template failed.
  bool Replace(const PipelineEntry& e, const std::string& input, std::string* result,
               std::map<std::string, std::string>* captured) {
    size_t pos = 0;        // where the next search starts
    size_t copied = 0;     // input[0, copied) is already in *result
    bool matched = false;
    std::string value;
    common::TemplateContext ctx;
    ctx.lookup = [&](std::string_view key) -> std::optional<std::string_view> {
      if (key == "Value") return std::string_view(value);
      auto it = e.extracted.find(std::string(key));
      if (it == e.extracted.end()) return std::nullopt;
      return std::string_view(it->second);
    };
    ctx.line = e.line;
    ctx.ts_ns = e.timestamp_ns;
    std::string rendered;
    while (pos <= input.size() &&
           re_->Match(input, pos, input.size(), re2::RE2::UNANCHORED, groups_.data(),
                      static_cast<int>(groups_.size()))) {
      matched = true;
      for (size_t g = 1; g < groups_.size(); ++g) {
        const re2::StringPiece& sp = groups_[g];
        if (sp.data() == nullptr) continue;
        size_t start = static_cast<size_t>(sp.data() - input.data());
        size_t end = start + sp.size();
        value.assign(sp.data(), sp.size());
        if (!tmpl_->Execute(ctx, &rendered).ok()) return false;
        if (start >= copied) {
          result->append(input, copied, start - copied);
          copied = end;
        }
        result->append(rendered);
        auto name = names_.find(static_cast<int>(g));
        if (name != names_.end()) (*captured)[name->second] = rendered;
      }
      size_t mend = static_cast<size_t>(groups_[0].data() - input.data()) + groups_[0].size();
      pos = groups_[0].empty() ? mend + 1 : mend;
    }
    if (!matched) return false;
    if (copied < input.size()) result->append(input, copied, std::string::npos);
    return true;
  }

  std::unique_ptr<re2::RE2> re_;
  std::unique_ptr<common::Template> tmpl_;
  std::string source_;
  std::map<int, std::string> names_;
  std::vector<re2::StringPiece> groups_;
};

}  // namespace

StageResult NewReplaceStage(YamlMap* cfg) {
  SKALD_RETURN_IF_ERROR(cfg->CheckIsMap());
  std::string expression, source, replace;
  SKALD_RETURN_IF_ERROR(cfg->GetString("expression", &expression));
  SKALD_RETURN_IF_ERROR(cfg->GetString("source", &source));
  SKALD_RETURN_IF_ERROR(cfg->GetString("replace", &replace));
  SKALD_RETURN_IF_ERROR(cfg->CheckNoUnknownKeys());
  if (expression.empty()) return cfg->Error("expression", "replace stage requires an expression");
  re2::RE2::Options opts;
  opts.set_log_errors(false);
  auto re = std::make_unique<re2::RE2>(expression, opts);
  if (!re->ok()) return cfg->Error("expression", "invalid regex: " + re->error());
  if (re->NumberOfCapturingGroups() == 0) {
    return cfg->Error("expression", "regex must contain at least one capture group");
  }
  auto tmpl = common::Template::Parse(replace);
  if (!tmpl.ok()) return cfg->Error("replace", tmpl.status().message());
  return std::unique_ptr<Stage>(
      std::make_unique<ReplaceStage>(std::move(re), std::move(*tmpl), std::move(source)));
}

}  // namespace skald::agent::pipeline
