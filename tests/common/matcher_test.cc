#include "common/matcher.h"

#include <doctest/doctest.h>

using namespace skald::common;

TEST_CASE("regex matchers are fully anchored") {
  auto m = Matcher::Create(MatchType::kRegex, "app", "ap").value();
  CHECK_FALSE(m.Matches("api"));
  CHECK(Matcher::Create(MatchType::kRegex, "app", "ap.").value().Matches("api"));
  CHECK(Matcher::Create(MatchType::kNotRegex, "app", "ap.").value().Matches("web"));
}

TEST_CASE("equality with empty value matches a missing label") {
  auto m = Matcher::Create(MatchType::kEqual, "x", "").value();
  auto labels = ParseLabels(R"({a="1"})").value();
  CHECK(MatchesAll({m}, labels));
}

TEST_CASE("selectors must have a matcher that rejects the empty string") {
  CHECK_FALSE(ValidateSelector({Matcher::Create(MatchType::kRegex, "a", ".*").value()}).ok());
  CHECK(ValidateSelector({Matcher::Create(MatchType::kRegex, "a", ".+").value()}).ok());
  CHECK_FALSE(ValidateSelector({}).ok());
}

TEST_CASE("a bad regex is an error value") {
  auto r = Matcher::Create(MatchType::kRegex, "a", "(");
  CHECK_FALSE(r.ok());
  CHECK(r.status().message().find("error parsing regexp") != std::string::npos);
}
