// libFuzzer target: the LogQL parser must never crash or hang, and every
// query it accepts must print to text that parses back to the same tree.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "common/logql/lexer.h"
#include "common/logql/parser.h"
#include "common/logql/printer.h"

namespace {

bool NonFinite(const std::string& s) {
  return s.find("NaN") != std::string::npos || s.find("Inf") != std::string::npos;
}

void Check(bool ok, const char* what, const std::string& a, const std::string& b) {
  if (ok) return;
  std::fprintf(stderr, "%s\n  first:  %s\n  second: %s\n", what, a.c_str(), b.c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view query(reinterpret_cast<const char*>(data), size);
  (void)skald::common::logql::Lex(query);
  auto parsed = skald::common::logql::ParseExpr(query);
  if (!parsed.ok()) return 0;
  std::string printed = skald::common::logql::ToString(**parsed);
  std::string pretty = skald::common::logql::FormatQuery(**parsed);
  if (NonFinite(printed)) return 0;
  auto again = skald::common::logql::ParseExpr(printed);
  Check(again.ok(), "printed query does not parse", printed, again.status().message());
  Check(skald::common::logql::ToString(**again) == printed, "reparse prints differently", printed,
        skald::common::logql::ToString(**again));
  auto from_pretty = skald::common::logql::ParseExpr(pretty);
  Check(from_pretty.ok(), "formatted query does not parse", pretty,
        from_pretty.status().message());
  Check(skald::common::logql::ToString(**from_pretty) == printed, "formatted query differs",
        printed, skald::common::logql::ToString(**from_pretty));
  return 0;
}
