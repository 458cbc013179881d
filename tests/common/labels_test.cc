#include "common/labels.h"

#include <doctest/doctest.h>

using skald::common::Labels;
using skald::common::ParseLabels;

TEST_CASE("labels parse sorts, drops empty values and prints canonically") {
  auto r = ParseLabels(R"({job="api",  env="prod", empty=""})");
  REQUIRE(r.ok());
  CHECK(r->ToString() == R"({env="prod", job="api"})");
  CHECK(r->Get("job") == "api");
  CHECK_FALSE(r->Get("empty").has_value());
}

TEST_CASE("labels parse decodes escapes and re-quotes them") {
  auto r = ParseLabels(R"({a="x\"y\\z\n", b='single', c=`raw\n`})");
  REQUIRE(r.ok());
  CHECK(*r->Get("a") == "x\"y\\z\n");
  CHECK(*r->Get("b") == "single");
  CHECK(*r->Get("c") == "raw\\n");
  CHECK(r->ToString() == R"({a="x\"y\\z\n", b="single", c="raw\\n"})");
}

TEST_CASE("labels parse accepts an empty set and a trailing comma") {
  CHECK(ParseLabels("{}").ok());
  CHECK(ParseLabels("{}")->empty());
  CHECK(ParseLabels(R"({a="1",})").ok());
}

TEST_CASE("labels parse reports malformed input as an error value") {
  for (const char* bad : {"", "a=\"1\"", "{a=1}", "{a=\"1\"", "{1a=\"x\"}", "{a\"x\"}",
                          "{a=\"1\" b=\"2\"}", "{a=\"\\q\"}", "{a=\"1\"} extra", "{=\"x\"}"}) {
    auto r = ParseLabels(bad);
    CHECK_MESSAGE(!r.ok(), bad);
    if (!r.ok()) CHECK(r.status().message().find("parse error") != std::string::npos);
  }
}

TEST_CASE("labels keep duplicates for the validator to report") {
  auto r = ParseLabels(R"({a="1", a="2"})");
  REQUIRE(r.ok());
  CHECK(r->FindDuplicateName() == "a");
}

TEST_CASE("labels fingerprint depends only on the canonical form") {
  auto a = ParseLabels(R"({b="2", a="1"})");
  auto b = ParseLabels(R"({a="1",b="2"})");
  auto c = ParseLabels(R"({a="1",b="3"})");
  CHECK(a->Fingerprint() == b->Fingerprint());
  CHECK(a->Fingerprint() != c->Fingerprint());
}

TEST_CASE("label names follow the Prometheus rule") {
  CHECK(skald::common::IsValidLabelName("_a1"));
  CHECK_FALSE(skald::common::IsValidLabelName("1a"));
  CHECK_FALSE(skald::common::IsValidLabelName("a-b"));
  CHECK_FALSE(skald::common::IsValidLabelName(""));
}

TEST_CASE("AppendGoQuoted quotes as Go's %q: plain runs as is, escapes, control bytes and bad UTF-8 as \\x") {
  auto q = [](std::string_view s) {
    std::string out;
    skald::common::AppendGoQuoted(&out, s);
    return out;
  };
  CHECK(q("") == R"("")");
  CHECK(q("plain text 123") == R"("plain text 123")");
  CHECK(q("a\"b\\c") == R"("a\"b\\c")");
  CHECK(q("\n\t\r\a\b\f\v") == R"("\n\t\r\a\b\f\v")");
  CHECK(q(std::string_view("x\x01y\x7fz", 5)) == R"("x\x01y\x7fz")");
  CHECK(q(std::string_view("\0", 1)) == R"("\x00")");
  CHECK(q("caf\xc3\xa9 \xf0\x9f\x98\x80") == "\"caf\xc3\xa9 \xf0\x9f\x98\x80\"");  // valid UTF-8 kept
  CHECK(q("bad \xff end") == R"("bad \xff end")");
  CHECK(q("lone \xc3") == R"("lone \xc3")");
  CHECK(q("\xc3(") == R"("\xc3(")");
  // Runs on both sides of every kind of break.
  CHECK(q("ab\"cd\ne\xc3\xa9" "fg\xffhi") == "\"ab\\\"cd\\ne\xc3\xa9" "fg\\xffhi\"");
}
