// LogQL abstract syntax tree, produced by the parser (parser.h) and read by
// the printer and the evaluators.
//
// How to walk it: every node has a kind() (ExprKind for expressions,
// StageKind for pipeline stages, LabelFilter::kind for label filters);
// switch on it and downcast with As<T>(). All fields are public data. A
// tree owns its children through std::unique_ptr and is immutable after
// parsing by convention; const access from many threads is safe.
//
//   Expr
//   ├─ LogSelectorExpr        {matchers} | stage | stage ...
//   ├─ RangeAggregationExpr   op(param?, LogRange) grouping?
//   │     LogRange: LogSelectorExpr, [range], offset, Unwrap?
//   ├─ VectorAggregationExpr  op grouping (param?, inner)
//   ├─ BinaryExpr             lhs op [bool] [on/ignoring] [group_x] rhs
//   ├─ LiteralExpr            1.5 (literal-only arithmetic is folded)
//   ├─ VectorExpr             vector(1)
//   └─ LabelReplaceExpr       label_replace(inner, dst, repl, src, regex)
//
// Line filter chains are kept as consecutive LineFilterStages (AND), each
// holding the OR'ed terms of one `|= "a" or "b"` group. A negated or-chain
// (`!= "a" or "b"`) means AND of negations and is stored as consecutive
// single-term stages, exactly as Loki rewrites it.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/matcher.h"

namespace skald::common::logql {

// ---------------------------------------------------------------- stages

enum class StageKind : uint8_t {
  kLineFilter = 0,
  kParser = 1,
  kLabelFilter = 2,
  kLineFormat = 3,
  kLabelFormat = 4,
  kDrop = 5,
  kKeep = 6,
  kDecolorize = 7,
};

class Stage {
 public:
  virtual ~Stage() = default;
  StageKind kind() const { return kind_; }
  template <typename T>
  const T& As() const { return static_cast<const T&>(*this); }

 protected:
  explicit Stage(StageKind kind) : kind_(kind) {}

 private:
  StageKind kind_;
};

enum class LineMatchType : uint8_t {
  kContains = 0,     // |=
  kNotContains = 1,  // !=
  kRegex = 2,        // |~
  kNotRegex = 3,     // !~
  kPattern = 4,      // |>
  kNotPattern = 5,   // !>
};
std::string_view LineMatchTypeText(LineMatchType t);
// True for != !~ !>.
bool IsNegated(LineMatchType t);

struct LineFilterTerm {
  bool is_ip = false;  // ip("...") instead of a plain string
  std::string value;   // the string, regex, pattern, or ip() argument
  bool operator==(const LineFilterTerm&) const = default;
};

// `op term or term ...`: the line passes when any term matches (for a
// negated op there is always exactly one term).
struct LineFilterStage final : Stage {
  LineFilterStage() : Stage(StageKind::kLineFilter) {}
  LineMatchType op = LineMatchType::kContains;
  std::vector<LineFilterTerm> terms;
};

enum class ParserType : uint8_t { kJson = 0, kLogfmt = 1, kRegexp = 2, kPattern = 3, kUnpack = 4 };
std::string_view ParserTypeText(ParserType t);

// `name="expression"` of `| json name="a.b"` / `| logfmt name="key"`; a bare
// `name` has expression == name.
struct ExtractionParam {
  std::string label;
  std::string expression;
};

struct ParserStage final : Stage {
  ParserStage() : Stage(StageKind::kParser) {}
  ParserType type = ParserType::kJson;
  std::string expression;  // regexp / pattern text
  bool strict = false;     // logfmt --strict
  bool keep_empty = false;  // logfmt --keep-empty
  // json/logfmt with parameters: extract only these (empty = everything).
  std::vector<ExtractionParam> params;
};

enum class LabelFilterOp : uint8_t { kEq = 0, kNeq = 1, kGt = 2, kGte = 3, kLt = 4, kLte = 5 };
std::string_view LabelFilterOpText(LabelFilterOp op);  // "==", "!=", ">", ...

// A label filter expression tree (`a="1" or (b>2 and c<5ms)`).
struct LabelFilter {
  enum class Kind : uint8_t {
    kMatcher = 0,   // string matcher: matcher
    kNumeric = 1,   // name op number
    kDuration = 2,  // name op duration_ns (label parsed with Go durations)
    kBytes = 3,     // name op bytes (label parsed with humanize)
    kIp = 4,        // name (= or !=) ip(ip_pattern)
    kAnd = 5,       // left and right (also `,` and juxtaposition)
    kOr = 6,        // left or right
  };
  Kind kind = Kind::kMatcher;
  std::optional<Matcher> matcher;
  std::string name;
  LabelFilterOp op = LabelFilterOp::kEq;
  double number = 0;
  int64_t duration_ns = 0;
  uint64_t bytes = 0;
  std::string ip_pattern;
  std::unique_ptr<LabelFilter> left, right;
};

struct LabelFilterStage final : Stage {
  LabelFilterStage() : Stage(StageKind::kLabelFilter) {}
  std::unique_ptr<LabelFilter> filter;
};

struct LineFormatStage final : Stage {
  LineFormatStage() : Stage(StageKind::kLineFormat) {}
  std::string tmpl;  // Go text/template source
};

// `dst=src` (rename: value is the source label) or `dst="{{tmpl}}"`.
struct LabelFormatItem {
  std::string name;
  std::string value;
  bool rename = false;
};

struct LabelFormatStage final : Stage {
  LabelFormatStage() : Stage(StageKind::kLabelFormat) {}
  std::vector<LabelFormatItem> items;  // names are unique
};

// One item of `| drop` / `| keep`: a bare name, or a matcher (applies only
// when the value matches).
struct NamedMatcher {
  std::string name;                // set for the bare form
  std::optional<Matcher> matcher;  // set for the matcher form
};

// kind() is kDrop or kKeep.
struct DropKeepStage final : Stage {
  explicit DropKeepStage(StageKind k) : Stage(k) {}
  std::vector<NamedMatcher> labels;
};

struct DecolorizeStage final : Stage {
  DecolorizeStage() : Stage(StageKind::kDecolorize) {}
};

// ----------------------------------------------------------- expressions

enum class ExprKind : uint8_t {
  kLogSelector = 0,
  kRangeAggregation = 1,
  kVectorAggregation = 2,
  kBinary = 3,
  kLiteral = 4,
  kVector = 5,
  kLabelReplace = 6,
};

class Expr {
 public:
  virtual ~Expr() = default;
  ExprKind kind() const { return kind_; }
  template <typename T>
  const T& As() const { return static_cast<const T&>(*this); }

 protected:
  explicit Expr(ExprKind kind) : kind_(kind) {}

 private:
  ExprKind kind_;
};

// `{a="b"} |= "x" | json ...`; stages are in query order.
struct LogSelectorExpr final : Expr {
  LogSelectorExpr() : Expr(ExprKind::kLogSelector) {}
  std::vector<Matcher> matchers;
  std::vector<std::unique_ptr<Stage>> stages;
};

enum class UnwrapConversion : uint8_t { kNone = 0, kDuration = 1, kDurationSeconds = 2, kBytes = 3 };
std::string_view UnwrapConversionText(UnwrapConversion c);  // "", "duration", ...

// `| unwrap [conv(]label[)] | post filters...`
struct Unwrap {
  std::string label;
  UnwrapConversion conversion = UnwrapConversion::kNone;
  std::vector<std::unique_ptr<LabelFilter>> post_filters;  // AND, in order
};

struct LogRange {
  std::unique_ptr<LogSelectorExpr> selector;
  int64_t range_ns = 0;
  int64_t offset_ns = 0;  // may be negative
  std::optional<Unwrap> unwrap;
};

enum class RangeOp : uint8_t {
  kCountOverTime, kRate, kRateCounter, kBytesOverTime, kBytesRate, kAvgOverTime, kSumOverTime,
  kMinOverTime, kMaxOverTime, kStdvarOverTime, kStddevOverTime, kQuantileOverTime,
  kFirstOverTime, kLastOverTime, kAbsentOverTime,
};
std::string_view RangeOpName(RangeOp op);  // "count_over_time", ...

// `by (a, b)` / `without (a)`. An absent or empty `by ()` means "no labels".
struct Grouping {
  bool without = false;
  std::vector<std::string> labels;
};

struct RangeAggregationExpr final : Expr {
  RangeAggregationExpr() : Expr(ExprKind::kRangeAggregation) {}
  RangeOp op = RangeOp::kCountOverTime;
  LogRange range;
  std::optional<double> param;        // quantile_over_time's φ
  std::optional<Grouping> grouping;   // only for ops that allow it
};

enum class VectorOp : uint8_t {
  kSum, kAvg, kMax, kMin, kCount, kStddev, kStdvar, kBottomk, kTopk, kSort, kSortDesc,
  kApproxTopk,
};
std::string_view VectorOpName(VectorOp op);  // "sum", "topk", ...

struct VectorAggregationExpr final : Expr {
  VectorAggregationExpr() : Expr(ExprKind::kVectorAggregation) {}
  VectorOp op = VectorOp::kSum;
  Grouping grouping;
  int64_t param = 0;  // k for topk/bottomk/approx_topk (> 0)
  std::unique_ptr<Expr> inner;
};

enum class BinaryOp : uint8_t {
  kOr, kAnd, kUnless, kAdd, kSub, kMul, kDiv, kMod, kPow, kEq, kNeq, kGt, kGte, kLt, kLte,
};
std::string_view BinaryOpText(BinaryOp op);  // "or", "+", "==", ...
bool IsComparison(BinaryOp op);
bool IsSetOperation(BinaryOp op);  // and, or, unless

enum class Cardinality : uint8_t { kOneToOne = 0, kManyToOne = 1, kOneToMany = 2 };

struct VectorMatching {
  Cardinality card = Cardinality::kOneToOne;
  bool on = false;                     // on(...) rather than ignoring(...)
  std::vector<std::string> labels;     // the on/ignoring list
  std::vector<std::string> include;    // group_left/group_right (...) list
};

struct BinaryExpr final : Expr {
  BinaryExpr() : Expr(ExprKind::kBinary) {}
  BinaryOp op = BinaryOp::kAdd;
  bool return_bool = false;  // comparison with `bool`
  VectorMatching matching;
  std::unique_ptr<Expr> lhs, rhs;  // never both literals (folded)
};

struct LiteralExpr final : Expr {
  LiteralExpr() : Expr(ExprKind::kLiteral) {}
  double value = 0;
};

struct VectorExpr final : Expr {
  VectorExpr() : Expr(ExprKind::kVector) {}
  double value = 0;
};

struct LabelReplaceExpr final : Expr {
  LabelReplaceExpr() : Expr(ExprKind::kLabelReplace) {}
  std::unique_ptr<Expr> inner;
  std::string dst, replacement, src, regex;  // regex is anchored at evaluation
};

// ---------------------------------------------------------------- helpers

// True for every expression except a log selector (log query).
bool IsMetricQuery(const Expr& e);

// Every log selector in the query, left to right (metric queries may hold
// several). Pointers borrow from `e`.
std::vector<const LogSelectorExpr*> CollectLogSelectors(const Expr& e);

// The matchers of every log selector in the query, left to right.
std::vector<std::vector<Matcher>> ExtractMatchers(const Expr& e);

}  // namespace skald::common::logql
