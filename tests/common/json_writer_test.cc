#include "common/json_writer.h"

#include <doctest/doctest.h>

#include <cmath>

using skald::common::JsonWriter;

TEST_CASE("json writer nests containers and inserts commas") {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject().Key("a").Int(1).Key("b").BeginArray().String("x").Bool(true).Null().EndArray();
  w.Key("c").BeginObject().EndObject().EndObject();
  CHECK(out == R"({"a":1,"b":["x",true,null],"c":{}})");
}

TEST_CASE("json writer escapes like Go with HTML escaping") {
  std::string out;
  JsonWriter::AppendEscaped(&out, "a\"b\\c\n<&>\t\x01");
  CHECK(out == "a\\\"b\\\\c\\n\\u003c\\u0026\\u003e\\t\\u0001");
}

TEST_CASE("json writer replaces invalid UTF-8 with U+FFFD and keeps valid UTF-8") {
  std::string out;
  JsonWriter::AppendEscaped(&out, "\xff ok \xc3\xa9");
  CHECK(out == "\xEF\xBF\xBD ok \xc3\xa9");
}

TEST_CASE("FormatFloatGo matches strconv 'f' -1") {
  using skald::common::FormatFloatGo;
  CHECK(FormatFloatGo(1) == "1");
  CHECK(FormatFloatGo(0.1) == "0.1");
  CHECK(FormatFloatGo(37.77) == "37.77");
  CHECK(FormatFloatGo(1e21) == "1000000000000000000000");
  CHECK(FormatFloatGo(NAN) == "NaN");
  CHECK(FormatFloatGo(-INFINITY) == "-Inf");
  CHECK(FormatFloatGo(INFINITY) == "+Inf");
}
