// The parsed tree has the shape the evaluators rely on.
#include <doctest/doctest.h>

#include "common/logql/ast.h"
#include "common/logql/parser.h"
#include "common/logql/printer.h"

namespace skald::common::logql {
namespace {

std::unique_ptr<Expr> MustParse(std::string_view q) {
  auto r = ParseExpr(q);
  REQUIRE_MESSAGE(r.ok(), r.status().message());
  return std::move(r).value();
}

TEST_CASE("a log query is a LogSelectorExpr with stages in order") {
  auto e = MustParse(R"({app="api", env=~"p.*"} |= "a" or "b" | json | level="error")");
  REQUIRE(e->kind() == ExprKind::kLogSelector);
  CHECK_FALSE(IsMetricQuery(*e));
  const auto& s = e->As<LogSelectorExpr>();
  REQUIRE(s.matchers.size() == 2);
  CHECK(s.matchers[1].type() == MatchType::kRegex);
  REQUIRE(s.stages.size() == 3);
  const auto& lf = s.stages[0]->As<LineFilterStage>();
  CHECK(lf.op == LineMatchType::kContains);
  CHECK(lf.terms.size() == 2);
  CHECK(s.stages[1]->As<ParserStage>().type == ParserType::kJson);
  const auto& f = *s.stages[2]->As<LabelFilterStage>().filter;
  CHECK(f.kind == LabelFilter::Kind::kMatcher);
  CHECK(f.matcher->Matches("error"));
}

TEST_CASE("a negated or-chain becomes consecutive single-term filters") {
  auto e = MustParse(R"({a="b"} != "x" or ip("1.2.3.4"))");
  const auto& s = e->As<LogSelectorExpr>();
  REQUIRE(s.stages.size() == 2);
  CHECK(s.stages[0]->As<LineFilterStage>().terms[0].value == "x");
  CHECK(s.stages[1]->As<LineFilterStage>().terms[0].is_ip);
}

TEST_CASE("label filter trees bind and tighter than or") {
  auto e = MustParse(R"({a="b"} | x > 1 or y < 250ms and z >= 1KiB)");
  const auto& f = *e->As<LogSelectorExpr>().stages[0]->As<LabelFilterStage>().filter;
  REQUIRE(f.kind == LabelFilter::Kind::kOr);
  CHECK(f.left->kind == LabelFilter::Kind::kNumeric);
  CHECK(f.left->number == 1);
  REQUIRE(f.right->kind == LabelFilter::Kind::kAnd);
  CHECK(f.right->left->kind == LabelFilter::Kind::kDuration);
  CHECK(f.right->left->duration_ns == 250'000'000);
  CHECK(f.right->right->kind == LabelFilter::Kind::kBytes);
  CHECK(f.right->right->bytes == 1024);
}

TEST_CASE("a range aggregation carries range, offset, unwrap and grouping") {
  auto e = MustParse(
      R"(quantile_over_time(0.9, {a="b"} | logfmt | unwrap duration(t) | __error__="" [5m] offset -1m) by (x))");
  REQUIRE(e->kind() == ExprKind::kRangeAggregation);
  CHECK(IsMetricQuery(*e));
  const auto& r = e->As<RangeAggregationExpr>();
  CHECK(r.op == RangeOp::kQuantileOverTime);
  CHECK(*r.param == 0.9);
  CHECK(r.range.range_ns == 300'000'000'000);
  CHECK(r.range.offset_ns == -60'000'000'000);
  REQUIRE(r.range.unwrap.has_value());
  CHECK(r.range.unwrap->label == "t");
  CHECK(r.range.unwrap->conversion == UnwrapConversion::kDuration);
  CHECK(r.range.unwrap->post_filters.size() == 1);
  CHECK(r.range.selector->stages.size() == 1);
  REQUIRE(r.grouping.has_value());
  CHECK(r.grouping->labels == std::vector<std::string>{"x"});
}

TEST_CASE("binary expressions keep precedence, bool and vector matching") {
  auto e = MustParse(
      R"(sum by (a) (rate({x="y"}[1m])) > bool on (a) group_left (b) sum by (a) (rate({x="z"}[1m])) * 2)");
  REQUIRE(e->kind() == ExprKind::kBinary);
  const auto& b = e->As<BinaryExpr>();
  CHECK(b.op == BinaryOp::kGt);
  CHECK(b.return_bool);
  CHECK(b.matching.on);
  CHECK(b.matching.card == Cardinality::kManyToOne);
  CHECK(b.matching.include == std::vector<std::string>{"b"});
  REQUIRE(b.rhs->kind() == ExprKind::kBinary);
  CHECK(b.rhs->As<BinaryExpr>().op == BinaryOp::kMul);
  auto m = ExtractMatchers(*e);
  REQUIRE(m.size() == 2);
  CHECK(m[1][0].value() == "z");
}

TEST_CASE("topk keeps its k and the vector aggregation its grouping") {
  auto e = MustParse(R"(topk by (a) (3, rate({x="y"}[1m])))");
  const auto& v = e->As<VectorAggregationExpr>();
  CHECK(v.op == VectorOp::kTopk);
  CHECK(v.param == 3);
  CHECK(v.grouping.labels == std::vector<std::string>{"a"});
  CHECK(v.inner->kind() == ExprKind::kRangeAggregation);
}

TEST_CASE("literal-only arithmetic folds to one literal") {
  auto e = MustParse("2 ^ 3 ^ 2 - 1");
  REQUIRE(e->kind() == ExprKind::kLiteral);
  CHECK(e->As<LiteralExpr>().value == 511);
}

TEST_CASE("queries at the size cap are rejected") {
  std::string q = "{a=\"" + std::string(kMaxQueryBytes, 'x') + "\"}";
  auto r = ParseExpr(q);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().message() == "parse error : input size too long (" +
                                    std::to_string(q.size()) + " > 131072)");
  std::string just_under = "{a=\"" + std::string(kMaxQueryBytes - 7, 'x') + "\"}";
  CHECK(just_under.size() == kMaxQueryBytes - 1);
  CHECK(ParseExpr(just_under).ok());
}

TEST_CASE("ParseLogSelector rejects metric queries and can skip the selector rule") {
  CHECK(ParseLogSelector(R"({a="b"} | json)").ok());
  CHECK(ParseLogSelector("rate({a=\"b\"}[1m])").status().message() ==
        "only log selector is supported");
  CHECK_FALSE(ParseLogSelector(R"({a=~".*"})").ok());
  CHECK(ParseLogSelector(R"({a=~".*"})", false).ok());
}

TEST_CASE("ParseMatchers accepts only a bare selector") {
  auto m = ParseMatchers(R"({app=~"api|auth", env="prod"})");
  REQUIRE(m.ok());
  CHECK(m->size() == 2);
  CHECK(ParseMatchers(R"({a="b"} |= "x")").status().message() ==
        "only label matchers are supported");
  CHECK_FALSE(ParseMatchers(R"(app="web")").ok());
}

TEST_CASE("FormatQuery splits long queries and keeps short ones on one line") {
  auto short_q = MustParse(R"(sum(rate({a="b"}[5m])))");
  CHECK(FormatQuery(*short_q) == R"(sum(rate({a="b"}[5m])))");
  auto long_q = MustParse(
      R"({app="frontend", namespace="production"} |= "error" | json | level="error" | line_format "{{.msg}} {{.status}}")");
  CHECK(FormatQuery(*long_q) ==
        "{app=\"frontend\", namespace=\"production\"}\n  |= \"error\"\n  | json\n"
        "  | level=\"error\"\n  | line_format \"{{.msg}} {{.status}}\"");
}

}  // namespace
}  // namespace skald::common::logql
