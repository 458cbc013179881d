// pack: moves the named labels (or extracted values, when no such label)
// into a JSON line `{"label":"value",...,"_entry":"original line"}` with keys
// sorted and `_entry` last (Promtail's `pack`). Packed labels are removed
// from the stream. With ingest_timestamp (default true) the entry's
// timestamp becomes the time of packing.
#include "agent/pipeline/stages/stages.h"
#include "common/clock.h"
#include "common/json_writer.h"

namespace skald::agent::pipeline {
namespace {

class PackStage final : public Stage {
 public:
  PackStage(std::vector<std::string> names, bool ingest_timestamp)
      : names_(std::move(names)), ingest_timestamp_(ingest_timestamp) {}

  void Process(PipelineEntry e, std::vector<PipelineEntry>* out) override {
    std::map<std::string, std::string> packed;
    for (const std::string& n : names_) {
      if (const std::string* l = e.labels.Get(n)) {
        packed[n] = *l;
        e.labels.Erase(n);
        continue;
      }
      auto x = e.extracted.find(n);
      if (x != e.extracted.end()) packed[n] = x->second;
    }
    std::string json;
    common::JsonWriter w(&json);
    w.BeginObject();
    for (const auto& [k, v] : packed) {
      w.Key(k);
      w.String(v);
    }
    w.Key("_entry");
    w.String(e.line);
    w.EndObject();
    e.line = std::move(json);
    if (ingest_timestamp_) e.timestamp_ns = common::Clock::Real()->NowNanos();
    out->push_back(std::move(e));
  }
  const char* name() const override { return "pack"; }

 private:
  std::vector<std::string> names_;
  bool ingest_timestamp_;
};

}  // namespace

StageResult NewPackStage(YamlMap* cfg) {
  SKALD_RETURN_IF_ERROR(cfg->CheckIsMap());
  std::vector<std::string> names;
  bool ingest_timestamp = true;
  SKALD_RETURN_IF_ERROR(cfg->GetStringList("labels", &names));
  SKALD_RETURN_IF_ERROR(cfg->GetBool("ingest_timestamp", &ingest_timestamp));
  SKALD_RETURN_IF_ERROR(cfg->CheckNoUnknownKeys());
  if (names.empty()) return cfg->Error("labels", "pack stage requires at least one label");
  return std::unique_ptr<Stage>(std::make_unique<PackStage>(std::move(names), ingest_timestamp));
}

}  // namespace skald::agent::pipeline
