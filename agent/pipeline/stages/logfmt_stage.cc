// logfmt: parses the line (or `source`) as logfmt and puts the keys named in
// `mapping` into the extracted map (Promtail's `logfmt`). `mapping` maps the
// extracted name to the logfmt key; an empty key means the same name. Keys
// not in the mapping are ignored; a malformed pair is skipped and the rest of
// the line is still read.
#include "agent/pipeline/stages/stages.h"
#include "common/logfmt.h"

namespace skald::agent::pipeline {
namespace {

class LogfmtStage final : public Stage {
 public:
  // by_key: logfmt key -> extracted names.
  LogfmtStage(std::multimap<std::string, std::string> by_key, std::string source)
      : by_key_(std::move(by_key)), source_(std::move(source)) {}

  void Process(PipelineEntry e, std::vector<PipelineEntry>* out) override {
    const std::string* input = SourceValue(e, source_);
    if (input != nullptr) {
      std::string text = *input;  // the extracted map may change below
      decoder_.Reset(text);
      while (!decoder_.Eol()) {
        if (!decoder_.ScanKeyval()) continue;
        auto [lo, hi] = by_key_.equal_range(std::string(decoder_.key()));
        for (auto it = lo; it != hi; ++it) e.extracted[it->second] = std::string(decoder_.value());
      }
    }
    out->push_back(std::move(e));
  }
  const char* name() const override { return "logfmt"; }

 private:
  std::multimap<std::string, std::string> by_key_;
  std::string source_;
  common::LogfmtDecoder decoder_;
};

}  // namespace

StageResult NewLogfmtStage(YamlMap* cfg) {
  SKALD_RETURN_IF_ERROR(cfg->CheckIsMap());
  std::map<std::string, std::string> mapping;
  std::string source;
  SKALD_RETURN_IF_ERROR(cfg->GetStringMap("mapping", &mapping));
  SKALD_RETURN_IF_ERROR(cfg->GetString("source", &source));
  SKALD_RETURN_IF_ERROR(cfg->CheckNoUnknownKeys());
  if (mapping.empty()) return cfg->Error("mapping", "logfmt stage requires a non-empty mapping");
  std::multimap<std::string, std::string> by_key;
  for (const auto& [name, key] : mapping) by_key.emplace(key.empty() ? name : key, name);
  return std::unique_ptr<Stage>(std::make_unique<LogfmtStage>(std::move(by_key), std::move(source)));
}

}  // namespace skald::agent::pipeline
