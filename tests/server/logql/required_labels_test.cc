#include "server/logql/required_labels.h"

#include <doctest/doctest.h>

#include "common/logql/parser.h"
#include "server/logql/pipeline_builder.h"

namespace skald::server::logql {
namespace {

namespace ql = common::logql;

// Required labels of the range aggregation `q` (or of the one inside an outer
// `sum`, with the sum's grouping injected as range_aggregation does).
RequiredLabels Req(const std::string& q) {
  auto e = ql::ParseExpr(q);
  REQUIRE(e.ok());
  const ql::Expr* x = e.value().get();
  const ql::Grouping* g = nullptr;
  if (x->kind() == ql::ExprKind::kVectorAggregation) {
    g = &x->As<ql::VectorAggregationExpr>().grouping;
    x = x->As<ql::VectorAggregationExpr>().inner.get();
  }
  REQUIRE(x->kind() == ql::ExprKind::kRangeAggregation);
  const auto& ra = x->As<ql::RangeAggregationExpr>();
  if (ra.grouping) g = &*ra.grouping;
  return ComputeRequiredLabels(ra, g);
}

using Names = std::vector<std::string>;

TEST_CASE("required labels: injected by-grouping plus label filter names") {
  auto r = Req(R"(sum by (level) (count_over_time({env=~".+"} | json | __error__="" [5m])))");
  CHECK_FALSE(r.all);
  CHECK(r.names == Names{"__error__", "level"});
}

TEST_CASE("required labels: own by-grouping, numeric/and/or filters, unwrap and post filters") {
  auto r = Req(
      R"(max_over_time({a="b"} | logfmt | status >= 500 or (path=~"/x.*" and dur > 1s) | unwrap bytes(sz) | __error__="" [1m]) by (app))");
  CHECK_FALSE(r.all);
  CHECK(r.names == Names{"__error__", "app", "dur", "path", "status", "sz"});
}

TEST_CASE("required labels: no grouping means all labels") {
  CHECK(Req(R"(count_over_time({a="b"} | json [5m]))").all);
}

TEST_CASE("required labels: without grouping means all labels") {
  CHECK(Req(R"(sum without (pod) (count_over_time({a="b"} | json [5m])))").all);
}

TEST_CASE("required labels: templates mean all labels") {
  CHECK(Req(R"(sum by (x) (count_over_time({a="b"} | json | line_format "{{.foo}}" [5m])))").all);
  CHECK(Req(R"(sum by (x) (count_over_time({a="b"} | json | label_format x=foo [5m])))").all);
}

TEST_CASE("required labels: empty by-grouping needs only the filters") {
  auto r = Req(R"(sum(count_over_time({a="b"} | json [5m])))");
  CHECK_FALSE(r.all);
  CHECK(r.names.empty());
}

TEST_CASE("required labels: drop/keep names are kept") {
  auto r = Req(R"(sum by (x) (count_over_time({a="b"} | json | drop y, z="1" | keep x, w [5m])))");
  CHECK_FALSE(r.all);
  CHECK(r.names == Names{"w", "x", "y", "z"});
}

size_t StageCount(const std::string& selector, const std::vector<std::string>* allow) {
  auto e = ql::ParseLogSelector(selector);
  REQUIRE(e.ok());
  auto st = BuildStages(e.value()->stages, allow);
  REQUIRE(st.ok());
  return st.value().size();
}

TEST_CASE("BuildStages leaves out json/logfmt when no label is required") {
  const std::vector<std::string> none;
  CHECK(StageCount(R"({a="b"} |= "x" | json | logfmt)", nullptr) == 3);
  CHECK(StageCount(R"({a="b"} |= "x" | json | logfmt)", &none) == 1);
  // Parsers with parameters and other parsers stay.
  CHECK(StageCount(R"q({a="b"} | json x="y" | regexp "(?P<z>.)")q", &none) == 2);
}

TEST_CASE("BuildStages keeps json when __error__ is required") {
  const std::vector<std::string> err{"__error__"};
  CHECK(StageCount(R"({a="b"} | json | __error__="")", &err) == 2);
}

}  // namespace
}  // namespace skald::server::logql
