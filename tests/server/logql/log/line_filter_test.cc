#include "server/logql/log/line_filter.h"

#include <doctest/doctest.h>

#include "server/logql/log/ip_matcher.h"

namespace skald::server::logql::log {
namespace {

bool Keep(FilterOp op, std::vector<std::string> terms, std::string_view line) {
  auto f = LineFilter::Create(op, terms);
  REQUIRE(f.ok());
  return f.value()->Keep(line);
}

bool KeepIp(FilterOp op, std::string pat, std::string_view line) {
  auto f = LineFilter::Create(op, std::vector<LineFilterTerm>{{pat, true}});
  REQUIRE(f.ok());
  return f.value()->Keep(line);
}

TEST_CASE("contains filter is a case-sensitive substring test") {
  CHECK(Keep(FilterOp::kContains, {"err"}, "an error here"));
  CHECK_FALSE(Keep(FilterOp::kContains, {"err"}, "an ERROR here"));
}

TEST_CASE("empty contains is a no-op and empty not-contains drops every line") {
  CHECK(Keep(FilterOp::kContains, {""}, "x"));
  CHECK(Keep(FilterOp::kContains, {""}, ""));
  CHECK_FALSE(Keep(FilterOp::kNotContains, {""}, "x"));
}

TEST_CASE("or chain of positive filters keeps a line matching any term") {
  CHECK(Keep(FilterOp::kContains, {"a", "b"}, "xbx"));
  CHECK_FALSE(Keep(FilterOp::kContains, {"a", "b"}, "xcx"));
}

TEST_CASE("or chain of negative filters means none of the terms") {
  CHECK_FALSE(Keep(FilterOp::kNotContains, {"a", "b"}, "xbx"));
  CHECK(Keep(FilterOp::kNotContains, {"a", "b"}, "xcx"));
  CHECK_FALSE(Keep(FilterOp::kNotRegex, {"a+", "b+"}, "xbx"));
}

TEST_CASE("regex filter is unanchored RE2 where dot does not match newline") {
  CHECK(Keep(FilterOp::kRegex, {"err(or)?"}, "some error"));
  CHECK(Keep(FilterOp::kRegex, {"\\d+ms"}, "took 15ms"));
  CHECK_FALSE(Keep(FilterOp::kRegex, {"a.b"}, "a\nb"));
  CHECK(Keep(FilterOp::kRegex, {"(?s)a.b"}, "a\nb"));
}

TEST_CASE("case-insensitive literal regex matches any case") {
  CHECK(Keep(FilterOp::kRegex, {"(?i)error"}, "an ErRoR"));
  CHECK_FALSE(Keep(FilterOp::kRegex, {"(?i)error"}, "an err"));
  CHECK(Keep(FilterOp::kRegex, {"(?i)(foo|bar)"}, "xBAR"));
}

TEST_CASE("literal alternation regex matches either branch") {
  CHECK(Keep(FilterOp::kRegex, {"foo|bar"}, "a bar"));
  CHECK(Keep(FilterOp::kRegex, {".*foo.*"}, "a foo b"));
  CHECK_FALSE(Keep(FilterOp::kRegex, {"foo|bar"}, "baz"));
  CHECK(Keep(FilterOp::kRegex, {"a\\.b"}, "xa.b"));
  CHECK_FALSE(Keep(FilterOp::kRegex, {"a\\.b"}, "xaxb"));
}

TEST_CASE("dot-star matches every line and dot-plus only non-empty ones") {
  CHECK(Keep(FilterOp::kRegex, {".*"}, ""));
  CHECK_FALSE(Keep(FilterOp::kRegex, {".+"}, ""));
  CHECK(Keep(FilterOp::kRegex, {".+"}, "x"));
  CHECK_FALSE(Keep(FilterOp::kNotRegex, {".*"}, "x"));
}

TEST_CASE("invalid regex is rejected") {
  auto f = LineFilter::Create(FilterOp::kRegex, std::vector<std::string>{"(a"});
  CHECK_FALSE(f.ok());
}

TEST_CASE("huge regex program is rejected") {
  auto f = LineFilter::Create(FilterOp::kRegex, std::vector<std::string>{"((a{100}){100}){100}"});
  CHECK_FALSE(f.ok());
}

TEST_CASE("pattern filter requires literals in order and non-empty wildcards") {
  CHECK(Keep(FilterOp::kPattern, {"<_> level=error <_>"}, "ts=1 level=error msg=x"));
  CHECK_FALSE(Keep(FilterOp::kPattern, {"<_> level=error <_>"}, " level=error msg=x"));
  CHECK_FALSE(Keep(FilterOp::kPattern, {"<_> level=error <_>"}, "ts=1 level=error "));
  CHECK(Keep(FilterOp::kPattern, {"<_>bar<_>"}, " bar "));
  CHECK_FALSE(Keep(FilterOp::kPattern, {"<_> bar"}, "foo bar baz"));
  CHECK(Keep(FilterOp::kPattern, {"foo <_>"}, "foo bar baz"));
}

TEST_CASE("empty pattern filter matches only empty lines") {
  CHECK(Keep(FilterOp::kPattern, {""}, ""));
  CHECK_FALSE(Keep(FilterOp::kPattern, {""}, "x"));
}

TEST_CASE("pattern filter rejects named captures") {
  auto f = LineFilter::Create(FilterOp::kPattern, std::vector<std::string>{"<a> x"});
  REQUIRE_FALSE(f.ok());
  CHECK(f.status().message() == "named captures are not allowed");
}

TEST_CASE("not-pattern filter with or chain drops lines matching any pattern") {
  CHECK_FALSE(Keep(FilterOp::kNotPattern, {"<_> debug <_>", "<_> info <_>"}, "a info b"));
  CHECK(Keep(FilterOp::kNotPattern, {"<_> debug <_>", "<_> info <_>"}, "a warn b"));
}

TEST_CASE("ip filter matches a single address token in the line") {
  CHECK(KeepIp(FilterOp::kContains, "192.168.0.1", "from 192.168.0.1 port 22"));
  CHECK_FALSE(KeepIp(FilterOp::kContains, "192.168.0.1", "from 192.168.0.10 port 22"));
  CHECK(KeepIp(FilterOp::kNotContains, "192.168.0.1", "from 10.0.0.1"));
}

TEST_CASE("ip filter matches ranges and CIDRs") {
  CHECK(KeepIp(FilterOp::kContains, "1.2.3.4-1.2.3.9", "x 1.2.3.7 y"));
  CHECK_FALSE(KeepIp(FilterOp::kContains, "1.2.3.4-1.2.3.9", "x 1.2.3.10 y"));
  CHECK(KeepIp(FilterOp::kContains, "10.0.0.0/8", "x=10.200.3.4"));
  CHECK_FALSE(KeepIp(FilterOp::kContains, "10.0.0.0/8", "x=11.200.3.4"));
}

TEST_CASE("ip filter handles IPv6") {
  CHECK(KeepIp(FilterOp::kContains, "2001:db8::/32", "client 2001:db8::1 ok"));
  CHECK(KeepIp(FilterOp::kContains, "::1", "client ::1 ok"));
  CHECK_FALSE(KeepIp(FilterOp::kContains, "2001:db8::/32", "client 2001:db9::1 ok"));
}

TEST_CASE("ip filter rejects invalid patterns and regex operators") {
  auto bad = IpMatcher::Create("1.2.3");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().message() == "ip: invalid pattern: \"1.2.3\"");
  CHECK_FALSE(IpMatcher::Create("1.2.3.9-1.2.3.4").ok());
  CHECK_FALSE(IpMatcher::Create("1.2.3.4/33").ok());
  auto f = LineFilter::Create(FilterOp::kRegex, std::vector<LineFilterTerm>{{"1.2.3.4", true}});
  REQUIRE_FALSE(f.ok());
  CHECK(f.status().message() == "ip: invalid operation");
}

TEST_CASE("ip filter on an empty line does not match") {
  CHECK_FALSE(KeepIp(FilterOp::kContains, "0.0.0.0/0", ""));
}

TEST_CASE("required literals come from positive single-literal filters only") {
  auto a = LineFilter::Create(FilterOp::kContains, std::vector<std::string>{"needle"});
  CHECK(a.value()->RequiredLiterals() == std::vector<std::string>{"needle"});
  auto b = LineFilter::Create(FilterOp::kContains, std::vector<std::string>{"a", "b"});
  CHECK(b.value()->RequiredLiterals().empty());
  auto c = LineFilter::Create(FilterOp::kNotContains, std::vector<std::string>{"a"});
  CHECK(c.value()->RequiredLiterals().empty());
  auto d = LineFilter::Create(FilterOp::kRegex, std::vector<std::string>{"foo"});
  CHECK(d.value()->RequiredLiterals() == std::vector<std::string>{"foo"});
  auto e = LineFilter::Create(FilterOp::kRegex, std::vector<std::string>{"(?i)foo"});
  CHECK(e.value()->RequiredLiterals().empty());
  auto f = LineFilter::Create(FilterOp::kPattern, std::vector<std::string>{"<_> x=<_> y"});
  CHECK(f.value()->RequiredLiterals() == std::vector<std::string>{" x=", " y"});
}

}  // namespace
}  // namespace skald::server::logql::log
