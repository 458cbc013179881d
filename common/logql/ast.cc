#include "common/logql/ast.h"

namespace skald::common::logql {

std::string_view LineMatchTypeText(LineMatchType t) {
  switch (t) {
    case LineMatchType::kContains: return "|=";
    case LineMatchType::kNotContains: return "!=";
    case LineMatchType::kRegex: return "|~";
    case LineMatchType::kNotRegex: return "!~";
    case LineMatchType::kPattern: return "|>";
    case LineMatchType::kNotPattern: return "!>";
  }
  return "";
}

bool IsNegated(LineMatchType t) {
  return t == LineMatchType::kNotContains || t == LineMatchType::kNotRegex ||
         t == LineMatchType::kNotPattern;
}

std::string_view ParserTypeText(ParserType t) {
  switch (t) {
    case ParserType::kJson: return "json";
    case ParserType::kLogfmt: return "logfmt";
    case ParserType::kRegexp: return "regexp";
    case ParserType::kPattern: return "pattern";
    case ParserType::kUnpack: return "unpack";
  }
  return "";
}

std::string_view LabelFilterOpText(LabelFilterOp op) {
  switch (op) {
    case LabelFilterOp::kEq: return "==";
    case LabelFilterOp::kNeq: return "!=";
    case LabelFilterOp::kGt: return ">";
    case LabelFilterOp::kGte: return ">=";
    case LabelFilterOp::kLt: return "<";
    case LabelFilterOp::kLte: return "<=";
  }
  return "";
}

std::string_view UnwrapConversionText(UnwrapConversion c) {
  switch (c) {
    case UnwrapConversion::kNone: return "";
    case UnwrapConversion::kDuration: return "duration";
    case UnwrapConversion::kDurationSeconds: return "duration_seconds";
    case UnwrapConversion::kBytes: return "bytes";
  }
  return "";
}

std::string_view RangeOpName(RangeOp op) {
  switch (op) {
    case RangeOp::kCountOverTime: return "count_over_time";
    case RangeOp::kRate: return "rate";
    case RangeOp::kRateCounter: return "rate_counter";
    case RangeOp::kBytesOverTime: return "bytes_over_time";
    case RangeOp::kBytesRate: return "bytes_rate";
    case RangeOp::kAvgOverTime: return "avg_over_time";
    case RangeOp::kSumOverTime: return "sum_over_time";
    case RangeOp::kMinOverTime: return "min_over_time";
    case RangeOp::kMaxOverTime: return "max_over_time";
    case RangeOp::kStdvarOverTime: return "stdvar_over_time";
    case RangeOp::kStddevOverTime: return "stddev_over_time";
    case RangeOp::kQuantileOverTime: return "quantile_over_time";
    case RangeOp::kFirstOverTime: return "first_over_time";
    case RangeOp::kLastOverTime: return "last_over_time";
    case RangeOp::kAbsentOverTime: return "absent_over_time";
  }
  return "";
}

std::string_view VectorOpName(VectorOp op) {
  switch (op) {
    case VectorOp::kSum: return "sum";
    case VectorOp::kAvg: return "avg";
    case VectorOp::kMax: return "max";
    case VectorOp::kMin: return "min";
    case VectorOp::kCount: return "count";
    case VectorOp::kStddev: return "stddev";
    case VectorOp::kStdvar: return "stdvar";
    case VectorOp::kBottomk: return "bottomk";
    case VectorOp::kTopk: return "topk";
    case VectorOp::kSort: return "sort";
    case VectorOp::kSortDesc: return "sort_desc";
    case VectorOp::kApproxTopk: return "approx_topk";
  }
  return "";
}

std::string_view BinaryOpText(BinaryOp op) {
  switch (op) {
    case BinaryOp::kOr: return "or";
    case BinaryOp::kAnd: return "and";
    case BinaryOp::kUnless: return "unless";
    case BinaryOp::kAdd: return "+";
    case BinaryOp::kSub: return "-";
    case BinaryOp::kMul: return "*";
    case BinaryOp::kDiv: return "/";
    case BinaryOp::kMod: return "%";
    case BinaryOp::kPow: return "^";
    case BinaryOp::kEq: return "==";
    case BinaryOp::kNeq: return "!=";
    case BinaryOp::kGt: return ">";
    case BinaryOp::kGte: return ">=";
    case BinaryOp::kLt: return "<";
    case BinaryOp::kLte: return "<=";
  }
  return "";
}

bool IsComparison(BinaryOp op) {
  return op == BinaryOp::kEq || op == BinaryOp::kNeq || op == BinaryOp::kGt ||
         op == BinaryOp::kGte || op == BinaryOp::kLt || op == BinaryOp::kLte;
}

bool IsSetOperation(BinaryOp op) {
  return op == BinaryOp::kOr || op == BinaryOp::kAnd || op == BinaryOp::kUnless;
}

bool IsMetricQuery(const Expr& e) { return e.kind() != ExprKind::kLogSelector; }

namespace {
void Collect(const Expr& e, std::vector<const LogSelectorExpr*>* out) {
  switch (e.kind()) {
    case ExprKind::kLogSelector:
      out->push_back(&e.As<LogSelectorExpr>());
      break;
    case ExprKind::kRangeAggregation:
      out->push_back(e.As<RangeAggregationExpr>().range.selector.get());
      break;
    case ExprKind::kVectorAggregation:
      Collect(*e.As<VectorAggregationExpr>().inner, out);
      break;
    case ExprKind::kBinary:
      Collect(*e.As<BinaryExpr>().lhs, out);
      Collect(*e.As<BinaryExpr>().rhs, out);
      break;
    case ExprKind::kLabelReplace:
      Collect(*e.As<LabelReplaceExpr>().inner, out);
      break;
    case ExprKind::kLiteral:
    case ExprKind::kVector:
      break;
  }
}
}  // namespace

std::vector<const LogSelectorExpr*> CollectLogSelectors(const Expr& e) {
  std::vector<const LogSelectorExpr*> out;
  Collect(e, &out);
  return out;
}

std::vector<std::vector<Matcher>> ExtractMatchers(const Expr& e) {
  std::vector<std::vector<Matcher>> out;
  for (const auto* s : CollectLogSelectors(e)) out.push_back(s->matchers);
  return out;
}

}  // namespace skald::common::logql
