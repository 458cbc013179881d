#include "common/logql/lexer.h"

#include <doctest/doctest.h>

namespace skald::common::logql {
namespace {

std::vector<Tok> Kinds(std::string_view q) {
  std::vector<Tok> out;
  for (const auto& t : Lex(q)) out.push_back(t.kind);
  return out;
}

TEST_CASE("function words are keywords only before an open parenthesis") {
  CHECK(Kinds("rate(") == std::vector<Tok>{Tok::kRate, Tok::kOpenParen, Tok::kEof});
  CHECK(Kinds("rate =") == std::vector<Tok>{Tok::kIdentifier, Tok::kEq, Tok::kEof});
  CHECK(Kinds("sum by (a)")[0] == Tok::kSum);
  CHECK(Kinds("sum without(a)")[0] == Tok::kSum);
  CHECK(Kinds("sum bytes")[0] == Tok::kIdentifier);
  CHECK(Kinds("ip(")[0] == Tok::kIp);
  CHECK(Kinds("ip=")[0] == Tok::kIdentifier);
}

TEST_CASE("plain keywords are case-insensitive everywhere") {
  CHECK(Kinds("JSON")[0] == Tok::kJson);
  CHECK(Kinds("By")[0] == Tok::kBy);
  CHECK(Kinds("Or")[0] == Tok::kOr);
  CHECK(Kinds("RATE (")[0] == Tok::kRate);
}

TEST_CASE("numbers with units become durations and bytes") {
  auto t = Lex("5m 1h30m 250us 2.5KiB 10 -5m");
  REQUIRE(t.size() == 7);
  CHECK(t[0].kind == Tok::kDuration);
  CHECK(t[0].duration_ns == 300'000'000'000);
  CHECK(t[1].duration_ns == 5'400'000'000'000);
  CHECK(t[2].duration_ns == 250'000);
  CHECK(t[3].kind == Tok::kBytes);
  CHECK(t[3].bytes == 2560);
  CHECK(t[4].kind == Tok::kNumber);
  CHECK(t[5].kind == Tok::kDuration);
  CHECK(t[5].duration_ns == -300'000'000'000);
}

TEST_CASE("ranges use Prometheus durations and report Loki's errors") {
  auto ok = Lex("[1h30m]");
  CHECK(ok[0].kind == Tok::kRange);
  CHECK(ok[0].duration_ns == 5'400'000'000'000);
  auto bad = Lex("x [5minutes]");
  CHECK(bad.back().kind == Tok::kError);
  CHECK(bad.back().text == "unknown unit \"minutes\" in duration \"5minutes\"");
  CHECK(bad.back().line == 0);
  CHECK(bad.back().col == 3);
  CHECK(Lex("[5m").back().text == "missing closing ']' in duration");
}

TEST_CASE("strings decode Go escapes and backtick strings are raw") {
  auto t = Lex(R"("a\tb\u00e9" `c\d`)");
  CHECK(t[0].kind == Tok::kString);
  CHECK(t[0].text == "a\tb\xC3\xA9");
  CHECK(t[1].text == "c\\d");
  CHECK(Lex("\"abc").back().text == "literal not terminated");
  CHECK(Lex(R"("\q")").back().text == "invalid char escape");
}

TEST_CASE("parser flags lex as one token") {
  CHECK(Kinds("--strict --keep-empty") ==
        std::vector<Tok>{Tok::kParserFlag, Tok::kParserFlag, Tok::kEof});
}

TEST_CASE("comments are skipped") {
  CHECK(Kinds("a # b c\nd") == std::vector<Tok>{Tok::kIdentifier, Tok::kIdentifier, Tok::kEof});
  CHECK(Kinds("a /* b */ c // d") ==
        std::vector<Tok>{Tok::kIdentifier, Tok::kIdentifier, Tok::kEof});
}

TEST_CASE("positions count characters and lines; hand-extended tokens report line 0") {
  auto t = Lex("{a=\"é\"}\n  |= x");
  // {  a  =  "é"  }  |=  x  EOF
  CHECK(t[4].col == 7);  // } after a two-byte character counts as one column
  CHECK(t[5].kind == Tok::kPipeExact);
  CHECK(t[5].line == 0);
  CHECK(t[5].col == 3);
  CHECK(t[6].line == 2);
  CHECK(t[6].col == 6);
}

TEST_CASE("invalid UTF-8 and NUL are lexical errors") {
  CHECK(Lex("{a=\"\xff\"}").back().text == "invalid UTF-8 encoding");
  CHECK(Lex(std::string_view("a\0b", 3)).back().text == "invalid character NUL");
}

TEST_CASE("empty input is a lone EOF at position 0:0") {
  auto t = Lex("");
  REQUIRE(t.size() == 1);
  CHECK(t[0].kind == Tok::kEof);
  CHECK(t[0].line == 0);
  CHECK(t[0].col == 0);
}

}  // namespace
}  // namespace skald::common::logql
