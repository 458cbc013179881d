#include "common/labels.h"

#include <xxhash.h>

#include <algorithm>

namespace skald::common {

Labels::Labels(std::vector<Label> pairs) {
  std::erase_if(pairs, [](const Label& l) { return l.value.empty(); });
  auto by_name = [](const Label& a, const Label& b) { return a.name < b.name; };
  // Most label sets arrive sorted (built from sorted ones); stable_sort
  // would still allocate its buffer.
  if (!std::is_sorted(pairs.begin(), pairs.end(), by_name)) {
    std::stable_sort(pairs.begin(), pairs.end(), by_name);
  }
  pairs_ = std::move(pairs);
}

std::optional<std::string_view> Labels::Get(std::string_view name) const {
  auto it = std::lower_bound(pairs_.begin(), pairs_.end(), name,
                             [](const Label& l, std::string_view n) { return l.name < n; });
  if (it != pairs_.end() && it->name == name) return std::string_view(it->value);
  return std::nullopt;
}

std::optional<std::string_view> Labels::FindDuplicateName() const {
  for (size_t i = 1; i < pairs_.size(); ++i) {
    if (pairs_[i].name == pairs_[i - 1].name) return std::string_view(pairs_[i].name);
  }
  return std::nullopt;
}

std::string Labels::ToString() const {
  size_t n = 2;
  for (const auto& p : pairs_) n += p.name.size() + p.value.size() + 5;
  std::string out;
  out.reserve(n);
  out += '{';
  for (size_t i = 0; i < pairs_.size(); ++i) {
    if (i) out += ", ";
    out += pairs_[i].name;
    out += '=';
    AppendGoQuoted(&out, pairs_[i].value);
  }
  out += '}';
  return out;
}

uint64_t FingerprintOf(std::string_view bytes) { return XXH3_64bits(bytes.data(), bytes.size()); }

uint64_t Labels::Fingerprint() const { return FingerprintOf(ToString()); }

bool IsValidLabelName(std::string_view name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    bool digit = c >= '0' && c <= '9';
    if (!alpha && !(digit && i > 0)) return false;
  }
  return true;
}

namespace {

// Length of the valid UTF-8 sequence at s[i], or 0 when invalid.
size_t Utf8SeqLen(std::string_view s, size_t i) {
  auto b = static_cast<unsigned char>(s[i]);
  size_t n;
  uint32_t cp;
  if (b < 0x80) return 1;
  if ((b & 0xE0) == 0xC0) { n = 2; cp = b & 0x1F; }
  else if ((b & 0xF0) == 0xE0) { n = 3; cp = b & 0x0F; }
  else if ((b & 0xF8) == 0xF0) { n = 4; cp = b & 0x07; }
  else return 0;
  if (i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    auto c = static_cast<unsigned char>(s[i + k]);
    if ((c & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (c & 0x3F);
  }
  if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
      cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
    return 0;
  return n;
}

const char kHex[] = "0123456789abcdef";

void AppendUtf8(std::string* dst, uint32_t cp) {
  if (cp < 0x80) {
    dst->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    dst->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    dst->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    dst->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    dst->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    dst->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    dst->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    dst->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    dst->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    dst->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

int HexVal(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

void AppendGoQuoted(std::string* dst, std::string_view s) {
  dst->push_back('"');
  for (size_t i = 0; i < s.size();) {
    // A run of printable ASCII that needs no escape goes in one append (label
    // values are almost all such runs; this builds every stream fingerprint).
    size_t j = i;
    while (j < s.size()) {
      const auto b = static_cast<unsigned char>(s[j]);
      if (b < 0x20 || b >= 0x7F || b == '"' || b == '\\') break;
      ++j;
    }
    if (j > i) {
      dst->append(s.data() + i, j - i);
      i = j;
      if (i == s.size()) break;
    }
    auto c = static_cast<unsigned char>(s[i]);
    switch (c) {
      case '"': *dst += "\\\""; ++i; continue;
      case '\\': *dst += "\\\\"; ++i; continue;
      case '\n': *dst += "\\n"; ++i; continue;
      case '\t': *dst += "\\t"; ++i; continue;
      case '\r': *dst += "\\r"; ++i; continue;
      case '\a': *dst += "\\a"; ++i; continue;
      case '\b': *dst += "\\b"; ++i; continue;
      case '\f': *dst += "\\f"; ++i; continue;
      case '\v': *dst += "\\v"; ++i; continue;
      default: break;
    }
    if (c < 0x20 || c == 0x7F) {
      *dst += "\\x";
      dst->push_back(kHex[c >> 4]);
      dst->push_back(kHex[c & 0xF]);
      ++i;
      continue;
    }
    size_t n = Utf8SeqLen(s, i);
    if (n == 0) {
      *dst += "\\x";
      dst->push_back(kHex[c >> 4]);
      dst->push_back(kHex[c & 0xF]);
      ++i;
      continue;
    }
    dst->append(s.substr(i, n));
    i += n;
  }
  dst->push_back('"');
}

Result<std::string> UnquoteGoString(std::string_view body, char quote) {
  std::string out;
  out.reserve(body.size());
  for (size_t i = 0; i < body.size(); ++i) {
    char c = body[i];
    if (c != '\\') {
      out.push_back(c);
      continue;
    }
    if (++i >= body.size()) return Status::InvalidArgument("invalid syntax");
    char e = body[i];
    switch (e) {
      case 'a': out.push_back('\a'); break;
      case 'b': out.push_back('\b'); break;
      case 'f': out.push_back('\f'); break;
      case 'n': out.push_back('\n'); break;
      case 'r': out.push_back('\r'); break;
      case 't': out.push_back('\t'); break;
      case 'v': out.push_back('\v'); break;
      case '\\': out.push_back('\\'); break;
      case '\'':
      case '"':
        if (e != quote) return Status::InvalidArgument("invalid syntax");
        out.push_back(e);
        break;
      case 'x': {
        if (i + 2 >= body.size()) return Status::InvalidArgument("invalid syntax");
        int h = HexVal(body[i + 1]), l = HexVal(body[i + 2]);
        if (h < 0 || l < 0) return Status::InvalidArgument("invalid syntax");
        out.push_back(static_cast<char>(h * 16 + l));
        i += 2;
        break;
      }
      case 'u':
      case 'U': {
        size_t n = e == 'u' ? 4 : 8;
        if (i + n >= body.size()) return Status::InvalidArgument("invalid syntax");
        uint32_t cp = 0;
        for (size_t k = 1; k <= n; ++k) {
          int v = HexVal(body[i + k]);
          if (v < 0) return Status::InvalidArgument("invalid syntax");
          cp = cp * 16 + static_cast<uint32_t>(v);
        }
        if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
          return Status::InvalidArgument("invalid syntax");
        AppendUtf8(&out, cp);
        i += n;
        break;
      }
      default:
        if (e >= '0' && e <= '7') {
          if (i + 2 >= body.size()) return Status::InvalidArgument("invalid syntax");
          int v = 0;
          for (size_t k = 0; k < 3; ++k) {
            char d = body[i + k];
            if (d < '0' || d > '7') return Status::InvalidArgument("invalid syntax");
            v = v * 8 + (d - '0');
          }
          if (v > 255) return Status::InvalidArgument("invalid syntax");
          out.push_back(static_cast<char>(v));
          i += 2;
          break;
        }
        return Status::InvalidArgument("invalid syntax");
    }
  }
  return out;
}

namespace {

class LabelParser {
 public:
  explicit LabelParser(std::string_view s) : s_(s) {}

  Result<Labels> Parse() {
    std::vector<Label> out;
    SkipSpace();
    if (!Eat('{')) return Error("unexpected " + Describe() + ", expected \"{\"");
    SkipSpace();
    if (Eat('}')) return Finish(std::move(out));
    while (true) {
      SkipSpace();
      size_t start = pos_;
      while (pos_ < s_.size() && IsNameChar(s_[pos_], pos_ == start)) ++pos_;
      if (pos_ == start) return Error("unexpected " + Describe() + " in label set, expected identifier");
      std::string name(s_.substr(start, pos_ - start));
      SkipSpace();
      if (!Eat('=')) return Error("unexpected " + Describe() + " in label set, expected \"=\"");
      SkipSpace();
      auto value = ParseString();
      if (!value.ok()) return value.status();
      out.push_back({std::move(name), std::move(value).value()});
      SkipSpace();
      if (Eat(',')) {
        SkipSpace();
        if (Eat('}')) return Finish(std::move(out));
        continue;
      }
      if (Eat('}')) return Finish(std::move(out));
      return Error("unexpected " + Describe() + " in label set, expected \",\" or \"}\"");
    }
  }

 private:
  Result<Labels> Finish(std::vector<Label> out) {
    SkipSpace();
    if (pos_ != s_.size()) return Error("unexpected " + Describe() + ", expected end of input");
    return Labels(std::move(out));
  }

  Result<std::string> ParseString() {
    if (pos_ >= s_.size()) return Error("unexpected end of input, expected string");
    char q = s_[pos_];
    if (q != '"' && q != '\'' && q != '`') return Error("unexpected " + Describe() + ", expected string");
    size_t start = ++pos_;
    while (pos_ < s_.size() && s_[pos_] != q) {
      if (s_[pos_] == '\\' && q != '`') ++pos_;
      else if (s_[pos_] == '\n' && q != '`') return Error("unterminated quoted string");
      ++pos_;
    }
    if (pos_ >= s_.size()) return Error("unterminated quoted string");
    std::string_view body = s_.substr(start, pos_ - start);
    ++pos_;
    if (q == '`') return std::string(body);
    auto r = UnquoteGoString(body, q);
    if (!r.ok()) return Error("invalid escape sequence in quoted string");
    return r;
  }

  static bool IsNameChar(char c, bool first) {
    bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    return alpha || (!first && c >= '0' && c <= '9');
  }
  void SkipSpace() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r')) ++pos_;
  }
  bool Eat(char c) {
    if (pos_ < s_.size() && s_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  std::string Describe() const {
    if (pos_ >= s_.size()) return "end of input";
    std::string d = "\"";
    d.push_back(s_[pos_]);
    return d + "\"";
  }
  Status Error(const std::string& msg) const {
    return Status::InvalidArgument("1:" + std::to_string(pos_ + 1) + ": parse error: " + msg);
  }

  std::string_view s_;
  size_t pos_ = 0;
};

}  // namespace

Result<Labels> ParseLabels(std::string_view text) { return LabelParser(text).Parse(); }

}  // namespace skald::common
