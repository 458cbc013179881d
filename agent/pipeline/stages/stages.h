// Factories for every pipeline stage, by Promtail's stage name.
//
// Each factory reads its stage's config strictly from `cfg` (unknown keys and
// bad values -> InvalidArgument naming file:line and key) and returns the
// stage, owned by the caller. The registry in agent/pipeline maps config
// names to these. Stage configs and semantics follow Promtail v3.6
// (clients/pkg/logentry/stages); differences are noted per stage.
#pragma once

#include <memory>

#include "agent/pipeline/stages/stage.h"
#include "agent/pipeline/stages/yaml_map.h"
#include "common/clock.h"
#include "common/status.h"

namespace skald::agent::pipeline {

using StageResult = Result<std::unique_ptr<Stage>>;

// Decoding stages (container runtimes).
StageResult NewDockerStage(YamlMap* cfg);
StageResult NewCriStage(YamlMap* cfg);

// Parsing stages: fill the extracted map.
StageResult NewJsonStage(YamlMap* cfg);
StageResult NewRegexStage(YamlMap* cfg);
StageResult NewLogfmtStage(YamlMap* cfg);
StageResult NewReplaceStage(YamlMap* cfg);

// Transform stages.
StageResult NewLabelsStage(YamlMap* cfg);
StageResult NewStructuredMetadataStage(YamlMap* cfg);
StageResult NewTimestampStage(YamlMap* cfg);
StageResult NewOutputStage(YamlMap* cfg);
StageResult NewStaticLabelsStage(YamlMap* cfg);
StageResult NewLabelDropStage(YamlMap* cfg);
StageResult NewLabelAllowStage(YamlMap* cfg);
StageResult NewTenantStage(YamlMap* cfg);
StageResult NewDecolorizeStage(YamlMap* cfg);
StageResult NewTemplateStage(YamlMap* cfg);
StageResult NewPackStage(YamlMap* cfg);

// Filtering stages.
StageResult NewDropStage(YamlMap* cfg);
StageResult NewMultilineStage(YamlMap* cfg);
StageResult NewLimitStage(YamlMap* cfg);
// Same, reading time from `clock` (not owned; must outlive the stage).
StageResult NewLimitStageWithClock(YamlMap* cfg, common::Clock* clock);

// Metrics stage: updates CustomMetrics::Default() (the agent exposes it).
StageResult NewMetricsStage(YamlMap* cfg);
class CustomMetrics;
// Same, with an explicit registry and clock (not owned; must outlive the stage).
StageResult NewMetricsStageWith(YamlMap* cfg, CustomMetrics* registry, common::Clock* clock);

// The value a stage reads from `source`: the extracted value named `source`,
// or the log line when `source` is empty. Null when the key is absent.
const std::string* SourceValue(const PipelineEntry& entry, const std::string& source);

}  // namespace skald::agent::pipeline
