#include "common/logql/lexer.h"

#include <optional>
#include <string>
#include <utility>

#include "common/labels.h"
#include "common/logql/go_format.h"

namespace skald::common::logql {

namespace {

struct Keyword {
  std::string_view word;
  Tok tok;
};

// Always keywords (Loki's `tokens` map), matched case-insensitively.
constexpr Keyword kKeywords[] = {
    {"by", Tok::kBy},           {"without", Tok::kWithout},       {"bool", Tok::kBool},
    {"offset", Tok::kOffset},   {"on", Tok::kOn},                 {"ignoring", Tok::kIgnoring},
    {"group_left", Tok::kGroupLeft}, {"group_right", Tok::kGroupRight}, {"or", Tok::kOr},
    {"and", Tok::kAnd},         {"unless", Tok::kUnless},         {"json", Tok::kJson},
    {"regexp", Tok::kRegexp},   {"logfmt", Tok::kLogfmt},         {"unpack", Tok::kUnpack},
    {"pattern", Tok::kPattern}, {"label_format", Tok::kLabelFmt}, {"line_format", Tok::kLineFmt},
    {"decolorize", Tok::kDecolorize}, {"drop", Tok::kDrop},       {"keep", Tok::kKeep},
    {"unwrap", Tok::kUnwrap},
};

// Keywords only when followed by `(` (Loki's `functionTokens`).
constexpr Keyword kFunctions[] = {
    {"rate", Tok::kRate},
    {"rate_counter", Tok::kRateCounter},
    {"count_over_time", Tok::kCountOverTime},
    {"bytes_rate", Tok::kBytesRate},
    {"bytes_over_time", Tok::kBytesOverTime},
    {"avg_over_time", Tok::kAvgOverTime},
    {"sum_over_time", Tok::kSumOverTime},
    {"min_over_time", Tok::kMinOverTime},
    {"max_over_time", Tok::kMaxOverTime},
    {"stdvar_over_time", Tok::kStdvarOverTime},
    {"stddev_over_time", Tok::kStddevOverTime},
    {"quantile_over_time", Tok::kQuantileOverTime},
    {"first_over_time", Tok::kFirstOverTime},
    {"last_over_time", Tok::kLastOverTime},
    {"absent_over_time", Tok::kAbsentOverTime},
    {"vector", Tok::kVector},
    {"sum", Tok::kSum},
    {"avg", Tok::kAvg},
    {"max", Tok::kMax},
    {"min", Tok::kMin},
    {"count", Tok::kCount},
    {"stddev", Tok::kStddev},
    {"stdvar", Tok::kStdvar},
    {"bottomk", Tok::kBottomk},
    {"topk", Tok::kTopk},
    {"sort", Tok::kSort},
    {"sort_desc", Tok::kSortDesc},
    {"label_replace", Tok::kLabelReplace},
    {"approx_topk", Tok::kApproxTopk},
    {"bytes", Tok::kBytesConv},
    {"duration", Tok::kDurationConv},
    {"duration_seconds", Tok::kDurationSecondsConv},
    {"ip", Tok::kIp},
};

struct TwoChar {
  std::string_view text;
  Tok tok;
};
constexpr TwoChar kTwoChar[] = {
    {"!=", Tok::kNeq},       {"=~", Tok::kRe},        {"!~", Tok::kNre},      {"!>", Tok::kNpa},
    {"|=", Tok::kPipeExact}, {"|~", Tok::kPipeMatch}, {"|>", Tok::kPipePattern},
    {"==", Tok::kCmpEq},     {">=", Tok::kGte},       {"<=", Tok::kLte},
};

Tok SingleCharTok(char c) {
  switch (c) {
    case ',': return Tok::kComma;
    case '.': return Tok::kDot;
    case '{': return Tok::kOpenBrace;
    case '}': return Tok::kCloseBrace;
    case '=': return Tok::kEq;
    case '|': return Tok::kPipe;
    case '(': return Tok::kOpenParen;
    case ')': return Tok::kCloseParen;
    case '[': return Tok::kOpenBracket;
    case ']': return Tok::kCloseBracket;
    case '+': return Tok::kAdd;
    case '-': return Tok::kSub;
    case '*': return Tok::kMul;
    case '/': return Tok::kDiv;
    case '%': return Tok::kMod;
    case '^': return Tok::kPow;
    case '>': return Tok::kGt;
    case '<': return Tok::kLt;
    default: return Tok::kIdentifier;
  }
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAsciiLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
// Non-ASCII bytes are treated as letters (Go accepts Unicode letters).
bool IsIdentStart(char c) { return IsAsciiLetter(c) || c == '_' || (c & 0x80) != 0; }
bool IsIdentChar(char c) { return IsIdentStart(c) || IsDigit(c); }
bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }
bool IsHex(char c) { return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string ToLower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = Lower(c);
  return out;
}

// Length of the UTF-8 sequence at s[i], or 0 when it is invalid.
size_t Utf8Len(std::string_view s, size_t i) {
  auto c = static_cast<unsigned char>(s[i]);
  size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return 0;
  }
  if (n == 2 && c < 0xC2) return 0;  // overlong
  return n;
}

// Longest unit suffix (`1h30m`, `2.5KiB`) the lexer tries after a number;
// longer runs are not durations or sizes. Bounds the look-ahead so inputs
// like `1.1.1.1...` lex in linear time.
constexpr size_t kMaxUnitSuffixBytes = 64;
// Longest `--flag` candidate looked at.
constexpr size_t kMaxFlagBytes = 16;

class Lexer {
 public:
  explicit Lexer(std::string_view src) : src_(src) {}

  std::vector<Token> Run() {
    std::vector<Token> out;
    if (src_.empty()) {
      out.push_back(Token{});  // EOF at (0, 0), as Go's scanner reports it
      return out;
    }
    if (Status s = CheckEncoding(); !s.ok()) {
      out.push_back(error_);
      return out;
    }
    while (true) {
      Token t = Next();
      bool done = t.kind == Tok::kEof || t.kind == Tok::kError;
      out.push_back(std::move(t));
      if (done) break;
    }
    return out;
  }

 private:
  // Go's scanner rejects invalid UTF-8 and NUL anywhere in the input.
  Status CheckEncoding() {
    int line = 1, col = 1;
    for (size_t i = 0; i < src_.size();) {
      size_t n = Utf8Len(src_, i);
      const char* msg = nullptr;
      if (n == 0) msg = "invalid UTF-8 encoding";
      if (src_[i] == '\0') msg = "invalid character NUL";
      if (msg != nullptr) {
        error_ = Token{Tok::kError, msg, 0, 0, line, col};
        return Status::InvalidArgument(msg);
      }
      if (src_[i] == '\n') {
        ++line;
        col = 1;
      } else {
        ++col;
      }
      i += n;
    }
    return Status::OK();
  }

  char Peek(size_t ahead = 0) const {
    return pos_ + ahead < src_.size() ? src_[pos_ + ahead] : '\0';
  }
  bool AtEnd(size_t ahead = 0) const { return pos_ + ahead >= src_.size(); }

  void Advance() {
    if (AtEnd()) return;
    size_t n = Utf8Len(src_, pos_);
    if (n == 0) n = 1;
    if (src_[pos_] == '\n') {
      ++line_;
      col_ = 1;
    } else {
      ++col_;
    }
    pos_ += n;
  }
  void AdvanceBytes(size_t bytes) {
    size_t end = pos_ + bytes;
    while (pos_ < end && !AtEnd()) Advance();
  }

  Token Make(Tok kind, std::string text, bool extended) const {
    Token t;
    t.kind = kind;
    t.text = std::move(text);
    t.line = extended ? 0 : start_line_;
    t.col = start_col_;
    return t;
  }
  Token Error(std::string msg, bool extended = false) const {
    return Make(Tok::kError, std::move(msg), extended);
  }

  // Skips white space and Go comments. Returns an error token text when a
  // block comment is not terminated.
  bool SkipSpaceAndComments(std::string* err) {
    while (!AtEnd()) {
      char c = Peek();
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
        Advance();
      } else if (c == '/' && Peek(1) == '/') {
        while (!AtEnd() && Peek() != '\n') Advance();
      } else if (c == '/' && Peek(1) == '*') {
        start_line_ = line_;
        start_col_ = col_;
        Advance();
        Advance();
        bool closed = false;
        while (!AtEnd()) {
          if (Peek() == '*' && Peek(1) == '/') {
            Advance();
            Advance();
            closed = true;
            break;
          }
          Advance();
        }
        if (!closed) {
          *err = "comment not terminated";
          return false;
        }
      } else {
        break;
      }
    }
    return true;
  }

  Token Next() {
    while (true) {
      std::string err;
      if (!SkipSpaceAndComments(&err)) return Error(err);
      start_line_ = line_;
      start_col_ = col_;
      if (AtEnd()) return Make(Tok::kEof, "", false);
      char c = Peek();
      if (c == '#') {
        while (!AtEnd() && Peek() != '\n') Advance();
        continue;
      }
      if (IsDigit(c) || (c == '.' && IsDigit(Peek(1)))) return LexNumber();
      if (c == '"') return LexString();
      if (c == '`') return LexRawString();
      if (c == '\'') return LexChar();
      if (c == '[') return LexRange();
      if (c == '-') {
        if (auto t = LexDashSpecial()) return std::move(*t);
      }
      if (IsIdentStart(c)) return LexWord();
      // Operators and other single characters.
      for (const auto& tc : kTwoChar) {
        if (c == tc.text[0] && Peek(1) == tc.text[1]) {
          Advance();
          Advance();
          return Make(tc.tok, std::string(tc.text), true);
        }
      }
      size_t n = Utf8Len(src_, pos_);
      std::string text(src_.substr(pos_, n == 0 ? 1 : n));
      Advance();
      return Make(SingleCharTok(c), text, false);
    }
  }

  // Go's scanNumber, then Loki's duration/bytes suffix rules.
  Token LexNumber() {
    size_t begin = pos_;
    std::string err;
    char prefix = 0;  // 0 decimal, '0' octal-ish, 'x', 'o', 'b'
    int base = 10;
    bool has_digits = false, has_sep = false, is_float = false;
    char invalid = 0;
    auto digits = [&](int b) {
      while (true) {
        char d = Peek();
        if (d == '_') {
          has_sep = true;
        } else if (b <= 10 ? IsDigit(d) : IsHex(d)) {
          has_digits = true;
          if (b < 10 && d >= '0' + b && invalid == 0) invalid = d;
        } else {
          break;
        }
        Advance();
      }
    };
    if (Peek() != '.') {
      if (Peek() == '0') {
        Advance();
        char l = Lower(Peek());
        if (l == 'x') {
          Advance();
          base = 16, prefix = 'x';
        } else if (l == 'o') {
          Advance();
          base = 8, prefix = 'o';
        } else if (l == 'b' && !IsSpace(Peek(1)) && !AtEnd(1)) {
          Advance();
          base = 2, prefix = 'b';
        } else {
          base = 8, prefix = '0';
          has_digits = true;
        }
      }
      digits(base);
      if (Peek() == '.') {
        Advance();
        is_float = true;
      }
    } else {
      Advance();
      is_float = true;
    }
    auto litname = [&] {
      switch (prefix) {
        case 'x': return std::string("hexadecimal literal");
        case 'o':
        case '0': return std::string("octal literal");
        case 'b': return std::string("binary literal");
        default: return std::string("decimal literal");
      }
    };
    if (is_float) {
      if (prefix == 'o' || prefix == 'b') err = "invalid radix point in " + litname();
      digits(base == 8 && prefix == '0' ? 10 : base);
    }
    if (!has_digits && err.empty()) err = litname() + " has no digits";
    char e = Lower(Peek());
    if (e == 'e' || e == 'p') {
      if (err.empty() && e == 'e' && prefix != 0 && prefix != '0') {
        err = std::string("'") + Peek() + "' exponent requires decimal mantissa";
      }
      if (err.empty() && e == 'p' && prefix != 'x') {
        err = std::string("'") + Peek() + "' exponent requires hexadecimal mantissa";
      }
      Advance();
      is_float = true;
      if (Peek() == '+' || Peek() == '-') Advance();
      bool exp_digits = false;
      while (IsDigit(Peek()) || Peek() == '_') {
        if (Peek() == '_') has_sep = true; else exp_digits = true;
        Advance();
      }
      if (!exp_digits && err.empty()) err = "exponent has no digits";
    } else if (prefix == 'x' && is_float && err.empty()) {
      err = "hexadecimal mantissa requires a 'p' exponent";
    }
    if (!is_float && invalid != 0 && err.empty()) {
      err = std::string("invalid digit '") + invalid + "' in " + litname();
    }
    std::string text(src_.substr(begin, pos_ - begin));
    if (has_sep && err.empty() && !ValidSeparators(text)) {
      err = "'_' must separate successive digits";
    }
    if (!err.empty()) return Error(err);
    if (auto t = TrySuffix(text)) return std::move(*t);
    return Make(Tok::kNumber, text, false);
  }

  // Go's invalidSep: every '_' must sit between digits (a base prefix counts).
  static bool ValidSeparators(std::string_view x) {
    char x1 = ' ', d = '.';
    size_t i = 0;
    if (x.size() >= 2 && x[0] == '0') {
      x1 = Lower(x[1]);
      if (x1 == 'x' || x1 == 'o' || x1 == 'b') {
        d = '0';
        i = 2;
      }
    }
    for (; i < x.size(); ++i) {
      char p = d;
      d = x[i];
      if (d == '_') {
        if (p != '0') return false;
      } else if (IsDigit(d) || (x1 == 'x' && IsHex(d))) {
        d = '0';
      } else {
        if (p == '_') return false;
        d = '.';
      }
    }
    return d != '_';
  }

  // Loki's tryScanDuration then tryScanBytes on the characters after a
  // number (or a lone '-'), up to the next space.
  std::optional<Token> TrySuffix(const std::string& number) {
    auto collect = [&](auto accept) {
      size_t p = pos_;
      while (p < src_.size() && !IsSpace(src_[p]) && p - pos_ <= kMaxUnitSuffixBytes) {
        if (src_[p] == '\xC2' && p + 1 < src_.size() && src_[p + 1] == '\xB5' && accept('u')) {
          p += 2;  // 'µ'
          continue;
        }
        if (!accept(src_[p])) break;
        ++p;
      }
      return p - pos_ > kMaxUnitSuffixBytes ? 0 : p - pos_;
    };
    size_t n = collect([](char c) {
      return IsDigit(c) || c == '.' || c == 'n' || c == 'u' || c == 'm' || c == 's' || c == 'h' ||
             c == 'd' || c == 'w' || c == 'y';
    });
    if (n > 0) {
      std::string text = number + std::string(src_.substr(pos_, n));
      if (auto d = ParseLogqlDuration(text); d.ok()) {
        AdvanceBytes(n);
        Token t = Make(Tok::kDuration, text, true);
        t.duration_ns = *d;
        return t;
      }
    }
    n = collect([](char c) {
      return IsDigit(c) || c == '.' || c == 'B' || c == 'i' || c == 'k' || c == 'K' || c == 'M' ||
             c == 'G' || c == 'T' || c == 'P';
    });
    if (n > 0) {
      std::string text = number + std::string(src_.substr(pos_, n));
      if (auto b = ParseHumanizeBytes(text); b.ok()) {
        AdvanceBytes(n);
        Token t = Make(Tok::kBytes, text, true);
        t.bytes = *b;
        return t;
      }
    }
    return std::nullopt;
  }

  // `--strict`, `--keep-empty`, or a negative duration such as `-5m`.
  std::optional<Token> LexDashSpecial() {
    if (Peek(1) == '-') {
      size_t p = pos_ + 1;
      while (p < src_.size() && (IsAsciiLetter(src_[p]) || src_[p] == '-') &&
             p - pos_ <= kMaxFlagBytes) {
        ++p;
      }
      std::string_view flag = src_.substr(pos_, p - pos_);
      if (flag == "--strict" || flag == "--keep-empty") {
        AdvanceBytes(flag.size());
        return Make(Tok::kParserFlag, std::string(flag), true);
      }
    }
    Advance();  // the '-'
    if (auto t = TrySuffix("-")) return t;
    // Not special: back up so the generic path lexes '-'.
    pos_ -= 1;
    col_ -= 1;
    return std::nullopt;
  }

  Token LexString() {
    size_t begin = pos_;
    Advance();
    while (true) {
      if (AtEnd() || Peek() == '\n') return Error("literal not terminated");
      char c = Peek();
      if (c == '"') break;
      if (c == '\\') {
        std::string err = ScanEscape('"');
        if (!err.empty()) return Error(err);
        continue;
      }
      Advance();
    }
    Advance();
    std::string_view body = src_.substr(begin + 1, pos_ - begin - 2);
    auto v = UnquoteGoString(body, '"');
    if (!v.ok()) return Error("invalid syntax");
    return Make(Tok::kString, std::move(v).value(), false);
  }

  // Validates one escape (Go's scanEscape); returns an error text or "".
  std::string ScanEscape(char quote) {
    Advance();  // backslash
    char c = Peek();
    auto digits = [&](int base, int n) {
      for (; n > 0; --n) {
        char d = Peek();
        bool ok = base == 8 ? (d >= '0' && d <= '7') : IsHex(d);
        if (!ok || AtEnd()) return std::string("invalid char escape");
        Advance();
      }
      return std::string();
    };
    switch (c) {
      case 'a': case 'b': case 'f': case 'n': case 'r': case 't': case 'v': case '\\':
        Advance();
        return "";
      case '0': case '1': case '2': case '3': case '4': case '5': case '6': case '7':
        return digits(8, 3);
      case 'x': Advance(); return digits(16, 2);
      case 'u': Advance(); return digits(16, 4);
      case 'U': Advance(); return digits(16, 8);
      default:
        if (c == quote && !AtEnd()) {
          Advance();
          return "";
        }
        return "invalid char escape";
    }
  }

  Token LexRawString() {
    size_t begin = pos_;
    Advance();
    while (!AtEnd() && Peek() != '`') Advance();
    if (AtEnd()) return Error("literal not terminated");
    Advance();
    return Make(Tok::kString, std::string(src_.substr(begin + 1, pos_ - begin - 2)), false);
  }

  // A Go char literal ('x'): Loki turns it into an IDENTIFIER token.
  Token LexChar() {
    size_t begin = pos_;
    Advance();
    int n = 0;
    while (true) {
      if (AtEnd() || Peek() == '\n') return Error("literal not terminated");
      if (Peek() == '\'') break;
      if (Peek() == '\\') {
        std::string err = ScanEscape('\'');
        if (!err.empty()) return Error(err);
      } else {
        Advance();
      }
      ++n;
    }
    Advance();
    if (n != 1) return Error("invalid char literal");
    return Make(Tok::kIdentifier, std::string(src_.substr(begin, pos_ - begin)), false);
  }

  // `[5m]`: everything up to `]` is a Prometheus duration.
  Token LexRange() {
    Advance();
    size_t begin = pos_;
    while (!AtEnd() && Peek() != ']') Advance();
    if (AtEnd()) return Error("missing closing ']' in duration", true);
    std::string_view body = src_.substr(begin, pos_ - begin);
    Advance();
    auto d = ParsePromModelDuration(body);
    if (!d.ok()) return Error(d.status().message(), true);
    Token t = Make(Tok::kRange, std::string(body), true);
    t.duration_ns = *d;
    return t;
  }

  // Identifiers and keywords, with Loki's function-word rule.
  Token LexWord() {
    size_t begin = pos_;
    while (!AtEnd() && IsIdentChar(Peek())) Advance();
    std::string text(src_.substr(begin, pos_ - begin));
    std::string lower = ToLower(text);
    for (const auto& f : kFunctions) {
      if (f.word == lower) {
        if (IsFunctionCall(pos_)) return Make(f.tok, text, false);
        return Make(Tok::kIdentifier, text, false);
      }
    }
    for (const auto& k : kKeywords) {
      if (k.word == lower) return Make(k.tok, text, false);
    }
    return Make(Tok::kIdentifier, text, false);
  }

  // Loki's isFunction: the next non-space text is `(`, or `by`/`without`
  // followed (after spaces) by `(`.
  bool IsFunctionCall(size_t p) const {
    auto skip = [&](size_t q) {
      while (q < src_.size() && IsSpace(src_[q])) ++q;
      return q;
    };
    p = skip(p);
    if (p >= src_.size()) return false;
    if (src_[p] == '(') return true;
    for (std::string_view kw : {std::string_view("by"), std::string_view("without")}) {
      if (p + kw.size() <= src_.size() && ToLower(src_.substr(p, kw.size())) == kw) {
        size_t q = skip(p + kw.size());
        return q < src_.size() && src_[q] == '(';
      }
    }
    return false;
  }

  std::string_view src_;
  size_t pos_ = 0;
  int line_ = 1;
  int col_ = 1;
  int start_line_ = 1;
  int start_col_ = 1;
  Token error_;
};

}  // namespace

std::vector<Token> Lex(std::string_view input) { return Lexer(input).Run(); }

}  // namespace skald::common::logql
