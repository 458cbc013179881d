#include "common/logfmt.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace skald::common {
namespace {

std::string Decode(std::string_view line) {
  LogfmtDecoder d;
  d.Reset(line);
  std::string out;
  while (!d.Eol()) {
    if (d.ScanKeyval()) {
      out += std::string(d.key()) + "=" + std::string(d.value()) + ";";
    } else if (!d.err().empty()) {
      out += "!;";
    }
  }
  return out;
}

TEST_CASE("logfmt decodes plain, quoted and valueless pairs") {
  CHECK(Decode(R"(a=1 b="x y" c d=)") == "a=1;b=x y;c=;d=;");
}

TEST_CASE("logfmt unescapes quoted values") {
  CHECK(Decode(R"(a="x\"y\n\u00e9")") == "a=x\"y\né;");
}

TEST_CASE("logfmt reports the position of an unexpected equals sign") {
  LogfmtDecoder d;
  d.Reset(R"(foo="foo bar" =notkey bar=10ms)");
  CHECK(d.ScanKeyval());
  CHECK_FALSE(d.ScanKeyval());
  CHECK(d.err() == "logfmt syntax error at pos 15 : unexpected '='");
}

TEST_CASE("logfmt reports an unterminated quote") {
  LogfmtDecoder d;
  d.Reset(R"(a="x)");
  CHECK_FALSE(d.ScanKeyval());
  CHECK(d.err() == "logfmt syntax error at pos 5 : unterminated quoted value");
}

TEST_CASE("logfmt rejects a quote inside an unquoted value") {
  LogfmtDecoder d;
  d.Reset(R"(a=x"y b=2)");
  CHECK_FALSE(d.ScanKeyval());
  CHECK(d.err() == "logfmt syntax error at pos 4 : unexpected '\"'");
  CHECK(d.ScanKeyval());
  CHECK(d.key() == "b");
}

TEST_CASE("logfmt rejects an invalid escape in a quoted value") {
  LogfmtDecoder d;
  d.Reset(R"(a="\q")");
  CHECK_FALSE(d.ScanKeyval());
  CHECK(d.err() == "logfmt syntax error at pos 7 : invalid quoted value");
}

}  // namespace
}  // namespace skald::common
