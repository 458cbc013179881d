// Stages that move values between the extracted map, labels, structured
// metadata, the tenant and the line: labels, structured_metadata,
// static_labels, labeldrop, labelallow, output, tenant, decolorize.
// Semantics follow Promtail's docs for each stage.
#include <set>

#include "agent/pipeline/stages/stages.h"

namespace skald::agent::pipeline {
namespace {

// name -> source key in the extracted map ("" or null: same as name).
using SourceMap = std::map<std::string, std::string>;

Status ReadSourceMap(YamlMap* cfg, const char* stage, SourceMap* out) {
  const YAML::Node& n = cfg->node();
  if (!n.IsMap() || n.size() == 0) {
    return YamlMap::ErrorAt(cfg->file(), n, stage, "expected a non-empty mapping");
  }
  for (const auto& kv : n) {
    std::string name = kv.first.Scalar();
    cfg->GetNode(name);
    if (!common::IsValidLabelName(name)) {
      return cfg->Error(name, "invalid label name \"" + name + "\"");
    }
    if (!kv.second.IsNull() && !kv.second.IsScalar()) {
      return cfg->Error(name, "expected a source name");
    }
    std::string src = kv.second.IsNull() ? "" : kv.second.Scalar();
    (*out)[name] = src.empty() ? name : src;
  }
  return Status::OK();
}

class LabelsStage final : public Stage {
 public:
  LabelsStage(SourceMap m, bool metadata) : m_(std::move(m)), metadata_(metadata) {}
  void Process(PipelineEntry e, std::vector<PipelineEntry>* out) override {
    for (const auto& [name, src] : m_) {
      auto it = e.extracted.find(src);
      if (it == e.extracted.end() || it->second.empty()) continue;
      if (metadata_) {
        e.metadata.push_back({name, it->second});
      } else {
        e.labels.Set(name, it->second);
      }
    }
    out->push_back(std::move(e));
  }
  const char* name() const override { return metadata_ ? "structured_metadata" : "labels"; }

 private:
  SourceMap m_;
  bool metadata_;
};

class StaticLabelsStage final : public Stage {
 public:
  explicit StaticLabelsStage(SourceMap m) : m_(std::move(m)) {}
  void Process(PipelineEntry e, std::vector<PipelineEntry>* out) override {
    for (const auto& [name, value] : m_) e.labels.Set(name, value);
    out->push_back(std::move(e));
  }
  const char* name() const override { return "static_labels"; }

 private:
  SourceMap m_;
};

class LabelFilterStage final : public Stage {
 public:
  LabelFilterStage(std::set<std::string> names, bool allow)
      : names_(std::move(names)), allow_(allow) {}
  void Process(PipelineEntry e, std::vector<PipelineEntry>* out) override {
    auto keep = [this](const std::string& name) {
      bool listed = names_.contains(name);
      return allow_ ? (listed || name == kTenantLabel) : !listed;
    };
    bool all_kept = true;
    for (const auto& [name, value] : e.labels) all_kept = all_kept && keep(name);
    if (!all_kept) {  // copies a shared label set only when something goes
      LabelSet::Map& m = e.labels.Mutable();
      for (auto it = m.begin(); it != m.end();) it = keep(it->first) ? std::next(it) : m.erase(it);
    }
    out->push_back(std::move(e));
  }
  const char* name() const override { return allow_ ? "labelallow" : "labeldrop"; }

 private:
  std::set<std::string> names_;
  bool allow_;
};

class OutputStage final : public Stage {
 public:
  explicit OutputStage(std::string source) : source_(std::move(source)) {}
  void Process(PipelineEntry e, std::vector<PipelineEntry>* out) override {
    auto it = e.extracted.find(source_);
    if (it != e.extracted.end()) e.line = it->second;
    out->push_back(std::move(e));
  }
  const char* name() const override { return "output"; }

 private:
  std::string source_;
};

class TenantStage final : public Stage {
 public:
  TenantStage(std::string source, std::string label, std::string value)
      : source_(std::move(source)), label_(std::move(label)), value_(std::move(value)) {}
  void Process(PipelineEntry e, std::vector<PipelineEntry>* out) override {
    std::string tenant = value_;
    if (!source_.empty()) {
      auto it = e.extracted.find(source_);
      if (it != e.extracted.end()) tenant = it->second;
    } else if (!label_.empty()) {
      auto it = e.labels.find(label_);
      if (it != e.labels.end()) tenant = it->second;
    }
    if (!tenant.empty()) e.labels.Set(kTenantLabel, tenant);
    out->push_back(std::move(e));
  }
  const char* name() const override { return "tenant"; }

 private:
  std::string source_, label_, value_;
};

class DecolorizeStage final : public Stage {
 public:
  // Removes ANSI CSI sequences: ESC '[' params... final byte in @-~.
  void Process(PipelineEntry e, std::vector<PipelineEntry>* out) override {
    std::string& s = e.line;
    size_t w = 0;
    for (size_t r = 0; r < s.size();) {
      if (s[r] == '\x1b' && r + 1 < s.size() && s[r + 1] == '[') {
        size_t q = r + 2;
        while (q < s.size() && (s[q] < '@' || s[q] > '~')) ++q;
        r = q < s.size() ? q + 1 : q;
        continue;
      }
      s[w++] = s[r++];
    }
    s.resize(w);
    out->push_back(std::move(e));
  }
  const char* name() const override { return "decolorize"; }
};

}  // namespace

StageResult NewLabelsStage(YamlMap* cfg) {
  SourceMap m;
  SKALD_RETURN_IF_ERROR(ReadSourceMap(cfg, "labels", &m));
  return std::unique_ptr<Stage>(std::make_unique<LabelsStage>(std::move(m), false));
}

StageResult NewStructuredMetadataStage(YamlMap* cfg) {
  SourceMap m;
  SKALD_RETURN_IF_ERROR(ReadSourceMap(cfg, "structured_metadata", &m));
  return std::unique_ptr<Stage>(std::make_unique<LabelsStage>(std::move(m), true));
}

StageResult NewStaticLabelsStage(YamlMap* cfg) {
  SourceMap m;
  const YAML::Node& n = cfg->node();
  if (!n.IsMap() || n.size() == 0) {
    return YamlMap::ErrorAt(cfg->file(), n, "static_labels", "expected a non-empty mapping");
  }
  for (const auto& kv : n) {
    std::string name = kv.first.Scalar();
    if (!common::IsValidLabelName(name)) return cfg->Error(name, "invalid label name");
    if (!kv.second.IsScalar()) return cfg->Error(name, "expected a string value");
    m[name] = kv.second.Scalar();
  }
  return std::unique_ptr<Stage>(std::make_unique<StaticLabelsStage>(std::move(m)));
}

namespace {
StageResult NewLabelFilter(YamlMap* cfg, bool allow) {
  const YAML::Node& n = cfg->node();
  const char* stage = allow ? "labelallow" : "labeldrop";
  if (!n.IsSequence() || n.size() == 0) {
    return YamlMap::ErrorAt(cfg->file(), n, stage, "expected a non-empty list of label names");
  }
  std::set<std::string> names;
  for (const auto& item : n) {
    if (!item.IsScalar()) return YamlMap::ErrorAt(cfg->file(), item, stage, "expected a name");
    names.insert(item.Scalar());
  }
  return std::unique_ptr<Stage>(std::make_unique<LabelFilterStage>(std::move(names), allow));
}
}  // namespace

StageResult NewLabelDropStage(YamlMap* cfg) { return NewLabelFilter(cfg, false); }
StageResult NewLabelAllowStage(YamlMap* cfg) { return NewLabelFilter(cfg, true); }

StageResult NewOutputStage(YamlMap* cfg) {
  SKALD_RETURN_IF_ERROR(cfg->CheckIsMap());
  std::string source;
  SKALD_RETURN_IF_ERROR(cfg->GetString("source", &source));
  SKALD_RETURN_IF_ERROR(cfg->CheckNoUnknownKeys());
  if (source.empty()) return cfg->Error("source", "output stage requires a source");
  return std::unique_ptr<Stage>(std::make_unique<OutputStage>(std::move(source)));
}

StageResult NewTenantStage(YamlMap* cfg) {
  SKALD_RETURN_IF_ERROR(cfg->CheckIsMap());
  std::string source, label, value;
  SKALD_RETURN_IF_ERROR(cfg->GetString("source", &source));
  SKALD_RETURN_IF_ERROR(cfg->GetString("label", &label));
  SKALD_RETURN_IF_ERROR(cfg->GetString("value", &value));
  SKALD_RETURN_IF_ERROR(cfg->CheckNoUnknownKeys());
  int set = !source.empty() + !label.empty() + !value.empty();
  if (set != 1) {
    return YamlMap::ErrorAt(cfg->file(), cfg->node(), "tenant",
                            "exactly one of source, label or value is required");
  }
  return std::unique_ptr<Stage>(std::make_unique<TenantStage>(source, label, value));
}

StageResult NewDecolorizeStage(YamlMap* cfg) {
  SKALD_RETURN_IF_ERROR(cfg->CheckIsMap());
  SKALD_RETURN_IF_ERROR(cfg->CheckNoUnknownKeys());
  return std::unique_ptr<Stage>(std::make_unique<DecolorizeStage>());
}

}  // namespace skald::agent::pipeline
