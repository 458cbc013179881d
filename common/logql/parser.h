// LogQL parser: query text -> AST (ast.h), with Loki's grammar, operator
// precedence, literal folding, validation and error messages.
//
// Errors are InvalidArgument Statuses whose message is exactly Loki's text:
// `parse error at line L, col C: syntax error: unexpected <token>` for
// syntax errors (line 0 for tokens Loki lexes by hand, as Loki reports
// them), and `parse error : <msg>` for semantic ones (e.g. `invalid
// aggregation count_over_time with unwrap`, the empty-selector rule, bad
// regexes). Stateless functions; thread-safe. The caller owns the result.
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "common/logql/ast.h"
#include "common/matcher.h"
#include "common/status.h"

namespace skald::common::logql {

// Queries of this many bytes or more are rejected:
// `parse error : input size too long (N > 131072)`.
constexpr size_t kMaxQueryBytes = 131072;

// Parses and validates any LogQL query (log or metric).
Result<std::unique_ptr<Expr>> ParseExpr(std::string_view query);

// Parses a log query (`{a="b"} |= "x" | json`); a metric query fails with
// `only log selector is supported`. With validate=false the empty-selector
// rule is not applied (Loki's ParseLogSelector(q, false)).
Result<std::unique_ptr<LogSelectorExpr>> ParseLogSelector(std::string_view query,
                                                          bool validate = true);

// Parses a pure stream selector (`{a="b", c=~"d.*"}`), as /series match[],
// /labels query and the agent's match stage need. Anything else fails with
// `only label matchers are supported`; validation as ParseLogSelector.
Result<std::vector<Matcher>> ParseMatchers(std::string_view query, bool validate = true);

}  // namespace skald::common::logql
