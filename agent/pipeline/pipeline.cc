#include "agent/pipeline/pipeline.h"

#include "agent/pipeline/stages/stages.h"

namespace skald::agent::pipeline {
namespace {

using Factory = StageResult (*)(YamlMap*);

struct Registered {
  const char* name;
  Factory factory;
};

// Promtail stage names we implement. Unknown or unimplemented names
// (sampling, geoip...) fail
// the config load with a clear message rather than being ignored.
constexpr Registered kStages[] = {
    {"docker", NewDockerStage},
    {"cri", NewCriStage},
    {"json", NewJsonStage},
    {"regex", NewRegexStage},
    {"labels", NewLabelsStage},
    {"structured_metadata", NewStructuredMetadataStage},
    {"non_indexed_labels", NewStructuredMetadataStage},
    {"timestamp", NewTimestampStage},
    {"output", NewOutputStage},
    {"static_labels", NewStaticLabelsStage},
    {"labeldrop", NewLabelDropStage},
    {"labelallow", NewLabelAllowStage},
    {"tenant", NewTenantStage},
    {"decolorize", NewDecolorizeStage},
    {"drop", NewDropStage},
    {"multiline", NewMultilineStage},
    {"logfmt", NewLogfmtStage},
    {"replace", NewReplaceStage},
    {"template", NewTemplateStage},
    {"pack", NewPackStage},
    {"limit", NewLimitStage},
    {"match", NewMatchStage},
    {"metrics", NewMetricsStage},
};

constexpr const char* kKnownButUnsupported[] = {
    "sampling", "geoip", "eventlogmessage", "luhn"};

}  // namespace

StageResult NewStage(const std::string& name, YamlMap* cfg) {
  for (const Registered& r : kStages) {
    if (name == r.name) return r.factory(cfg);
  }
  for (const char* n : kKnownButUnsupported) {
    if (name == n) {
      return YamlMap::ErrorAt(cfg->file(), cfg->node(), name,
                              "stage \"" + name + "\" is not supported by skald-agent yet");
    }
  }
  return YamlMap::ErrorAt(cfg->file(), cfg->node(), name, "unknown stage \"" + name + "\"");
}

Result<std::unique_ptr<Pipeline>> Pipeline::Create(const YAML::Node& stages,
                                                   const std::string& file,
                                                   const std::string& path) {
  auto p = std::make_unique<Pipeline>();
  if (!stages.IsDefined() || stages.IsNull()) return p;
  if (!stages.IsSequence()) return YamlMap::ErrorAt(file, stages, path, "expected a list of stages");
  size_t i = 0;
  for (const auto& item : stages) {
    std::string item_path = path + "[" + std::to_string(i++) + "]";
    if (!item.IsMap() || item.size() != 1) {
      return YamlMap::ErrorAt(file, item, item_path, "each stage must be a map with one key");
    }
    auto kv = *item.begin();
    std::string name = kv.first.Scalar();
    YamlMap cfg(kv.second, file, item_path + "." + name);
    StageResult stage = NewStage(name, &cfg);
    if (!stage.ok()) return stage.status();
    p->Append(std::move(*stage));
  }
  return p;
}

void Pipeline::RunFrom(size_t from, std::vector<PipelineEntry> in,
                       std::vector<PipelineEntry>* out) {
  std::vector<PipelineEntry> next;
  for (size_t i = from; i < stages_.size() && !in.empty(); ++i) {
    next.clear();
    for (PipelineEntry& e : in) stages_[i]->Process(std::move(e), &next);
    in.swap(next);
  }
  for (PipelineEntry& e : in) out->push_back(std::move(e));
}

void Pipeline::Process(PipelineEntry entry, std::vector<PipelineEntry>* out) {
  if (stages_.empty()) {
    out->push_back(std::move(entry));
    return;
  }
  // Per-line path: the scratch vectors keep their capacity between calls and
  // the last stage appends straight to `out`.
  cur_.clear();
  cur_.push_back(std::move(entry));
  for (size_t i = 0; i < stages_.size() && !cur_.empty(); ++i) {
    std::vector<PipelineEntry>* dst = i + 1 == stages_.size() ? out : &next_;
    next_.clear();
    for (PipelineEntry& e : cur_) stages_[i]->Process(std::move(e), dst);
    cur_.clear();
    if (dst == &next_) cur_.swap(next_);
  }
}

void Pipeline::Flush(int64_t now_ns, bool force, std::vector<PipelineEntry>* out) {
  for (size_t i = 0; i < stages_.size(); ++i) {
    std::vector<PipelineEntry> held;
    stages_[i]->Flush(now_ns, force, &held);
    if (!held.empty()) RunFrom(i + 1, std::move(held), out);
  }
}

void Pipeline::MarkTopLevel() {
  if (!stages_.empty()) stages_.back()->SetIsLast(true);
}

std::optional<uint64_t> Pipeline::PendingStart() const {
  std::optional<uint64_t> min;
  for (const auto& s : stages_) {
    std::optional<uint64_t> p = s->PendingStart();
    if (p && (!min || *p < *min)) min = p;
  }
  return min;
}

}  // namespace skald::agent::pipeline
