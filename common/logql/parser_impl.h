// Internal to the LogQL parser (parser.cc, parser_pipeline.cc): the
// recursive-descent Parser over a token vector. Not for use elsewhere.
//
// Grammar and precedence follow Loki's syntax.y. Errors come in two kinds,
// as in Loki: immediate ones (syntax errors, bad matcher regexes, bad
// parser expressions) stop parsing at once; deferred ones (Loki stores
// them in the node, e.g. `invalid aggregation ... with unwrap`) are
// recorded per node and reported by Validate() in Loki's validation order.
// One Parser per query; not thread-safe.
#pragma once

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/logql/ast.h"
#include "common/logql/token.h"
#include "common/status.h"

namespace skald::common::logql::internal {

// Deepest nesting of parentheses, operators and label-filter chains the
// parser accepts; deeper queries fail with `parse error : query is nested
// too deeply (max 1000 levels)` instead of exhausting the stack.
constexpr int kMaxNestingDepth = 1000;

class Parser {
 public:
  explicit Parser(std::vector<Token> tokens) : toks_(std::move(tokens)) {}
  Parser(const Parser&) = delete;
  Parser& operator=(const Parser&) = delete;

  // root: expr EOF.
  Status ParseRoot(std::unique_ptr<Expr>* out);
  // Loki's validateExpr: deferred node errors and the selector rule.
  Status Validate(const Expr& e, bool check_selectors) const;

 private:
  // ---- tokens (parser.cc)
  const Token& Peek(size_t ahead = 0) const;
  Tok PeekKind(size_t ahead = 0) const { return Peek(ahead).kind; }
  const Token& Take();
  bool Accept(Tok t);
  Status Expect(Tok t);
  Status Unexpected(const Token& t) const;
  static Status Semantic(const std::string& msg);
  void Defer(const Expr* node, std::string msg);

  // ---- expressions (parser.cc)
  Status ParseBinary(int min_prec, std::unique_ptr<Expr>* out);
  Status ParseOperand(std::unique_ptr<Expr>* out);
  Status ParseMetricOperand(std::unique_ptr<Expr>* out);
  Status ParseRangeAggregation(std::unique_ptr<Expr>* out);
  Status ParseVectorAggregation(std::unique_ptr<Expr>* out);
  Status ParseLabelReplace(std::unique_ptr<Expr>* out);
  Status ParseVector(std::unique_ptr<Expr>* out);
  Status ParseLiteral(std::unique_ptr<Expr>* out);
  Status ParseGrouping(Grouping* out);
  Status ParseLabelList(std::vector<std::string>* out);
  Status ParseBinaryModifiers(BinaryExpr* node);
  std::unique_ptr<Expr> MakeBinary(std::unique_ptr<BinaryExpr> node);
  Status ParseLogRange(LogRange* out);
  Status ParseRangeTail(std::unique_ptr<LogSelectorExpr> sel, bool unwrap_allowed_after,
                        LogRange* out);
  Status ParseOffset(LogRange* out);
  Status ParseUnwrap(LogRange* out);

  // ---- log selectors and pipelines (parser_pipeline.cc)
  Status ParseSelector(std::vector<Matcher>* out);
  Status ParseMatcher(Matcher* out);
  // Parses stages after a selector; stops before `| unwrap` when
  // stop_at_unwrap, otherwise reports it as unexpected.
  Status ParsePipeline(bool stop_at_unwrap, std::vector<std::unique_ptr<Stage>>* out);
  Status ParseLineFilters(std::vector<std::unique_ptr<Stage>>* out);
  Status ParseStageAfterPipe(std::vector<std::unique_ptr<Stage>>* out);
  Status ParseLogfmt(std::vector<std::unique_ptr<Stage>>* out);
  Status ParseExtractionParams(std::vector<ExtractionParam>* out);
  Status ParseLabelFormat(std::vector<std::unique_ptr<Stage>>* out);
  Status ParseDropKeep(StageKind kind, std::vector<std::unique_ptr<Stage>>* out);
  Status ParseLabelFilter(int min_prec, std::unique_ptr<LabelFilter>* out);
  Status ParseLabelFilterPrimary(std::unique_ptr<LabelFilter>* out);
  bool StartsLabelFilter() const;

  // Counts one nesting level for its lifetime; Enter() fails past the cap.
  Status Enter();
  struct DepthGuard {
    explicit DepthGuard(int* d) : depth(d) {}
    ~DepthGuard() { --*depth; }
    int* depth;
  };

  std::vector<Token> toks_;
  size_t pos_ = 0;
  int depth_ = 0;
  std::unordered_map<const Expr*, std::string> deferred_;
};

// Validates a regexp parser stage expression (RE2 with named groups).
Status CheckRegexpParser(const std::string& re);
// Validates a pattern parser expression (`<name>` captures).
Status CheckPatternParser(const std::string& pattern);
// Validates a pattern line filter (`<_>` only).
Status CheckPatternFilter(const std::string& pattern);

}  // namespace skald::common::logql::internal
