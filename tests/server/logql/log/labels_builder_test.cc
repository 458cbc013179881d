#include "server/logql/log/labels_builder.h"

#include <doctest/doctest.h>

#include "tests/server/logql/log/test_util.h"

namespace skald::server::logql::log {
namespace {

using testing::L;

TEST_CASE("builder returns the stream labels when nothing changes") {
  LabelsBuilder b(L(R"({app="a", env="p"})"));
  b.Reset();
  auto r = b.Result();
  CHECK(r->labels.ToString() == R"({app="a", env="p"})");
  CHECK(r->parsed.empty());
}

TEST_CASE("builder categorises metadata and parsed labels") {
  LabelsBuilder b(L(R"({app="a"})"));
  b.Reset();
  b.AddMetadata({{"trace_id", "t1"}});
  b.Set(LabelCategory::kParsed, "level", "info");
  auto r = b.Result();
  CHECK(r->labels.ToString() == R"({app="a", level="info", trace_id="t1"})");
  CHECK(r->stream.ToString() == R"({app="a"})");
  CHECK(r->metadata.ToString() == R"({trace_id="t1"})");
  CHECK(r->parsed.ToString() == R"({level="info"})");
}

TEST_CASE("extracted key clashing with a stream label or metadata gets _extracted") {
  LabelsBuilder b(L(R"({app="a"})"));
  b.Reset();
  b.AddMetadata({{"pod", "p"}});
  b.SetExtracted("app", "x");
  b.SetExtracted("pod", "y");
  b.SetExtracted("new", "z");
  CHECK(b.Result()->labels.ToString() ==
        R"({app="a", app_extracted="x", new="z", pod="p", pod_extracted="y"})");
}

TEST_CASE("deleting a stream label hides it and reset restores it") {
  LabelsBuilder b(L(R"({app="a", env="p"})"));
  b.Reset();
  b.Del("env");
  CHECK_FALSE(b.Get("env").has_value());
  CHECK(b.Result()->labels.ToString() == R"({app="a"})");
  b.Reset();
  CHECK(b.Get("env") == std::optional<std::string_view>("p"));
}

TEST_CASE("setting a stream label overrides its value") {
  LabelsBuilder b(L(R"({app="a"})"));
  b.Reset();
  b.Set(LabelCategory::kParsed, "app", "b");
  CHECK(b.Get("app") == std::optional<std::string_view>("b"));
  CHECK(b.Result()->labels.ToString() == R"({app="b"})");
}

TEST_CASE("error labels appear in the result and can be deleted") {
  LabelsBuilder b(L(R"({app="a"})"));
  b.Reset();
  b.SetErr(kJsonParserErr);
  b.SetErrDetails("bad");
  CHECK(b.Get("__error__") == std::optional<std::string_view>("JSONParserErr"));
  CHECK(b.Result()->labels.ToString() == R"({__error__="JSONParserErr", __error_details__="bad", app="a"})");
  CHECK(b.Result()->parsed.size() == 2);
  b.Del("__error__");
  CHECK_FALSE(b.HasErr());
}

TEST_CASE("identical label sets share one cached result") {
  LabelsBuilder b(L(R"({app="a"})"));
  b.Reset();
  b.Set(LabelCategory::kParsed, "x", "1");
  auto r1 = b.Result();
  b.Reset();
  b.Set(LabelCategory::kParsed, "x", "1");
  auto r2 = b.Result();
  CHECK(r1.get() == r2.get());
  b.Reset();
  b.Set(LabelCategory::kParsed, "x", "2");
  CHECK(b.Result().get() != r1.get());
}

TEST_CASE("empty parsed values are dropped from the result") {
  LabelsBuilder b(L(R"({app="a"})"));
  b.Reset();
  b.Set(LabelCategory::kParsed, "x", "");
  CHECK(b.Get("x") == std::optional<std::string_view>(""));
  CHECK(b.Result()->labels.ToString() == R"({app="a"})");
}

TEST_CASE("pipeline caches per-stream state by labels") {
  Pipeline p({});
  auto& a = p.ForStream(L(R"({app="a"})"));
  auto& b = p.ForStream(L(R"({app="a"})"));
  auto& c = p.ForStream(L(R"({app="c"})"));
  CHECK(&a == &b);
  CHECK(&a != &c);
}

}  // namespace
}  // namespace skald::server::logql::log
