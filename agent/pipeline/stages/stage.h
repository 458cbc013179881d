// Stage: one step of an agent pipeline (Promtail's pipeline_stages).
//
// A stage receives entries one at a time and appends zero or more entries to
// `out`: most stages mutate and forward the entry, filters drop it, and
// stateful stages (docker/cri partial lines, multiline) hold it back and emit
// it later from Process or Flush. A Pipeline owns its stages and is used by
// one thread at a time (one pipeline per tailed file), so stages need no locks.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agent/pipeline/stages/label_set.h"
#include "common/labels.h"

namespace skald::agent::pipeline {

// Promtail's reserved label names.
inline constexpr char kTenantLabel[] = "__tenant_id__";

struct PipelineEntry {
  // Stream labels; names starting with "__" are internal and dropped before
  // sending (except the tenant label, which selects the tenant). Shared
  // copy-on-write between the entries of a stream.
  LabelSet labels;
  // Values extracted by parsing stages, read by labels/output/template...
  std::map<std::string, std::string> extracted;
  int64_t timestamp_ns = 0;
  std::string line;
  // Structured metadata, in the order stages added it.
  std::vector<common::Label> metadata;
  // Byte offset in the source file where this entry's first line starts;
  // the agent uses it to know which offsets are safe to save.
  uint64_t start_offset = 0;
};

class Stage {
 public:
  virtual ~Stage() = default;
  Stage() = default;
  Stage(const Stage&) = delete;
  Stage& operator=(const Stage&) = delete;

  // Processes one entry; appends what continues down the pipeline to `out`.
  virtual void Process(PipelineEntry entry, std::vector<PipelineEntry>* out) = 0;
  // Emits entries held back longer than the stage allows (now = monotonic ns)
  // or, with `force`, everything held (end of file, shutdown).
  virtual void Flush(int64_t /*now_ns*/, bool /*force*/, std::vector<PipelineEntry>* /*out*/) {}
  // The smallest start_offset among held-back entries, if any.
  virtual std::optional<uint64_t> PendingStart() const { return std::nullopt; }
  // Called (with true) when this is the last stage of a file's top-level
  // pipeline: nothing reads `extracted` after it (the agent does not), so a
  // stage may skip filling it. Default: ignored.
  virtual void SetIsLast(bool /*last*/) {}
  // Stage name as written in the config ("json", "docker", ...).
  virtual const char* name() const = 0;
};

}  // namespace skald::agent::pipeline
