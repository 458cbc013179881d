// template: renders a Go template and stores the result in the extracted
// value `source` (Promtail's `template`). The template sees the extracted
// map as fields, `.Value` (the current value of `source`, when present) and
// `.Entry` (the log line). A template that fails to execute leaves the entry
// unchanged.
#include "agent/pipeline/stages/stages.h"
#include "common/template.h"

namespace skald::agent::pipeline {
namespace {

class TemplateStage final : public Stage {
 public:
  TemplateStage(std::unique_ptr<common::Template> tmpl, std::string source)
      : tmpl_(std::move(tmpl)), source_(std::move(source)) {}

  void Process(PipelineEntry e, std::vector<PipelineEntry>* out) override {
    common::TemplateContext ctx;
    ctx.lookup = [&e, this](std::string_view key) -> std::optional<std::string_view> {
      if (key == "Entry") return std::string_view(e.line);
      if (key == "Value") {
        auto it = e.extracted.find(source_);
        if (it == e.extracted.end()) return std::nullopt;
        return std::string_view(it->second);
      }
      auto it = e.extracted.find(std::string(key));
      if (it == e.extracted.end()) return std::nullopt;
      return std::string_view(it->second);
    };
    ctx.line = e.line;
    ctx.ts_ns = e.timestamp_ns;
    if (tmpl_->Execute(ctx, &rendered_).ok()) e.extracted[source_] = rendered_;
    out->push_back(std::move(e));
  }
  const char* name() const override { return "template"; }

 private:
  std::unique_ptr<common::Template> tmpl_;
  std::string source_;
  std::string rendered_;
};

}  // namespace

StageResult NewTemplateStage(YamlMap* cfg) {
  SKALD_RETURN_IF_ERROR(cfg->CheckIsMap());
  std::string source, text;
  bool has_template = cfg->Has("template");
  SKALD_RETURN_IF_ERROR(cfg->GetString("source", &source));
  SKALD_RETURN_IF_ERROR(cfg->GetString("template", &text));
  SKALD_RETURN_IF_ERROR(cfg->CheckNoUnknownKeys());
  if (source.empty()) return cfg->Error("source", "template stage requires a source");
  if (!has_template) return cfg->Error("template", "template stage requires a template");
  auto tmpl = common::Template::Parse(text);
  if (!tmpl.ok()) return cfg->Error("template", tmpl.status().message());
  return std::unique_ptr<Stage>(std::make_unique<TemplateStage>(std::move(*tmpl), std::move(source)));
}

}  // namespace skald::agent::pipeline
