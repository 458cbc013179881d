// Helpers for stage tests: build a stage from YAML text and run lines.
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>
#include <vector>

#include "agent/pipeline/stages/stages.h"

namespace skald::agent::pipeline::testing {

inline StageResult Make(StageResult (*factory)(YamlMap*), const std::string& yaml) {
  YamlMap m(YAML::Load(yaml), "test.yaml", "stage");
  return factory(&m);
}

inline PipelineEntry EntryOf(const std::string& line, uint64_t start = 0) {
  PipelineEntry e;
  e.line = line;
  e.start_offset = start;
  e.timestamp_ns = 42;
  return e;
}

inline std::vector<PipelineEntry> Run(Stage* s, std::vector<std::string> lines) {
  std::vector<PipelineEntry> out;
  uint64_t off = 0;
  for (const std::string& l : lines) {
    s->Process(EntryOf(l, off), &out);
    off += l.size() + 1;
  }
  return out;
}

}  // namespace skald::agent::pipeline::testing
