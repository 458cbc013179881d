// LogQL tokens: the kinds the lexer produces and the names Loki's parser
// uses for them in `syntax error: unexpected <name>` messages.
//
// Plain values; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace skald::common::logql {

enum class Tok : uint8_t {
  kEof,
  kError,  // a lexical error; Token::text holds the message
  kIdentifier,
  kString,
  kNumber,
  kDuration,
  kRange,
  kBytes,
  kParserFlag,
  // Punctuation and operators.
  kComma, kDot, kOpenBrace, kCloseBrace, kEq, kNeq, kRe, kNre, kNpa, kPipeExact, kPipeMatch,
  kPipePattern, kPipe, kOpenParen, kCloseParen, kOpenBracket, kCloseBracket,
  kAdd, kSub, kMul, kDiv, kMod, kPow, kCmpEq, kGt, kGte, kLt, kLte,
  // Keywords that are always keywords (case-insensitive).
  kBy, kWithout, kBool, kOffset, kOn, kIgnoring, kGroupLeft, kGroupRight, kOr, kAnd, kUnless,
  kJson, kRegexp, kLogfmt, kUnpack, kPattern, kLabelFmt, kLineFmt, kDecolorize, kDrop, kKeep,
  kUnwrap,
  // Function keywords: only when followed by `(` (or `by`/`without` + `(`).
  kLabelReplace, kIp, kVector, kBytesConv, kDurationConv, kDurationSecondsConv,
  // Range aggregation functions.
  kCountOverTime, kRate, kRateCounter, kBytesOverTime, kBytesRate, kAvgOverTime, kSumOverTime,
  kMinOverTime, kMaxOverTime, kStdvarOverTime, kStddevOverTime, kQuantileOverTime,
  kFirstOverTime, kLastOverTime, kAbsentOverTime,
  // Vector aggregation functions.
  kSum, kAvg, kMax, kMin, kCount, kStddev, kStdvar, kBottomk, kTopk, kSort, kSortDesc,
  kApproxTopk,
};

// Loki's yacc name for a token kind: "$end", "IDENTIFIER", "|=", "by", "SUM"...
std::string_view TokName(Tok t);

struct Token {
  Tok kind = Tok::kEof;
  // Identifier text, decoded string value, number text, flag text, or the
  // error message for kError.
  std::string text;
  int64_t duration_ns = 0;  // kDuration, kRange
  uint64_t bytes = 0;       // kBytes
  // Position as Loki reports it: 1-based line and column (characters). Line
  // is 0 for tokens Loki's lexer extends by hand (two-character operators,
  // durations, bytes, ranges, flags), a quirk visible in its messages.
  int line = 0;
  int col = 0;
};

}  // namespace skald::common::logql
