// Runs every case in tests/common/logql/cases/*.txt (format: case_file.h).
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>

#include "common/logql/parser.h"
#include "common/logql/printer.h"
#include "tests/common/logql/case_file.h"

namespace skald::common::logql {
namespace {

std::string CasesDir() {
  const char* src = std::getenv("SKALD_SOURCE_DIR");
  if (src != nullptr) return std::string(src) + "/tests/common/logql/cases";
  return (std::filesystem::path(__FILE__).parent_path() / "cases").string();
}

void RunCase(const testing::Case& c) {
  INFO(c.file << ":" << c.line << " query: " << c.query);
  auto r = ParseExpr(c.query);
  if (c.has_error) {
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().message() == c.expect_error);
    return;
  }
  REQUIRE_MESSAGE(r.ok(), r.status().message());
  std::string s = ToString(**r);
  if (c.has_string) CHECK(s == c.expect_string);
  if (!c.expect_pretty.empty()) {
    std::string want;
    for (size_t i = 0; i < c.expect_pretty.size(); ++i) {
      if (i > 0) want += "\n";
      want += c.expect_pretty[i];
    }
    CHECK(FormatQuery(**r) == want);
  }
  // Round trip: the printed forms parse back to the same tree. A folded
  // non-finite literal prints as NaN/+Inf, which (as in Loki) is not LogQL.
  if (s.find("NaN") != std::string::npos || s.find("Inf") != std::string::npos) return;
  auto again = ParseExpr(s);
  REQUIRE_MESSAGE(again.ok(), again.status().message());
  CHECK(ToString(**again) == s);
  auto pretty = ParseExpr(FormatQuery(**r));
  REQUIRE_MESSAGE(pretty.ok(), pretty.status().message());
  CHECK(ToString(**pretty) == s);
}

TEST_CASE("every data-driven LogQL case parses or fails as written") {
  size_t total = 0;
  for (const auto& entry : std::filesystem::directory_iterator(CasesDir())) {
    if (entry.path().extension() != ".txt") continue;
    for (const auto& c : testing::ReadCases(entry.path().string())) {
      ++total;
      RunCase(c);
    }
  }
  CHECK(total > 100);
}

}  // namespace
}  // namespace skald::common::logql
