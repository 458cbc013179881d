// Stage: one step of a log pipeline (a line filter, parser, label filter or
// formatter), Loki's pkg/logql/log Stage.
//
// Stages are immutable after construction and safe to share between streams
// and threads; per-line mutable state lives in the LabelsBuilder (labels) and
// its StageScratch (buffers, JSON parser).
#pragma once

#include <cstdint>
#include <string_view>

#include "server/logql/log/labels_builder.h"

namespace skald::server::logql::log {

class Stage {
 public:
  virtual ~Stage() = default;

  // Runs the stage on one line at `ts_ns`. Returns false to drop the line.
  // Never writes through `line`: a stage that rewrites the line writes into
  // lbs.scratch().LineBuffer(line) and points `line` at it.
  virtual bool Process(int64_t ts_ns, std::string_view& line, LabelsBuilder& lbs) const = 0;
};

}  // namespace skald::server::logql::log
