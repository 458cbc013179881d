#include "common/json_writer.h"

#include <charconv>
#include <cmath>

namespace skald::common {

void JsonWriter::BeforeValue() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (!has_elem_.empty()) {
    if (has_elem_.back()) out_->push_back(',');
    has_elem_.back() = true;
  }
}

JsonWriter& JsonWriter::BeginObject() {
  BeforeValue();
  out_->push_back('{');
  has_elem_.push_back(false);
  return *this;
}
JsonWriter& JsonWriter::EndObject() {
  out_->push_back('}');
  has_elem_.pop_back();
  return *this;
}
JsonWriter& JsonWriter::BeginArray() {
  BeforeValue();
  out_->push_back('[');
  has_elem_.push_back(false);
  return *this;
}
JsonWriter& JsonWriter::EndArray() {
  out_->push_back(']');
  has_elem_.pop_back();
  return *this;
}
JsonWriter& JsonWriter::Key(std::string_view key) {
  BeforeValue();
  out_->push_back('"');
  AppendEscaped(out_, key);
  out_->append("\":");
  after_key_ = true;
  return *this;
}
JsonWriter& JsonWriter::String(std::string_view s) {
  BeforeValue();
  out_->push_back('"');
  AppendEscaped(out_, s);
  out_->push_back('"');
  return *this;
}
JsonWriter& JsonWriter::Int(int64_t v) {
  BeforeValue();
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out_->append(buf, r.ptr);
  return *this;
}
JsonWriter& JsonWriter::Uint(uint64_t v) {
  BeforeValue();
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out_->append(buf, r.ptr);
  return *this;
}
JsonWriter& JsonWriter::Double(double v) {
  if (!std::isfinite(v)) return String(FormatFloatGo(v));
  BeforeValue();
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out_->append(buf, r.ptr);
  return *this;
}
JsonWriter& JsonWriter::Bool(bool v) {
  BeforeValue();
  out_->append(v ? "true" : "false");
  return *this;
}
JsonWriter& JsonWriter::Null() {
  BeforeValue();
  out_->append("null");
  return *this;
}
JsonWriter& JsonWriter::Raw(std::string_view json) {
  BeforeValue();
  out_->append(json);
  return *this;
}

namespace {

// kPlain[html][c]: byte c is copied as is (printable ASCII that needs no
// escape; with html also not <, > or &).
struct PlainBytes {
  bool table[2][256] = {};
  PlainBytes() {
    for (int html = 0; html < 2; ++html) {
      for (int c = 0x20; c < 0x80; ++c) {
        table[html][c] = c != '"' && c != '\\' && !(html && (c == '<' || c == '>' || c == '&'));
      }
    }
  }
};
const PlainBytes kPlain;

}  // namespace

void JsonWriter::AppendEscaped(std::string* dst, std::string_view s, bool html_escape) {
  static const char kHex[] = "0123456789abcdef";
  const bool* plain = kPlain.table[html_escape ? 1 : 0];
  size_t i = 0;
  while (i < s.size()) {
    // Runs of bytes that need no escape are appended in one go.
    size_t j = i;
    while (j < s.size() && plain[static_cast<unsigned char>(s[j])]) ++j;
    if (j > i) {
      dst->append(s.data() + i, j - i);
      i = j;
      if (i == s.size()) break;
    }
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      if (c >= 0x20 && c != '"' && c != '\\' && !(html_escape && (c == '<' || c == '>' || c == '&'))) {
        dst->push_back(static_cast<char>(c));
      } else {
        switch (c) {
          case '"': dst->append("\\\""); break;
          case '\\': dst->append("\\\\"); break;
          case '\n': dst->append("\\n"); break;
          case '\r': dst->append("\\r"); break;
          case '\t': dst->append("\\t"); break;
          default:
            dst->append("\\u00");
            dst->push_back(kHex[c >> 4]);
            dst->push_back(kHex[c & 0xF]);
        }
      }
      ++i;
      continue;
    }
    // Validate one UTF-8 sequence.
    size_t n = 0;
    uint32_t cp = 0;
    if ((c & 0xE0) == 0xC0) { n = 2; cp = c & 0x1F; }
    else if ((c & 0xF0) == 0xE0) { n = 3; cp = c & 0x0F; }
    else if ((c & 0xF8) == 0xF0) { n = 4; cp = c & 0x07; }
    bool ok = n != 0 && i + n <= s.size();
    for (size_t k = 1; ok && k < n; ++k) {
      auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) ok = false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if (ok && ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
               cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)))
      ok = false;
    if (!ok) {
      dst->append("\xEF\xBF\xBD");  // U+FFFD, as Go does
      ++i;
      continue;
    }
    if (cp == 0x2028 || cp == 0x2029) {
      dst->append(cp == 0x2028 ? "\\u2028" : "\\u2029");
    } else {
      dst->append(s.substr(i, n));
    }
    i += n;
  }
}

std::string FormatFloatGo(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[400];
  auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed);
  std::string s(buf, r.ptr);
  // to_chars(fixed) without precision gives the shortest round-trip digits.
  if (s == "-0") return "0";
  return s;
}

}  // namespace skald::common
