// LineFilter: `|= "a"`, `!= "a"`, `|~ "re"`, `!~ "re"`, `|> "pat"`, `!> "pat"`,
// `|= ip("…")`, and `or` chains of them (CONTRACT §3.3; Loki's filter.go).
//
// Regexes are RE2, unanchored; simple ones are rewritten to substring checks
// as Loki does (`foo` -> contains, `(?i)foo` -> case-insensitive contains,
// `a|b` -> either, `.*` -> true, `.+` -> non-empty line).
// Immutable after Create; thread-safe.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "server/logql/log/stage.h"

namespace skald::server::logql::log {

enum class FilterOp : uint8_t {
  kContains = 0,     // |=
  kNotContains = 1,  // !=
  kRegex = 2,        // |~
  kNotRegex = 3,     // !~
  kPattern = 4,      // |>
  kNotPattern = 5,   // !>
};

// One term of a filter: a string, or `ip("…")` (only with |= / !=).
struct LineFilterTerm {
  std::string value;
  bool is_ip = false;
};

// A predicate over a line (one term, or an `or` of terms).
class LineMatcher {
 public:
  virtual ~LineMatcher() = default;
  virtual bool Match(std::string_view line) const = 0;
  // Literals every matching line contains (empty when unknown).
  virtual std::vector<std::string> RequiredLiterals() const { return {}; }
};

// RE2 memory budget for line-filter regexes; bigger programs fail Create.
constexpr int64_t kMaxLineRegexMemory = 8 << 20;

class LineFilter final : public Stage {
 public:
  // Builds `op term1 or term2 ...`. For negative ops the chain means "none of
  // the terms matches". InvalidArgument on a bad regex/pattern/ip, on ip()
  // with a regex/pattern op (`ip: invalid operation`), or on no terms.
  static common::Result<std::unique_ptr<LineFilter>> Create(FilterOp op,
                                                            std::vector<LineFilterTerm> terms);
  // Convenience: all terms are plain strings.
  static common::Result<std::unique_ptr<LineFilter>> Create(FilterOp op,
                                                            const std::vector<std::string>& terms);

  bool Process(int64_t ts_ns, std::string_view& line, LabelsBuilder& lbs) const override;
  // True when the line passes.
  bool Keep(std::string_view line) const { return matcher_->Match(line) != negate_; }

  // Literals every kept line must contain (for memmem/bloom pre-filtering);
  // empty for negative filters, `or` chains and non-literal regexes.
  std::vector<std::string> RequiredLiterals() const;

 private:
  LineFilter(std::unique_ptr<LineMatcher> m, bool negate) : matcher_(std::move(m)), negate_(negate) {}
  std::unique_ptr<LineMatcher> matcher_;
  bool negate_;
};

// Exposed for tests: the matcher Loki's simplifier would use for `re`
// (substring checks where possible, RE2 otherwise).
common::Result<std::unique_ptr<LineMatcher>> NewRegexLineMatcher(std::string_view re);

}  // namespace skald::server::logql::log
