#include "common/logfmt.h"

#include <cstdint>

namespace skald::common {

namespace {

bool HasRuneError(std::string_view s) {
  // Detects invalid UTF-8 (decoded as U+FFFD by Go) and a literal U+FFFD.
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    int n = (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
    if (n == 0 || i + n > s.size()) return true;
    uint32_t cp = c & (0xff >> (n + 1));
    for (int k = 1; k < n; ++k) {
      unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xc0) != 0x80) return true;
      cp = (cp << 6) | (cc & 0x3f);
    }
    if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
        (cp >= 0xd800 && cp <= 0xdfff) || cp == 0xfffd) {
      return true;
    }
    i += n;
  }
  return false;
}

void AppendUtf8(std::string* out, uint32_t cp) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xc0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xe0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else {
    out->push_back(static_cast<char>(0xf0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3f)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  }
}

int Hex4(std::string_view s, size_t i) {
  if (i + 4 > s.size()) return -1;
  int v = 0;
  for (size_t k = i; k < i + 4; ++k) {
    char c = s[k];
    v <<= 4;
    if (c >= '0' && c <= '9') v |= c - '0';
    else if (c >= 'a' && c <= 'f') v |= c - 'a' + 10;
    else if (c >= 'A' && c <= 'F') v |= c - 'A' + 10;
    else return -1;
  }
  return v;
}

}  // namespace

bool UnquoteJsonString(std::string_view q, std::string* out) {
  out->clear();
  if (q.size() < 2 || q.front() != '"' || q.back() != '"') return false;
  std::string_view s = q.substr(1, q.size() - 2);
  for (size_t i = 0; i < s.size();) {
    char c = s[i];
    if (c == '"') return false;
    if (c != '\\') {
      out->push_back(c);
      ++i;
      continue;
    }
    if (i + 1 >= s.size()) return false;
    char e = s[i + 1];
    i += 2;
    switch (e) {
      case '"': case '\\': case '/': case '\'': out->push_back(e); break;
      case 'b': out->push_back('\b'); break;
      case 'f': out->push_back('\f'); break;
      case 'n': out->push_back('\n'); break;
      case 'r': out->push_back('\r'); break;
      case 't': out->push_back('\t'); break;
      case 'u': {
        int v = Hex4(s, i);
        if (v < 0) return false;
        i += 4;
        uint32_t cp = static_cast<uint32_t>(v);
        if (cp >= 0xd800 && cp < 0xdc00) {
          int lo = (i + 1 < s.size() && s[i] == '\\' && s[i + 1] == 'u') ? Hex4(s, i + 2) : -1;
          if (lo >= 0xdc00 && lo < 0xe000) {
            cp = 0x10000 + ((cp - 0xd800) << 10) + (static_cast<uint32_t>(lo) - 0xdc00);
            i += 6;
          } else {
            cp = 0xfffd;
          }
        } else if (cp >= 0xdc00 && cp < 0xe000) {
          cp = 0xfffd;
        }
        AppendUtf8(out, cp);
        break;
      }
      default:
        return false;
    }
  }
  return true;
}

void LogfmtDecoder::Reset(std::string_view line) {
  line_ = line;
  pos_ = 0;
  err_.clear();
  key_ = {};
  value_ = {};
}

void LogfmtDecoder::SyntaxError(std::string_view msg) {
  err_ = "logfmt syntax error at pos " + std::to_string(pos_ + 1) + " : ";
  err_.append(msg);
}

void LogfmtDecoder::UnexpectedByte(char c) {
  std::string m = "unexpected '";
  if (c == '\'') m += "\\'";
  else if (c == '\\') m += "\\\\";
  else m.push_back(c);
  m += "'";
  SyntaxError(m);
}

bool LogfmtDecoder::SkipValue() {
  while (pos_ < line_.size() && static_cast<unsigned char>(line_[pos_]) > ' ') ++pos_;
  return false;
}

bool LogfmtDecoder::ScanKeyval() {
  key_ = {};
  value_ = {};
  const std::string_view line = line_;
  // Garbage: skip spaces and control bytes.
  while (pos_ < line.size() && static_cast<unsigned char>(line[pos_]) <= ' ') ++pos_;
  if (pos_ >= line.size()) return false;

  // Key.
  size_t start = pos_;
  bool multibyte = false;
  for (; pos_ < line.size(); ++pos_) {
    unsigned char c = static_cast<unsigned char>(line[pos_]);
    if (c == '=') {
      if (pos_ > start) {
        key_ = line.substr(start, pos_ - start);
        if (multibyte && HasRuneError(key_)) {
          SyntaxError("invalid key");
          return SkipValue();
        }
      }
      if (key_.data() == nullptr) {
        UnexpectedByte('=');
        return SkipValue();
      }
      goto equal;
    }
    if (c == '"') {
      UnexpectedByte('"');
      return SkipValue();
    }
    if (c <= ' ') {
      key_ = line.substr(start, pos_ - start);
      if (multibyte && HasRuneError(key_)) {
        SyntaxError("invalid key");
        return false;
      }
      return true;
    }
    if (c >= 0x80) multibyte = true;
  }
  key_ = line.substr(start);
  if (multibyte && HasRuneError(key_)) {
    SyntaxError("invalid key");
    return false;
  }
  return true;

equal:
  ++pos_;
  if (pos_ >= line.size()) return true;
  if (static_cast<unsigned char>(line[pos_]) <= ' ') return true;
  if (line[pos_] == '"') goto qvalue;
  start = pos_;
  for (; pos_ < line.size(); ++pos_) {
    unsigned char c = static_cast<unsigned char>(line[pos_]);
    if (c == '=' || c == '"') {
      UnexpectedByte(static_cast<char>(c));
      return SkipValue();
    }
    if (c <= ' ') {
      value_ = line.substr(start, pos_ - start);
      return true;
    }
  }
  value_ = line.substr(start);
  return true;

qvalue: {
  bool has_esc = false, esc = false;
  start = pos_;
  for (size_t p = pos_ + 1; p < line.size(); ++p) {
    char c = line[p];
    if (esc) {
      esc = false;
    } else if (c == '\\') {
      has_esc = esc = true;
    } else if (c == '"') {
      pos_ = p + 1;
      if (has_esc) {
        if (!UnquoteJsonString(line.substr(start, pos_ - start), &unescaped_)) {
          SyntaxError("invalid quoted value");
          return false;
        }
        value_ = unescaped_;
      } else {
        value_ = line.substr(start + 1, pos_ - start - 2);
      }
      return true;
    }
  }
  pos_ = line.size();
  SyntaxError("unterminated quoted value");
  return false;
}
}

}  // namespace skald::common
