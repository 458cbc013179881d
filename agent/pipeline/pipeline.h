// Pipeline: an ordered list of stages built from a scrape config's
// `pipeline_stages` (a YAML list of single-key maps, Promtail's format).
//
// One Pipeline per tailed file: stateful stages (docker/cri partial lines)
// keep per-file state. Not thread-safe; one thread drives a Pipeline.
#pragma once

#include <yaml-cpp/yaml.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agent/pipeline/stages/stages.h"
#include "agent/pipeline/stages/yaml_map.h"

namespace skald::agent::pipeline {

class Pipeline {
 public:
  Pipeline() = default;
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;

  // Builds the stages from `stages` (null or a list). InvalidArgument naming
  // file:line and `path[i].stage` for unknown stages and bad stage configs.
  static Result<std::unique_ptr<Pipeline>> Create(const YAML::Node& stages,
                                                  const std::string& file,
                                                  const std::string& path);

  // Runs `entry` through every stage; appends what comes out to `out`.
  void Process(PipelineEntry entry, std::vector<PipelineEntry>* out);
  // Lets every stage emit what it held too long (or all, with force), and
  // runs those entries through the remaining stages.
  void Flush(int64_t now_ns, bool force, std::vector<PipelineEntry>* out);
  // Smallest start offset held back by any stage.
  std::optional<uint64_t> PendingStart() const;

  // Marks this as a file's whole pipeline (not one nested in `match`): its
  // last stage's extracted values are read by no one (Stage::SetIsLast).
  void MarkTopLevel();

  size_t size() const { return stages_.size(); }
  void Append(std::unique_ptr<Stage> stage) { stages_.push_back(std::move(stage)); }

 private:
  // Runs `in` through stages [from, end).
  void RunFrom(size_t from, std::vector<PipelineEntry> in, std::vector<PipelineEntry>* out);

  std::vector<std::unique_ptr<Stage>> stages_;
  std::vector<PipelineEntry> cur_, next_;  // Process scratch
};

// Builds one stage by name; InvalidArgument for unknown names.
StageResult NewStage(const std::string& name, YamlMap* cfg);

// Promtail's `match` stage: selector (+ line filters), action keep|drop,
// nested `stages` (match_stage.cc; lives here because it builds a Pipeline).
StageResult NewMatchStage(YamlMap* cfg);

}  // namespace skald::agent::pipeline
