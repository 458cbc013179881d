// LabelFilter: `| level="error"`, `| status >= 500`, `| latency > 250ms`,
// `| size >= 2.5KiB`, `| addr = ip("10.0.0.0/8")`, combined with and/or
// (CONTRACT §3.4; Loki's label_filter.go, 3.x error rules).
//
// Missing labels compare as "" for string filters and drop the line for the
// typed ones. A value that does not parse keeps the line and sets
// `__error__=LabelFilterErr` + details unless the line already has an error.
// Immutable after construction; thread-safe.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/matcher.h"
#include "common/status.h"
#include "server/logql/log/ip_matcher.h"
#include "server/logql/log/stage.h"

namespace skald::server::logql::log {

enum class CompareOp : uint8_t { kEq = 0, kNe = 1, kGt = 2, kGe = 3, kLt = 4, kLe = 5 };

class LabelFilter : public Stage {
 public:
  // `name <op> "value"` with a string matcher (=, !=, =~, !~; regexes
  // anchored). Works on `__error__` too.
  static std::unique_ptr<LabelFilter> String(common::Matcher m);
  // `name <op> number`: label parsed with Go's ParseFloat.
  static std::unique_ptr<LabelFilter> Numeric(std::string name, CompareOp op, double value);
  // `name <op> duration`: label parsed with Go's time.ParseDuration; `value_ns`.
  static std::unique_ptr<LabelFilter> Duration(std::string name, CompareOp op, int64_t value_ns);
  // `name <op> bytes`: label parsed with humanize ParseBytes.
  static std::unique_ptr<LabelFilter> Bytes(std::string name, CompareOp op, uint64_t value);
  // `name = ip("…")` / `!=`: InvalidArgument on another op or a bad pattern.
  static common::Result<std::unique_ptr<LabelFilter>> Ip(std::string name, CompareOp op,
                                                         std::string_view pattern);
  // `a and b` (both evaluated, as in Loki) / `a or b` (right only if left fails).
  static std::unique_ptr<LabelFilter> And(std::unique_ptr<LabelFilter> a, std::unique_ptr<LabelFilter> b);
  static std::unique_ptr<LabelFilter> Or(std::unique_ptr<LabelFilter> a, std::unique_ptr<LabelFilter> b);
};

}  // namespace skald::server::logql::log
