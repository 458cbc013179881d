#include "common/template.h"

#include <doctest/doctest.h>

#include <map>

namespace skald::common {
namespace {

std::string Render(const std::string& text, std::map<std::string, std::string> labels = {},
                   int64_t ts = 0, std::string line = "") {
  auto t = Template::Parse(text);
  if (!t.ok()) FAIL(t.status().message());
  TemplateContext ctx;
  ctx.lookup = [&labels](std::string_view n) -> std::optional<std::string_view> {
    auto it = labels.find(std::string(n));
    if (it == labels.end()) return std::nullopt;
    return std::string_view(it->second);
  };
  ctx.ts_ns = ts;
  ctx.line = line;
  std::string out;
  Status st = t.value()->Execute(ctx, &out);
  if (!st.ok()) return "ERR:" + st.message();
  return out;
}

TEST_CASE("template renders fields and text") {
  CHECK(Render("a {{.x}} b {{ .y }}", {{"x", "1"}, {"y", "2"}}) == "a 1 b 2");
}

TEST_CASE("template default fills empty and missing values") {
  CHECK(Render(R"({{.foo | default "-" }}{{.bar | default "-"}}{{.unknown | default "-"}})",
               {{"foo", "blip"}, {"bar", ""}}) == "blip--");
}

TEST_CASE("template if/else if/else chooses a branch") {
  std::string t = R"({{ if eq .l "a" }}A{{ else if eq .l "b" }}B{{ else }}C{{ end }})";
  CHECK(Render(t, {{"l", "a"}}) == "A");
  CHECK(Render(t, {{"l", "b"}}) == "B");
  CHECK(Render(t, {{"l", "z"}}) == "C");
}

TEST_CASE("template trims whitespace around trim markers") {
  CHECK(Render("a  {{- .x -}}  b", {{"x", "1"}}) == "a1b");
}

TEST_CASE("template supports variables, with and comments") {
  CHECK(Render(R"({{ $v := .x }}{{/* note */}}{{ with .y }}[{{ . }}{{ $v }}]{{ end }})", {{"x", "1"}, {"y", "2"}}) ==
        "[21]");
  CHECK(Render(R"({{ with .y }}yes{{ else }}no{{ end }})") == "no");
}

TEST_CASE("template string functions follow sprig and Go argument order") {
  CHECK(Render(R"({{ .a | ToUpper }} {{ ToLower "ABC" }} {{ Replace .a "l" "L" -1 }} {{ TrimPrefix .a "he" }})",
               {{"a", "hello"}}) == "HELLO abc heLLo llo");
  CHECK(Render(R"({{ .a | trunc 3 }} {{ substr 1 3 .a }} {{ replace "l" "L" .a }} {{ trimPrefix "he" .a }})",
               {{"a", "hello"}}) == "hel el heLLo llo");
  CHECK(Render(R"({{ title "hello world" }} {{ repeat 2 "ab" }} {{ contains "ell" .a }} {{ hasPrefix "he" .a }})",
               {{"a", "hello"}}) == "Hello World abab true true");
}

TEST_CASE("template alignLeft and alignRight pad or cut") {
  CHECK(Render("{{ alignLeft 4 .foo }}|{{ alignRight 7 .foo }}|{{ alignLeft 7 .foo }}|", {{"foo", "hello"}}) ==
        "hell|  hello|hello  |");
}

TEST_CASE("template regex functions replace and count") {
  CHECK(Render(R"({{ regexReplaceAll "(a+)b" .s "${1}X" }})", {{"s", "aab cab"}}) == "aaX caX");
  CHECK(Render(R"({{ regexReplaceAllLiteral "a+" .s "$1" }})", {{"s", "aab"}}) == "$1b");
  CHECK(Render(R"({{ count "a" .s }})", {{"s", "banana"}}) == "3");
}

TEST_CASE("template base64 and url functions") {
  CHECK(Render(R"({{ b64enc "hello" }} {{ b64dec "aGVsbG8" }} {{ urlencode "a b&c" }} {{ urldecode "a+b%26c" }})") ==
        "aGVsbG8= hello a+b%26c a b&c");
}

TEST_CASE("template math and conversion functions") {
  CHECK(Render(R"({{ add 1 .x }} {{ sub 5 2 }} {{ mul 2 3 }} {{ div 7 2 }} {{ mod 7 2 }})", {{"x", "3"}}) ==
        "4 3 6 3 1");
  CHECK(Render(R"({{ addf 1.5 1 }} {{ divf 1 4 }} {{ max 1 5 3 }} {{ round 2.567 2 }} {{ ceil 1.2 }})") ==
        "2.5 0.25 5 2.57 2");
  CHECK(Render(R"({{ .size | bytes }} {{ .d | duration }} {{ float64 "1.5" }} {{ int "42" }})",
               {{"size", "1KiB"}, {"d", "1m30s"}}) == "1024 90 1.5 42");
  CHECK(Render(R"({{ mulf 1000000 1 }})") == "1e+06");
}

TEST_CASE("template comparison built-ins") {
  CHECK(Render(R"({{ if and (gt 3 2) (lt 1 2) (ne "a" "b") (not false) }}ok{{ end }})") == "ok");
  CHECK(Render(R"({{ len .a }} {{ printf "%s=%d %.2f" "x" 5 1.5 }} {{ print "a" 1 2 }})", {{"a", "abc"}}) ==
        "3 x=5 1.50 a1 2");
}

TEST_CASE("template date functions format Go layouts") {
  int64_t ts = 1656331200123456789;  // 2022-06-27T12:00:00.123456789Z
  CHECK(Render(R"({{ __timestamp__ | date "2006-01-02T15:04:05.000Z07:00" }})", {}, ts) ==
        "2022-06-27T12:00:00.123Z");
  CHECK(Render(R"({{ __timestamp__ | date "Mon Jan _2 3:04PM" }})", {}, ts) == "Mon Jun 27 12:00PM");
  CHECK(Render(R"({{ __timestamp__ | unixEpoch }} {{ __timestamp__ | unixEpochMillis }})", {}, ts) ==
        "1656331200 1656331200123");
  CHECK(Render(R"({{ toDate "2006-01-02" "2021-03-04" | unixEpoch }})") == "1614816000");
  CHECK(Render(R"({{ unixToTime "1656331200" | date "2006-01-02" }})") == "2022-06-27");
}

TEST_CASE("template __line__ and fromJson") {
  CHECK(Render("{{ __line__ }}", {}, 0, "the line") == "the line");
  CHECK(Render(R"({{ $j := fromJson .j }}{{ $j.a }} {{ index $j "b" }})", {{"j", R"({"a":"x","b":2})"}}) == "x 2");
  CHECK(Render(R"({{ range $i, $v := fromJson .j }}{{$i}}={{$v}};{{ end }})", {{"j", "[\"a\",\"b\"]"}}) ==
        "0=a;1=b;");
}

TEST_CASE("template parse errors are reported") {
  CHECK_FALSE(Template::Parse("{{ .a ").ok());
  CHECK_FALSE(Template::Parse("{{ if .a }}x").ok());
  CHECK_FALSE(Template::Parse("{{ end }}").ok());
  auto r = Template::Parse("{{ nosuch .a }}");
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().message() == "template: line:1: function \"nosuch\" not defined");
}

TEST_CASE("template execution errors are reported") {
  CHECK(Render("{{ .a.b }}", {{"a", "1"}}).rfind("ERR:", 0) == 0);
  CHECK(Render("{{ div 1 0 }}").rfind("ERR:", 0) == 0);
}

}  // namespace
}  // namespace skald::common
