// Matcher: one label matcher of a stream selector (`app="api"`, `env=~"p.*"`).
//
// Regex matchers are fully anchored RE2 (`^(?:re)$`), as in Loki and
// Prometheus. A Matcher is immutable after Create and safe to use from many
// threads at once (RE2 is thread-safe).
#pragma once

#include <re2/re2.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/labels.h"
#include "common/status.h"

namespace skald::common {

enum class MatchType : uint8_t { kEqual = 0, kNotEqual = 1, kRegex = 2, kNotRegex = 3 };

// RE2 program-size cap for user regexes: larger patterns are rejected.
constexpr int kMaxRegexProgramSize = 1 << 16;

class Matcher {
 public:
  // Compiles regexes; InvalidArgument with RE2's message when the regex is bad.
  static Result<Matcher> Create(MatchType type, std::string name, std::string value);

  MatchType type() const { return type_; }
  const std::string& name() const { return name_; }
  const std::string& value() const { return value_; }

  // True when `v` (the label's value, "" when absent) satisfies the matcher.
  bool Matches(std::string_view v) const;
  // True when the matcher accepts the empty string (so it also matches
  // streams lacking the label).
  bool MatchesEmpty() const { return Matches(""); }
  // `name="value"` with the operator and a Go-quoted value.
  std::string ToString() const;

  bool operator==(const Matcher& o) const {
    return type_ == o.type_ && name_ == o.name_ && value_ == o.value_;
  }

 private:
  Matcher() = default;

  MatchType type_ = MatchType::kEqual;
  std::string name_;
  std::string value_;
  std::shared_ptr<const RE2> re_;  // set for regex types; shared so Matcher is copyable
};

// True when every matcher accepts the corresponding label of `labels`.
bool MatchesAll(const std::vector<Matcher>& matchers, const Labels& labels);

// Loki's rule: a selector needs at least one matcher that does not match "".
// Returns InvalidArgument with Loki's message otherwise.
Status ValidateSelector(const std::vector<Matcher>& matchers);

// The operator text: "=", "!=", "=~", "!~".
std::string_view MatchTypeText(MatchType t);

}  // namespace skald::common
