#include "common/logql/parser.h"

#include <re2/re2.h>

#include <cmath>
#include <cstdio>
#include <limits>

#include "common/logql/go_format.h"
#include "common/logql/lexer.h"
#include "common/logql/parser_impl.h"

namespace skald::common::logql {

namespace internal {

namespace {

// Binary operator precedence, low to high (Loki's syntax.y).
int BinaryPrecedence(Tok t, BinaryOp* op) {
  switch (t) {
    case Tok::kOr: *op = BinaryOp::kOr; return 1;
    case Tok::kAnd: *op = BinaryOp::kAnd; return 2;
    case Tok::kUnless: *op = BinaryOp::kUnless; return 2;
    case Tok::kCmpEq: *op = BinaryOp::kEq; return 3;
    case Tok::kNeq: *op = BinaryOp::kNeq; return 3;
    case Tok::kGt: *op = BinaryOp::kGt; return 3;
    case Tok::kGte: *op = BinaryOp::kGte; return 3;
    case Tok::kLt: *op = BinaryOp::kLt; return 3;
    case Tok::kLte: *op = BinaryOp::kLte; return 3;
    case Tok::kAdd: *op = BinaryOp::kAdd; return 4;
    case Tok::kSub: *op = BinaryOp::kSub; return 4;
    case Tok::kMul: *op = BinaryOp::kMul; return 5;
    case Tok::kDiv: *op = BinaryOp::kDiv; return 5;
    case Tok::kMod: *op = BinaryOp::kMod; return 5;
    case Tok::kPow: *op = BinaryOp::kPow; return 6;
    default: return 0;
  }
}

bool RangeOpOf(Tok t, RangeOp* op) {
  switch (t) {
    case Tok::kCountOverTime: *op = RangeOp::kCountOverTime; return true;
    case Tok::kRate: *op = RangeOp::kRate; return true;
    case Tok::kRateCounter: *op = RangeOp::kRateCounter; return true;
    case Tok::kBytesOverTime: *op = RangeOp::kBytesOverTime; return true;
    case Tok::kBytesRate: *op = RangeOp::kBytesRate; return true;
    case Tok::kAvgOverTime: *op = RangeOp::kAvgOverTime; return true;
    case Tok::kSumOverTime: *op = RangeOp::kSumOverTime; return true;
    case Tok::kMinOverTime: *op = RangeOp::kMinOverTime; return true;
    case Tok::kMaxOverTime: *op = RangeOp::kMaxOverTime; return true;
    case Tok::kStdvarOverTime: *op = RangeOp::kStdvarOverTime; return true;
    case Tok::kStddevOverTime: *op = RangeOp::kStddevOverTime; return true;
    case Tok::kQuantileOverTime: *op = RangeOp::kQuantileOverTime; return true;
    case Tok::kFirstOverTime: *op = RangeOp::kFirstOverTime; return true;
    case Tok::kLastOverTime: *op = RangeOp::kLastOverTime; return true;
    case Tok::kAbsentOverTime: *op = RangeOp::kAbsentOverTime; return true;
    default: return false;
  }
}

bool VectorOpOf(Tok t, VectorOp* op) {
  switch (t) {
    case Tok::kSum: *op = VectorOp::kSum; return true;
    case Tok::kAvg: *op = VectorOp::kAvg; return true;
    case Tok::kMax: *op = VectorOp::kMax; return true;
    case Tok::kMin: *op = VectorOp::kMin; return true;
    case Tok::kCount: *op = VectorOp::kCount; return true;
    case Tok::kStddev: *op = VectorOp::kStddev; return true;
    case Tok::kStdvar: *op = VectorOp::kStdvar; return true;
    case Tok::kBottomk: *op = VectorOp::kBottomk; return true;
    case Tok::kTopk: *op = VectorOp::kTopk; return true;
    case Tok::kSort: *op = VectorOp::kSort; return true;
    case Tok::kSortDesc: *op = VectorOp::kSortDesc; return true;
    case Tok::kApproxTopk: *op = VectorOp::kApproxTopk; return true;
    default: return false;
  }
}

// Go's fmt %f.
std::string GoPercentF(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[400];
  std::snprintf(buf, sizeof buf, "%f", v);
  return buf;
}

// Go's strconv.Atoi on a NUMBER token's text.
bool GoAtoi(const std::string& s, int64_t* out) {
  if (s.empty() || s.size() > 19) return false;
  int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *out = v;
  return true;
}

// Loki's MergeBinOp on two scalars (literal folding).
double Fold(BinaryOp op, double l, double r) {
  switch (op) {
    case BinaryOp::kAdd: return l + r;
    case BinaryOp::kSub: return l - r;
    case BinaryOp::kMul: return l * r;
    case BinaryOp::kDiv: return r == 0 ? std::numeric_limits<double>::quiet_NaN() : l / r;
    case BinaryOp::kMod: return r == 0 ? std::numeric_limits<double>::quiet_NaN() : std::fmod(l, r);
    case BinaryOp::kPow: return std::pow(l, r);
    case BinaryOp::kEq: return l == r ? 1 : 0;
    case BinaryOp::kNeq: return l != r ? 1 : 0;
    case BinaryOp::kGt: return l > r ? 1 : 0;
    case BinaryOp::kGte: return l >= r ? 1 : 0;
    case BinaryOp::kLt: return l < r ? 1 : 0;
    case BinaryOp::kLte: return l <= r ? 1 : 0;
    default: return 0;
  }
}

const char* GoTypeName(const Expr& e) {
  const auto& sel = e.As<LogSelectorExpr>();
  return sel.stages.empty() ? "*syntax.MatchersExpr" : "*syntax.PipelineExpr";
}

}  // namespace

// ------------------------------------------------------------------ tokens

const Token& Parser::Peek(size_t ahead) const {
  size_t i = pos_ + ahead;
  return i < toks_.size() ? toks_[i] : toks_.back();
}

const Token& Parser::Take() {
  const Token& t = Peek();
  if (pos_ < toks_.size() - 1) ++pos_;
  return t;
}

bool Parser::Accept(Tok t) {
  if (PeekKind() != t) return false;
  Take();
  return true;
}

Status Parser::Expect(Tok t) {
  if (PeekKind() != t) return Unexpected(Peek());
  Take();
  return Status::OK();
}

Status Parser::Unexpected(const Token& t) const {
  std::string msg = t.kind == Tok::kError
                        ? t.text
                        : "syntax error: unexpected " + std::string(TokName(t.kind));
  if (t.line == 0 && t.col == 0) return Status::InvalidArgument("parse error : " + msg);
  return Status::InvalidArgument("parse error at line " + std::to_string(t.line) + ", col " +
                                 std::to_string(t.col) + ": " + msg);
}

Status Parser::Semantic(const std::string& msg) {
  return Status::InvalidArgument("parse error : " + msg);
}

Status Parser::Enter() {
  if (++depth_ > kMaxNestingDepth) {
    return Semantic("query is nested too deeply (max " + std::to_string(kMaxNestingDepth) +
                    " levels)");
  }
  return Status::OK();
}

void Parser::Defer(const Expr* node, std::string msg) {
  deferred_.emplace(node, std::move(msg));
}

// -------------------------------------------------------------- expressions

Status Parser::ParseRoot(std::unique_ptr<Expr>* out) {
  SKALD_RETURN_IF_ERROR(ParseBinary(1, out));
  if (PeekKind() != Tok::kEof) return Unexpected(Peek());
  return Status::OK();
}

Status Parser::ParseBinary(int min_prec, std::unique_ptr<Expr>* out) {
  DepthGuard guard(&depth_);
  SKALD_RETURN_IF_ERROR(Enter());
  std::unique_ptr<Expr> lhs;
  SKALD_RETURN_IF_ERROR(ParseOperand(&lhs));
  while (true) {
    BinaryOp op = BinaryOp::kAdd;
    int prec = BinaryPrecedence(PeekKind(), &op);
    if (prec == 0 || prec < min_prec) break;
    Take();
    auto node = std::make_unique<BinaryExpr>();
    node->op = op;
    SKALD_RETURN_IF_ERROR(ParseBinaryModifiers(node.get()));
    // `^` is right-associative; everything else left-associative.
    SKALD_RETURN_IF_ERROR(ParseBinary(op == BinaryOp::kPow ? prec : prec + 1, &node->rhs));
    node->lhs = std::move(lhs);
    lhs = MakeBinary(std::move(node));
  }
  *out = std::move(lhs);
  return Status::OK();
}

Status Parser::ParseBinaryModifiers(BinaryExpr* node) {
  node->return_bool = Accept(Tok::kBool);
  if (PeekKind() != Tok::kOn && PeekKind() != Tok::kIgnoring) return Status::OK();
  node->matching.on = Take().kind == Tok::kOn;
  SKALD_RETURN_IF_ERROR(Expect(Tok::kOpenParen));
  SKALD_RETURN_IF_ERROR(ParseLabelList(&node->matching.labels));
  if (PeekKind() == Tok::kGroupLeft || PeekKind() == Tok::kGroupRight) {
    node->matching.card =
        Take().kind == Tok::kGroupLeft ? Cardinality::kManyToOne : Cardinality::kOneToMany;
    // A `(` right after group_x is always its label list (yacc shifts).
    if (Accept(Tok::kOpenParen)) {
      SKALD_RETURN_IF_ERROR(ParseLabelList(&node->matching.include));
    }
  }
  return Status::OK();
}

// Labels after an already consumed `(`, through the closing `)`.
Status Parser::ParseLabelList(std::vector<std::string>* out) {
  if (Accept(Tok::kCloseParen)) return Status::OK();
  while (true) {
    if (PeekKind() != Tok::kIdentifier) return Unexpected(Peek());
    out->push_back(Take().text);
    if (Accept(Tok::kCloseParen)) return Status::OK();
    SKALD_RETURN_IF_ERROR(Expect(Tok::kComma));
  }
}

std::unique_ptr<Expr> Parser::MakeBinary(std::unique_ptr<BinaryExpr> node) {
  const Expr& l = *node->lhs;
  const Expr& r = *node->rhs;
  std::string op(BinaryOpText(node->op));
  if (l.kind() == ExprKind::kLogSelector) {
    Defer(node.get(), "unexpected type for left leg of binary operation (" + op + "): " +
                          GoTypeName(l));
    return node;
  }
  if (r.kind() == ExprKind::kLogSelector) {
    Defer(node.get(), "unexpected type for right leg of binary operation (" + op + "): " +
                          GoTypeName(r));
    return node;
  }
  bool l_lit = l.kind() == ExprKind::kLiteral, r_lit = r.kind() == ExprKind::kLiteral;
  for (const Expr* leg : {&l, &r}) {
    auto it = deferred_.find(leg);
    if (it != deferred_.end() && leg->kind() == ExprKind::kLiteral) {
      Defer(node.get(), it->second);
      return node;
    }
  }
  if (IsSetOperation(node->op)) {
    if (l_lit) {
      Defer(node.get(), "unexpected literal for left leg of logical/set binary operation (" + op +
                            "): " + GoPercentF(l.As<LiteralExpr>().value));
      return node;
    }
    if (r_lit) {
      Defer(node.get(), "unexpected literal for right leg of logical/set binary operation (" +
                            op + "): " + GoPercentF(r.As<LiteralExpr>().value));
      return node;
    }
  }
  if (l_lit && r_lit) {
    auto lit = std::make_unique<LiteralExpr>();
    lit->value = Fold(node->op, l.As<LiteralExpr>().value, r.As<LiteralExpr>().value);
    return lit;
  }
  return node;
}

Status Parser::ParseOperand(std::unique_ptr<Expr>* out) {
  const Token& t = Peek();
  RangeOp rop = RangeOp::kRate;
  VectorOp vop = VectorOp::kSum;
  switch (t.kind) {
    case Tok::kOpenBrace: {
      auto sel = std::make_unique<LogSelectorExpr>();
      SKALD_RETURN_IF_ERROR(ParseSelector(&sel->matchers));
      SKALD_RETURN_IF_ERROR(ParsePipeline(false, &sel->stages));
      *out = std::move(sel);
      return Status::OK();
    }
    case Tok::kOpenParen:
      Take();
      SKALD_RETURN_IF_ERROR(ParseBinary(1, out));
      return Expect(Tok::kCloseParen);
    case Tok::kNumber:
    case Tok::kAdd:
    case Tok::kSub:
      return ParseLiteral(out);
    case Tok::kLabelReplace:
      return ParseLabelReplace(out);
    case Tok::kVector:
      return ParseVector(out);
    default:
      if (RangeOpOf(t.kind, &rop)) return ParseRangeAggregation(out);
      if (VectorOpOf(t.kind, &vop)) return ParseVectorAggregation(out);
      return Unexpected(t);
  }
}

// An expression where Loki's grammar wants a metricExpr: a bare log query
// is a syntax error at the token that follows it.
Status Parser::ParseMetricOperand(std::unique_ptr<Expr>* out) {
  SKALD_RETURN_IF_ERROR(ParseBinary(1, out));
  if ((*out)->kind() == ExprKind::kLogSelector) return Unexpected(Peek());
  return Status::OK();
}

// NUMBER | + NUMBER | - NUMBER
Status Parser::ParseLiteral(std::unique_ptr<Expr>* out) {
  bool negate = false;
  if (PeekKind() == Tok::kAdd || PeekKind() == Tok::kSub) negate = Take().kind == Tok::kSub;
  if (PeekKind() != Tok::kNumber) return Unexpected(Peek());
  auto lit = std::make_unique<LiteralExpr>();
  auto v = ParseGoFloat(Take().text);
  if (v.ok()) {
    lit->value = negate ? -*v : *v;
  } else {
    Defer(lit.get(), "unable to parse literal as a float: " + v.status().message());
  }
  *out = std::move(lit);
  return Status::OK();
}

Status Parser::ParseGrouping(Grouping* out) {
  out->without = Take().kind == Tok::kWithout;
  SKALD_RETURN_IF_ERROR(Expect(Tok::kOpenParen));
  return ParseLabelList(&out->labels);
}

Status Parser::ParseRangeAggregation(std::unique_ptr<Expr>* out) {
  auto node = std::make_unique<RangeAggregationExpr>();
  RangeOpOf(Take().kind, &node->op);
  SKALD_RETURN_IF_ERROR(Expect(Tok::kOpenParen));
  std::optional<std::string> param;
  if (PeekKind() == Tok::kNumber && PeekKind(1) == Tok::kComma) {
    param = Take().text;
    Take();
  }
  SKALD_RETURN_IF_ERROR(ParseLogRange(&node->range));
  SKALD_RETURN_IF_ERROR(Expect(Tok::kCloseParen));
  if (PeekKind() == Tok::kBy || PeekKind() == Tok::kWithout) {
    node->grouping.emplace();
    SKALD_RETURN_IF_ERROR(ParseGrouping(&*node->grouping));
  }
  // Loki's newRangeAggregationExpr and RangeAggregationExpr.validate().
  std::string op(RangeOpName(node->op));
  RangeOp o = node->op;
  std::string err;
  if (param) {
    if (o != RangeOp::kQuantileOverTime) {
      err = "parameter " + *param + " not supported for operation " + op;
    } else if (auto v = ParseGoFloat(*param); v.ok()) {
      node->param = *v;
    } else {
      err = "invalid parameter for operation " + op + ": " + v.status().message();
    }
  } else if (o == RangeOp::kQuantileOverTime) {
    err = "parameter required for operation " + op;
  }
  if (err.empty() && node->grouping) {
    switch (o) {
      case RangeOp::kAvgOverTime: case RangeOp::kStddevOverTime: case RangeOp::kStdvarOverTime:
      case RangeOp::kQuantileOverTime: case RangeOp::kMaxOverTime: case RangeOp::kMinOverTime:
      case RangeOp::kFirstOverTime: case RangeOp::kLastOverTime:
        break;
      default:
        err = "grouping not allowed for " + op + " aggregation";
    }
  }
  if (err.empty()) {
    bool with_unwrap = node->range.unwrap.has_value();
    bool ok;
    switch (o) {
      case RangeOp::kRate: case RangeOp::kAbsentOverTime:
        ok = true;
        break;
      case RangeOp::kCountOverTime: case RangeOp::kBytesOverTime: case RangeOp::kBytesRate:
        ok = !with_unwrap;
        break;
      default:
        ok = with_unwrap;
    }
    if (!ok) err = "invalid aggregation " + op + (with_unwrap ? " with unwrap" : " without unwrap");
  }
  if (!err.empty()) Defer(node.get(), err);
  *out = std::move(node);
  return Status::OK();
}

Status Parser::ParseVectorAggregation(std::unique_ptr<Expr>* out) {
  auto node = std::make_unique<VectorAggregationExpr>();
  VectorOpOf(Take().kind, &node->op);
  bool grouped = false;
  if (PeekKind() == Tok::kBy || PeekKind() == Tok::kWithout) {
    SKALD_RETURN_IF_ERROR(ParseGrouping(&node->grouping));
    grouped = true;
  }
  SKALD_RETURN_IF_ERROR(Expect(Tok::kOpenParen));
  std::optional<std::string> param;
  if (PeekKind() == Tok::kNumber && PeekKind(1) == Tok::kComma) {
    param = Take().text;
    Take();
  }
  SKALD_RETURN_IF_ERROR(ParseMetricOperand(&node->inner));
  SKALD_RETURN_IF_ERROR(Expect(Tok::kCloseParen));
  if (!grouped && (PeekKind() == Tok::kBy || PeekKind() == Tok::kWithout)) {
    SKALD_RETURN_IF_ERROR(ParseGrouping(&node->grouping));
    grouped = true;
  }
  // Loki's mustNewVectorAggregationExpr.
  std::string op(VectorOpName(node->op));
  std::string err;
  if (node->op == VectorOp::kTopk || node->op == VectorOp::kBottomk ||
      node->op == VectorOp::kApproxTopk) {
    int64_t k = 0;
    if (!param) {
      err = "parameter required for operation " + op;
    } else if (!GoAtoi(*param, &k)) {
      err = "invalid parameter " + op + "(" + *param + ",";
    } else if (k <= 0) {
      err = "invalid parameter (must be greater than 0) " + op + "(" + *param;
    } else if (node->op == VectorOp::kApproxTopk && grouped) {
      err = "grouping not allowed for " + op + " aggregation";
    }
    node->param = k;
  } else if (param) {
    err = "unsupported parameter for operation " + op + "(" + *param + ",";
  }
  if (!err.empty()) Defer(node.get(), err);
  *out = std::move(node);
  return Status::OK();
}

Status Parser::ParseLabelReplace(std::unique_ptr<Expr>* out) {
  Take();
  auto node = std::make_unique<LabelReplaceExpr>();
  SKALD_RETURN_IF_ERROR(Expect(Tok::kOpenParen));
  SKALD_RETURN_IF_ERROR(ParseMetricOperand(&node->inner));
  for (std::string* field : {&node->dst, &node->replacement, &node->src, &node->regex}) {
    SKALD_RETURN_IF_ERROR(Expect(Tok::kComma));
    if (PeekKind() != Tok::kString) return Unexpected(Peek());
    *field = Take().text;
  }
  SKALD_RETURN_IF_ERROR(Expect(Tok::kCloseParen));
  RE2::Options opts;
  opts.set_log_errors(false);
  RE2 re("^(?:" + node->regex + ")$", opts);
  if (!re.ok()) {
    Defer(node.get(), "invalid regex in label_replace: error parsing regexp: " + re.error() +
                          ": `" + node->regex + "`");
  } else if (!IsValidLabelName(node->dst)) {
    Defer(node.get(), "invalid destination label name in label_replace(): " + node->dst);
  }
  *out = std::move(node);
  return Status::OK();
}

Status Parser::ParseVector(std::unique_ptr<Expr>* out) {
  Take();
  SKALD_RETURN_IF_ERROR(Expect(Tok::kOpenParen));
  if (PeekKind() != Tok::kNumber) return Unexpected(Peek());
  auto node = std::make_unique<VectorExpr>();
  auto v = ParseGoFloat(Take().text);
  if (v.ok()) {
    node->value = *v;
  } else {
    Defer(node.get(), "unable to parse vectorExpr as a float: " + v.status().message());
  }
  SKALD_RETURN_IF_ERROR(Expect(Tok::kCloseParen));
  *out = std::move(node);
  return Status::OK();
}

// ---------------------------------------------------------------- log range

// The argument of a range aggregation, in any of Loki's placements:
//   sel [pipeline] [unwrap] RANGE [offset]
//   sel RANGE [offset] [pipeline] [unwrap]
//   ( sel [pipeline] [unwrap] ) RANGE [offset]     ( sel ) RANGE [offset] [unwrap]
//   ( logRange )
Status Parser::ParseLogRange(LogRange* out) {
  DepthGuard guard(&depth_);
  SKALD_RETURN_IF_ERROR(Enter());
  if (PeekKind() == Tok::kOpenParen) {
    Take();
    if (PeekKind() == Tok::kOpenParen) {
      SKALD_RETURN_IF_ERROR(ParseLogRange(out));
      return Expect(Tok::kCloseParen);
    }
    if (PeekKind() != Tok::kOpenBrace) return Unexpected(Peek());
    auto sel = std::make_unique<LogSelectorExpr>();
    SKALD_RETURN_IF_ERROR(ParseSelector(&sel->matchers));
    if (PeekKind() == Tok::kRange) {  // ( logRange )
      SKALD_RETURN_IF_ERROR(ParseRangeTail(std::move(sel), true, out));
      return Expect(Tok::kCloseParen);
    }
    SKALD_RETURN_IF_ERROR(ParsePipeline(true, &sel->stages));
    bool bare = sel->stages.empty();
    if (PeekKind() == Tok::kPipe) SKALD_RETURN_IF_ERROR(ParseUnwrap(out));
    bare = bare && !out->unwrap;
    SKALD_RETURN_IF_ERROR(Expect(Tok::kCloseParen));
    if (PeekKind() != Tok::kRange) return Unexpected(Peek());
    out->range_ns = Take().duration_ns;
    out->selector = std::move(sel);
    SKALD_RETURN_IF_ERROR(ParseOffset(out));
    if (bare && PeekKind() == Tok::kPipe && PeekKind(1) == Tok::kUnwrap) {
      SKALD_RETURN_IF_ERROR(ParseUnwrap(out));
    }
    return Status::OK();
  }
  if (PeekKind() != Tok::kOpenBrace) return Unexpected(Peek());
  auto sel = std::make_unique<LogSelectorExpr>();
  SKALD_RETURN_IF_ERROR(ParseSelector(&sel->matchers));
  if (PeekKind() == Tok::kRange) return ParseRangeTail(std::move(sel), true, out);
  SKALD_RETURN_IF_ERROR(ParsePipeline(true, &sel->stages));
  if (PeekKind() == Tok::kPipe) SKALD_RETURN_IF_ERROR(ParseUnwrap(out));
  if (PeekKind() != Tok::kRange) return Unexpected(Peek());
  out->range_ns = Take().duration_ns;
  out->selector = std::move(sel);
  return ParseOffset(out);
}

// `sel RANGE [offset] [pipeline] [unwrap]` after the selector.
Status Parser::ParseRangeTail(std::unique_ptr<LogSelectorExpr> sel, bool unwrap_allowed_after,
                              LogRange* out) {
  out->range_ns = Take().duration_ns;
  SKALD_RETURN_IF_ERROR(ParseOffset(out));
  SKALD_RETURN_IF_ERROR(ParsePipeline(true, &sel->stages));
  if (unwrap_allowed_after && PeekKind() == Tok::kPipe) SKALD_RETURN_IF_ERROR(ParseUnwrap(out));
  out->selector = std::move(sel);
  return Status::OK();
}

Status Parser::ParseOffset(LogRange* out) {
  if (!Accept(Tok::kOffset)) return Status::OK();
  if (PeekKind() != Tok::kDuration) return Unexpected(Peek());
  out->offset_ns = Take().duration_ns;
  return Status::OK();
}

// `| unwrap [conv(]label[)]` followed by `| labelFilter`s. The caller has
// seen `|`.
Status Parser::ParseUnwrap(LogRange* out) {
  Take();  // |
  SKALD_RETURN_IF_ERROR(Expect(Tok::kUnwrap));
  Unwrap u;
  Tok conv = PeekKind();
  if (conv == Tok::kBytesConv || conv == Tok::kDurationConv || conv == Tok::kDurationSecondsConv) {
    Take();
    u.conversion = conv == Tok::kBytesConv      ? UnwrapConversion::kBytes
                   : conv == Tok::kDurationConv ? UnwrapConversion::kDuration
                                                : UnwrapConversion::kDurationSeconds;
    SKALD_RETURN_IF_ERROR(Expect(Tok::kOpenParen));
    if (PeekKind() != Tok::kIdentifier) return Unexpected(Peek());
    u.label = Take().text;
    SKALD_RETURN_IF_ERROR(Expect(Tok::kCloseParen));
  } else {
    if (PeekKind() != Tok::kIdentifier) return Unexpected(Peek());
    u.label = Take().text;
  }
  while (Accept(Tok::kPipe)) {
    std::unique_ptr<LabelFilter> f;
    SKALD_RETURN_IF_ERROR(ParseLabelFilter(0, &f));
    u.post_filters.push_back(std::move(f));
  }
  out->unwrap = std::move(u);
  return Status::OK();
}

// --------------------------------------------------------------- validation

Status Parser::Validate(const Expr& e, bool check_selectors) const {
  auto it = deferred_.find(&e);
  if (it != deferred_.end()) return Semantic(it->second);
  switch (e.kind()) {
    case ExprKind::kBinary:
      SKALD_RETURN_IF_ERROR(Validate(*e.As<BinaryExpr>().lhs, check_selectors));
      return Validate(*e.As<BinaryExpr>().rhs, check_selectors);
    case ExprKind::kLiteral:
    case ExprKind::kVector:
      return Status::OK();
    case ExprKind::kVectorAggregation: {
      const auto& v = e.As<VectorAggregationExpr>();
      if ((v.op == VectorOp::kSort || v.op == VectorOp::kSortDesc) && !v.grouping.labels.empty()) {
        return Semantic("sort and sort_desc doesn't allow grouping by ");
      }
      return Validate(*v.inner, check_selectors);
    }
    case ExprKind::kLabelReplace:
      return Validate(*e.As<LabelReplaceExpr>().inner, check_selectors);
    case ExprKind::kRangeAggregation:
      return Validate(*e.As<RangeAggregationExpr>().range.selector, check_selectors);
    case ExprKind::kLogSelector:
      if (!check_selectors) return Status::OK();
      if (Status s = ValidateSelector(e.As<LogSelectorExpr>().matchers); !s.ok()) {
        return Semantic(s.message());
      }
      return Status::OK();
  }
  return Status::OK();
}

}  // namespace internal

namespace {

Result<std::unique_ptr<Expr>> Parse(std::string_view query, bool check_selectors) {
  if (query.size() >= kMaxQueryBytes) {
    return Status::InvalidArgument("parse error : input size too long (" +
                                   std::to_string(query.size()) + " > " +
                                   std::to_string(kMaxQueryBytes) + ")");
  }
  internal::Parser p(Lex(query));
  std::unique_ptr<Expr> e;
  SKALD_RETURN_IF_ERROR(p.ParseRoot(&e));
  SKALD_RETURN_IF_ERROR(p.Validate(*e, check_selectors));
  return e;
}

}  // namespace

Result<std::unique_ptr<Expr>> ParseExpr(std::string_view query) { return Parse(query, true); }

Result<std::unique_ptr<LogSelectorExpr>> ParseLogSelector(std::string_view query, bool validate) {
  auto e = Parse(query, validate);
  if (!e.ok()) return e.status();
  if ((*e)->kind() != ExprKind::kLogSelector) {
    return Status::InvalidArgument("only log selector is supported");
  }
  return std::unique_ptr<LogSelectorExpr>(static_cast<LogSelectorExpr*>(e->release()));
}

Result<std::vector<Matcher>> ParseMatchers(std::string_view query, bool validate) {
  auto e = Parse(query, validate);
  if (!e.ok()) return e.status();
  if ((*e)->kind() != ExprKind::kLogSelector || !(*e)->As<LogSelectorExpr>().stages.empty()) {
    return Status::InvalidArgument("only label matchers are supported");
  }
  return (*e)->As<LogSelectorExpr>().matchers;
}

}  // namespace skald::common::logql
