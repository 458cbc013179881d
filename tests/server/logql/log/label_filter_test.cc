#include "server/logql/log/label_filter.h"

#include <doctest/doctest.h>

#include "server/logql/log/decolorize.h"
#include "server/logql/log/drop_keep.h"
#include "server/logql/log/unwrap.h"
#include "tests/server/logql/log/test_util.h"

namespace skald::server::logql::log {
namespace {

using common::Matcher;
using common::MatchType;
using testing::L;

struct Line {
  explicit Line(const std::string& stream) : b(L(stream)) { b.Reset(); }
  bool Run(const LabelFilter& f) {
    std::string_view line = "x";
    return f.Process(0, line, b);
  }
  LabelsBuilder b;
};

Matcher M(MatchType t, std::string n, std::string v) { return Matcher::Create(t, n, v).value(); }

TEST_CASE("string label filter treats a missing label as empty") {
  Line l(R"({app="a"})");
  CHECK(l.Run(*LabelFilter::String(M(MatchType::kEqual, "level", ""))));
  CHECK_FALSE(l.Run(*LabelFilter::String(M(MatchType::kEqual, "level", "error"))));
  CHECK(l.Run(*LabelFilter::String(M(MatchType::kRegex, "app", "a|b"))));
  CHECK_FALSE(l.Run(*LabelFilter::String(M(MatchType::kRegex, "app", "x"))));
}

TEST_CASE("string label filter can test __error__") {
  Line l(R"({app="a"})");
  l.b.SetErr(kJsonParserErr);
  CHECK_FALSE(l.Run(*LabelFilter::String(M(MatchType::kEqual, "__error__", ""))));
  CHECK(l.Run(*LabelFilter::String(M(MatchType::kEqual, "__error__", "JSONParserErr"))));
}

TEST_CASE("numeric label filter compares as float and drops missing labels") {
  Line l(R"({status="503"})");
  CHECK(l.Run(*LabelFilter::Numeric("status", CompareOp::kGe, 500)));
  CHECK_FALSE(l.Run(*LabelFilter::Numeric("status", CompareOp::kLt, 500)));
  CHECK(l.Run(*LabelFilter::Numeric("status", CompareOp::kEq, 503)));
  CHECK_FALSE(l.Run(*LabelFilter::Numeric("missing", CompareOp::kNe, 1)));
}

TEST_CASE("numeric label filter keeps unparsable lines with LabelFilterErr") {
  Line l(R"({status="abc"})");
  CHECK(l.Run(*LabelFilter::Numeric("status", CompareOp::kGe, 500)));
  CHECK(l.b.GetErr() == "LabelFilterErr");
  CHECK(l.b.GetOrEmpty("__error_details__") == R"(strconv.ParseFloat: parsing "abc": invalid syntax)");
}

TEST_CASE("label filters never overwrite an existing error") {
  Line l(R"({status="abc"})");
  l.b.SetErr(kJsonParserErr);
  CHECK(l.Run(*LabelFilter::Numeric("status", CompareOp::kGe, 500)));
  CHECK(l.b.GetErr() == "JSONParserErr");
}

TEST_CASE("duration label filter parses Go durations") {
  Line l(R"({latency="300ms"})");
  CHECK(l.Run(*LabelFilter::Duration("latency", CompareOp::kGt, 250'000'000)));
  CHECK_FALSE(l.Run(*LabelFilter::Duration("latency", CompareOp::kGt, 1'000'000'000)));
  Line d(R"({latency="5d"})");
  CHECK(d.Run(*LabelFilter::Duration("latency", CompareOp::kGt, 1)));
  CHECK(d.b.GetErr() == "LabelFilterErr");
}

TEST_CASE("bytes label filter parses humanized sizes") {
  Line l(R"({size="3KiB"})");
  CHECK(l.Run(*LabelFilter::Bytes("size", CompareOp::kGe, 2560)));
  CHECK_FALSE(l.Run(*LabelFilter::Bytes("size", CompareOp::kGe, 4000)));
  Line k(R"({size="2.5 kb"})");
  CHECK(k.Run(*LabelFilter::Bytes("size", CompareOp::kEq, 2500)));
}

TEST_CASE("ip label filter matches and passes erroring lines") {
  Line l(R"({addr="192.168.1.5"})");
  CHECK(l.Run(*LabelFilter::Ip("addr", CompareOp::kEq, "192.168.0.0/16").value()));
  CHECK_FALSE(l.Run(*LabelFilter::Ip("addr", CompareOp::kNe, "192.168.0.0/16").value()));
  CHECK_FALSE(LabelFilter::Ip("addr", CompareOp::kGe, "1.2.3.4").ok());
  l.b.SetErr(kJsonParserErr);
  CHECK(l.Run(*LabelFilter::Ip("addr", CompareOp::kEq, "10.0.0.0/8").value()));
}

TEST_CASE("and/or label filters combine with and binding tighter") {
  Line l(R"({a="1", b="2"})");
  auto t = [] { return LabelFilter::String(M(MatchType::kEqual, "a", "1")); };
  auto f = [] { return LabelFilter::String(M(MatchType::kEqual, "a", "0")); };
  CHECK(l.Run(*LabelFilter::Or(f(), t())));
  CHECK_FALSE(l.Run(*LabelFilter::And(t(), f())));
  // a=0 or (a=1 and a=1)
  CHECK(l.Run(*LabelFilter::Or(f(), LabelFilter::And(t(), t()))));
}

TEST_CASE("drop removes labels, by name or when the matcher matches") {
  std::vector<LabelRef> refs;
  refs.push_back({"a", std::nullopt});
  refs.push_back({"", M(MatchType::kEqual, "b", "x")});
  refs.push_back({"", M(MatchType::kEqual, "c", "nomatch")});
  refs.push_back({"__error__", std::nullopt});
  auto stage = std::make_shared<DropLabels>(std::move(refs));
  LabelsBuilder b(L(R"({a="1", b="x", c="y"})"));
  b.Reset();
  b.SetErr(kJsonParserErr);
  std::string_view line = "l";
  stage->Process(0, line, b);
  CHECK(b.Result()->labels.ToString() == R"({c="y"})");
}

TEST_CASE("keep removes every other label but never the error labels") {
  std::vector<LabelRef> refs;
  refs.push_back({"a", std::nullopt});
  refs.push_back({"", M(MatchType::kEqual, "b", "nomatch")});
  auto stage = std::make_shared<KeepLabels>(std::move(refs));
  LabelsBuilder b(L(R"({a="1", b="x", c="y"})"));
  b.Reset();
  b.SetErr(kJsonParserErr);
  std::string_view line = "l";
  stage->Process(0, line, b);
  CHECK(b.Result()->labels.ToString() == R"({__error__="JSONParserErr", a="1"})");
}

TEST_CASE("decolorize strips ANSI colour sequences") {
  std::string out;
  testing::Run({std::make_shared<Decolorize>()}, R"({a="1"})", "\x1b[31mred\x1b[0m plain \x1b[1;32mok\x1b[0m",
               &out);
  CHECK(out == "red plain ok");
}

TEST_CASE("unwrap converts floats, durations and bytes") {
  LabelsBuilder b(L(R"({f="1.5", d="1m30s", s="1KiB", bad="x"})"));
  b.Reset();
  CHECK(Unwrap("f", UnwrapConv::kFloat).Extract(b) == 1.5);
  CHECK(Unwrap("d", UnwrapConv::kDuration).Extract(b) == 90.0);
  CHECK(Unwrap("s", UnwrapConv::kBytes).Extract(b) == 1024.0);
  CHECK_FALSE(Unwrap("missing", UnwrapConv::kFloat).Extract(b).has_value());
  CHECK_FALSE(b.HasErr());
  CHECK(Unwrap("bad", UnwrapConv::kFloat).Extract(b).has_value());
  CHECK(b.GetErr() == "SampleExtractionErr");
}

}  // namespace
}  // namespace skald::server::logql::log
