// LogQL lexer: turns query text into Tokens exactly as Loki's lexer
// (pkg/logql/syntax/lex.go on Go's text/scanner) would.
//
// Context-sensitivity lives here, as in Loki: a function word (`rate`,
// `sum`, `bytes`, `ip`, ...) is a keyword only when the next non-space text
// is `(` or `by (`/`without (`; otherwise it is an IDENTIFIER, so
// `| rate="a"` is a label filter. Plain keywords (`by`, `json`, `or`, ...)
// are keywords everywhere, case-insensitively. A number directly followed by
// a unit becomes a DURATION (`5m`, `1h30m`, `250us`) or BYTES (`2.5KiB`).
// Comments (`#`, `//`, `/* */`) are skipped.
//
// Stateless functions; thread-safe.
#pragma once

#include <string_view>
#include <vector>

#include "common/logql/token.h"

namespace skald::common::logql {

// Lexes all of `input`. The result always ends with one kEof token, or with
// one kError token (text = Loki's message, e.g. `missing closing ']' in
// duration`) at the first lexical error.
std::vector<Token> Lex(std::string_view input);

}  // namespace skald::common::logql
