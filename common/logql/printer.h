// LogQL printer: AST -> canonical query text, as Loki 3.x prints it.
//
// ToString() is Loki's Expr.String() (one line, e.g. `sum by (a)(rate({x="y"}[5m]))`,
// binary operations parenthesised); FormatQuery() is Loki's syntax.Prettify,
// the body of /loki/api/v1/format_query (ToString() when it fits in 100
// characters, otherwise split over indented lines). Parsing either output
// again yields the same AST. Pure functions; thread-safe.
//
// Known difference: Loki renders a non-simplifiable regex label filter
// through Go's regexp/syntax (`x=~"^(?:...)$"` in backticks); we print the
// matcher as written.
#pragma once

#include <string>

#include "common/logql/ast.h"

namespace skald::common::logql {

// Loki's String() of an expression.
std::string ToString(const Expr& e);
// Loki's String() of one pipeline stage (`| json`, `|= "x" or "y"`).
std::string ToString(const Stage& s);
// Loki's String() of a label filter (`( a="1" , b>2 )`).
std::string ToString(const LabelFilter& f);
// Loki's maxCharsPerLine: FormatQuery splits expressions longer than this.
constexpr size_t kFormatMaxLineChars = 100;

// Loki's Prettify(): what format_query returns. The width is a parameter
// only so tests can use Loki's own test width (20).
std::string FormatQuery(const Expr& e, size_t max_line_chars = kFormatMaxLineChars);

}  // namespace skald::common::logql
