// RegexpParser: `| regexp "(?P<method>\\w+) (?P<path>\\S+)"` — named RE2
// groups of the first (unanchored) match become labels; no match extracts
// nothing. PatternParser: `| pattern "<ip> - <_> <path>"` (common/pattern.h).
// Immutable after Create; thread-safe.
#pragma once

#include <re2/re2.h>

#include <memory>
#include <string>
#include <vector>

#include "common/pattern.h"
#include "common/status.h"
#include "server/logql/log/stage.h"

namespace skald::server::logql::log {

// RE2 memory budget for `regexp` stages; bigger programs fail Create.
constexpr int64_t kMaxParserRegexMemory = 8 << 20;

class RegexpParser final : public Stage {
 public:
  // InvalidArgument: bad regex, no named group ("at least one named capture
  // must be supplied"), duplicate or invalid group names.
  static common::Result<std::unique_ptr<RegexpParser>> Create(const std::string& re);
  bool Process(int64_t ts_ns, std::string_view& line, LabelsBuilder& lbs) const override;

 private:
  RegexpParser() = default;
  std::unique_ptr<RE2> re_;
  std::vector<std::string> names_;  // index = group number; "" for unnamed
};

class PatternParser final : public Stage {
 public:
  // InvalidArgument with common::Pattern::Parse's messages.
  static common::Result<std::unique_ptr<PatternParser>> Create(std::string_view pattern);
  bool Process(int64_t ts_ns, std::string_view& line, LabelsBuilder& lbs) const override;

 private:
  explicit PatternParser(common::Pattern p) : p_(std::move(p)) {}
  common::Pattern p_;
};

}  // namespace skald::server::logql::log
