// JsonWriter: builds JSON text with correct escaping, appending to a string.
//
// Strings are escaped as Go's encoding/json does with HTML escaping on
// (`<`, `>`, `&` become \u003c \u003e \u0026; U+2028/2029 escaped; invalid
// UTF-8 becomes U+FFFD), so Loki clients see byte-identical output.
// Commas between members/elements are inserted automatically. Not
// thread-safe; one writer per output.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace skald::common {

class JsonWriter {
 public:
  explicit JsonWriter(std::string* out) : out_(out) {}
  JsonWriter(const JsonWriter&) = delete;
  JsonWriter& operator=(const JsonWriter&) = delete;

  JsonWriter& BeginObject();
  JsonWriter& EndObject();
  JsonWriter& BeginArray();
  JsonWriter& EndArray();
  // Object member name; the next call writes its value.
  JsonWriter& Key(std::string_view key);
  JsonWriter& String(std::string_view s);
  JsonWriter& Int(int64_t v);
  JsonWriter& Uint(uint64_t v);
  // Shortest round-trip decimal; NaN/Inf are written as strings "NaN", "+Inf", "-Inf".
  JsonWriter& Double(double v);
  JsonWriter& Bool(bool v);
  JsonWriter& Null();
  // Inserts already-valid JSON text as one value.
  JsonWriter& Raw(std::string_view json);

  // Appends `s` escaped (without quotes) to `dst`.
  static void AppendEscaped(std::string* dst, std::string_view s, bool html_escape = true);

 private:
  void BeforeValue();

  std::string* out_;
  // One flag per open container: true once it holds an element.
  std::vector<bool> has_elem_;
  bool after_key_ = false;
};

// Go's strconv.FormatFloat(v, 'f', -1, 64): shortest decimal without exponent;
// "NaN", "+Inf", "-Inf" for the special values.
std::string FormatFloatGo(double v);

}  // namespace skald::common
