// Decolorize: `| decolorize` strips ANSI escape (colour) sequences from the
// line. Immutable; thread-safe.
#pragma once

#include <re2/re2.h>

#include <memory>

#include "server/logql/log/stage.h"

namespace skald::server::logql::log {

class Decolorize final : public Stage {
 public:
  Decolorize();
  bool Process(int64_t ts_ns, std::string_view& line, LabelsBuilder& lbs) const override;

 private:
  std::unique_ptr<RE2> re_;
};

}  // namespace skald::server::logql::log
