// Functions of the text/template subset: Go built-ins, Loki's and sprig's.
#include <re2/re2.h>
#include <simdjson.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <unordered_map>

#include "common/template.h"
#include "common/template_convert.h"
#include "common/time.h"

namespace skald::common {

std::string FormatGoLayout(const TemplateValue& t, std::string_view layout);  // template_time.cc

using V = TemplateValue;
using Args = std::vector<TemplateValue>;
using TemplateFn = Result<TemplateValue> (*)(const TemplateContext&, Args&);

namespace {

Status WrongArgs(size_t want, size_t got) {
  return Status::InvalidArgument("wrong number of args: want " + std::to_string(want) + " got " +
                                 std::to_string(got));
}
#define NEED(n) \
  if (a.size() != (n)) return WrongArgs((n), a.size())

std::string S(const V& v) { return v.kind == V::Kind::kNil ? std::string() : v.ToString(); }

// sprig toInt64 / toFloat64 (cast): strings parse, bools 0/1, floats truncate.
int64_t ToInt(const V& v) {
  switch (v.kind) {
    case V::Kind::kInt: return v.i;
    case V::Kind::kFloat: return static_cast<int64_t>(v.f);
    case V::Kind::kBool: return v.b ? 1 : 0;
    case V::Kind::kString: {
      try {
        size_t used = 0;
        int64_t r = std::stoll(v.s, &used, 0);
        if (used == v.s.size()) return r;
      } catch (...) {
      }
      auto f = ParseGoFloat(v.s);
      return f.ok() ? static_cast<int64_t>(f.value()) : 0;
    }
    default: return 0;
  }
}
double ToFloat(const V& v) {
  switch (v.kind) {
    case V::Kind::kInt: return static_cast<double>(v.i);
    case V::Kind::kFloat: return v.f;
    case V::Kind::kBool: return v.b ? 1 : 0;
    case V::Kind::kString: {
      auto f = ParseGoFloat(v.s);
      return f.ok() ? f.value() : 0;
    }
    default: return 0;
  }
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}
std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}
std::string ReplaceAll(std::string s, const std::string& from, const std::string& to, int64_t n = -1) {
  if (from.empty()) return s;
  size_t p = 0;
  while (n != 0 && (p = s.find(from, p)) != std::string::npos) {
    s.replace(p, from.size(), to);
    p += to.size();
    if (n > 0) --n;
  }
  return s;
}
std::string TrimSet(std::string s, const std::string& set, bool left, bool right) {
  size_t b = 0, e = s.size();
  if (left) while (b < e && set.find(s[b]) != std::string::npos) ++b;
  if (right) while (e > b && set.find(s[e - 1]) != std::string::npos) --e;
  return s.substr(b, e - b);
}
const std::string kSpace = " \t\n\r\v\f";

// Compares two values as Go's eq/lt do for basic kinds.
Result<int> Cmp(const V& x, const V& y) {
  bool xn = x.kind == V::Kind::kInt || x.kind == V::Kind::kFloat;
  bool yn = y.kind == V::Kind::kInt || y.kind == V::Kind::kFloat;
  if (xn && yn) {
    if (x.kind == V::Kind::kInt && y.kind == V::Kind::kInt) return x.i < y.i ? -1 : x.i > y.i ? 1 : 0;
    double a = ToFloat(x), b = ToFloat(y);
    return a < b ? -1 : a > b ? 1 : 0;
  }
  if (x.kind == V::Kind::kString && y.kind == V::Kind::kString) return x.s < y.s ? -1 : x.s > y.s ? 1 : 0;
  if (x.kind == V::Kind::kBool && y.kind == V::Kind::kBool) return x.b == y.b ? 0 : 1;
  if (x.kind == V::Kind::kNil && y.kind == V::Kind::kNil) return 0;
  return Status::InvalidArgument("incompatible types for comparison");
}

Result<V> FnEq(const TemplateContext&, Args& a) {
  if (a.size() < 2) return Status::InvalidArgument("missing argument for comparison");
  for (size_t k = 1; k < a.size(); ++k) {
    auto c = Cmp(a[0], a[k]);
    if (!c.ok()) return c.status();
    if (c.value() == 0) return V::Bool(true);
  }
  return V::Bool(false);
}
template <int kOp>  // 0 ne, 1 lt, 2 le, 3 gt, 4 ge
Result<V> FnCmp(const TemplateContext&, Args& a) {
  NEED(2);
  auto c = Cmp(a[0], a[1]);
  if (!c.ok()) return c.status();
  int r = c.value();
  bool out = kOp == 0 ? r != 0 : kOp == 1 ? r < 0 : kOp == 2 ? r <= 0 : kOp == 3 ? r > 0 : r >= 0;
  return V::Bool(out);
}
Result<V> FnAnd(const TemplateContext&, Args& a) {
  for (const V& v : a) if (!v.Truthy()) return v;
  return a.empty() ? V::Nil() : a.back();
}
Result<V> FnOr(const TemplateContext&, Args& a) {
  for (const V& v : a) if (v.Truthy()) return v;
  return a.empty() ? V::Nil() : a.back();
}
Result<V> FnNot(const TemplateContext&, Args& a) { NEED(1); return V::Bool(!a[0].Truthy()); }
Result<V> FnLen(const TemplateContext&, Args& a) {
  NEED(1);
  const V& v = a[0];
  if (v.kind == V::Kind::kString) return V::Int(static_cast<int64_t>(v.s.size()));
  if (v.kind == V::Kind::kList) return V::Int(static_cast<int64_t>(v.list->size()));
  if (v.kind == V::Kind::kMap) return V::Int(static_cast<int64_t>(v.map->size()));
  return Status::InvalidArgument("len of type " + v.ToString());
}
Result<V> FnIndex(const TemplateContext& ctx, Args& a) {
  if (a.empty()) return WrongArgs(1, 0);
  V v = a[0];
  for (size_t k = 1; k < a.size(); ++k) {
    if (v.kind == V::Kind::kList) {
      int64_t i = ToInt(a[k]);
      if (i < 0 || i >= static_cast<int64_t>(v.list->size())) return Status::InvalidArgument("index out of range");
      v = (*v.list)[static_cast<size_t>(i)];
    } else if (v.kind == V::Kind::kMap) {
      auto it = v.map->find(S(a[k]));
      v = it == v.map->end() ? V::Nil() : it->second;
    } else if (v.kind == V::Kind::kRoot) {
      auto s = ctx.lookup ? ctx.lookup(S(a[k])) : std::nullopt;
      v = V::Str(std::string(s.value_or("")));
    } else {
      return Status::InvalidArgument("can't index item of type " + v.ToString());
    }
  }
  return v;
}
Result<V> FnPrint(const TemplateContext&, Args& a) {
  // fmt.Sprint: spaces between operands when neither is a string.
  std::string out;
  for (size_t k = 0; k < a.size(); ++k) {
    if (k > 0 && a[k].kind != V::Kind::kString && a[k - 1].kind != V::Kind::kString) out.push_back(' ');
    a[k].AppendTo(&out);
  }
  return V::Str(out);
}
Result<V> FnPrintln(const TemplateContext&, Args& a) {
  std::string out;
  for (size_t k = 0; k < a.size(); ++k) {
    if (k) out.push_back(' ');
    a[k].AppendTo(&out);
  }
  out.push_back('\n');
  return V::Str(out);
}
Result<V> FnPrintf(const TemplateContext&, Args& a) {
  if (a.empty()) return WrongArgs(1, 0);
  const std::string f = S(a[0]);
  std::string out;
  size_t arg = 1;
  for (size_t i = 0; i < f.size(); ++i) {
    if (f[i] != '%') {
      out.push_back(f[i]);
      continue;
    }
    size_t j = i + 1;
    std::string spec = "%";
    while (j < f.size() && std::string_view("-+ #0123456789.").find(f[j]) != std::string_view::npos) spec.push_back(f[j++]);
    if (j >= f.size()) {
      out += "%!(NOVERB)";
      break;
    }
    char verb = f[j];
    i = j;
    if (verb == '%') {
      out.push_back('%');
      continue;
    }
    if (arg >= a.size()) {
      out += std::string("%!") + verb + "(MISSING)";
      continue;
    }
    const V& v = a[arg++];
    char buf[512];
    switch (verb) {
      case 'd':
        std::snprintf(buf, sizeof(buf), (spec + "lld").c_str(), static_cast<long long>(ToInt(v)));
        out += buf;
        break;
      case 'f': case 'e': case 'g': case 'F': case 'E': case 'G':
        std::snprintf(buf, sizeof(buf), (spec + verb).c_str(), ToFloat(v));
        out += buf;
        break;
      case 'x': case 'X': case 'o':
        if (v.kind == V::Kind::kString) {
          for (unsigned char c : v.s) {
            std::snprintf(buf, sizeof(buf), verb == 'X' ? "%02X" : "%02x", c);
            out += buf;
          }
        } else {
          std::snprintf(buf, sizeof(buf), (spec + "ll" + verb).c_str(), static_cast<long long>(ToInt(v)));
          out += buf;
        }
        break;
      case 'q': {
        out.push_back('"');
        for (char c : S(v)) {
          if (c == '"' || c == '\\') out.push_back('\\');
          out.push_back(c);
        }
        out.push_back('"');
        break;
      }
      case 't':
        out += v.Truthy() ? "true" : "false";
        break;
      default: {  // s, v
        std::string s = v.ToString();
        std::snprintf(buf, sizeof(buf), (spec + "s").c_str(), s.c_str());
        out += s.size() < 400 ? std::string(buf) : s;
      }
    }
  }
  return V::Str(out);
}

// ---- strings -------------------------------------------------------------
Result<V> FnLower(const TemplateContext&, Args& a) { NEED(1); return V::Str(Lower(S(a[0]))); }
Result<V> FnUpper(const TemplateContext&, Args& a) { NEED(1); return V::Str(Upper(S(a[0]))); }
Result<V> FnTitle(const TemplateContext&, Args& a) {
  NEED(1);
  std::string s = S(a[0]);
  bool start = true;
  for (char& c : s) {
    if (std::isspace(static_cast<unsigned char>(c))) { start = true; continue; }
    if (start) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    start = false;
  }
  return V::Str(s);
}
Result<V> FnTrunc(const TemplateContext&, Args& a) {
  NEED(2);
  int64_t n = ToInt(a[0]);
  std::string s = S(a[1]);
  if (n < 0) return V::Str(-n < static_cast<int64_t>(s.size()) ? s.substr(s.size() + n) : s);
  return V::Str(n < static_cast<int64_t>(s.size()) ? s.substr(0, n) : s);
}
Result<V> FnSubstr(const TemplateContext&, Args& a) {
  NEED(3);
  int64_t st = ToInt(a[0]), en = ToInt(a[1]);
  std::string s = S(a[2]);
  int64_t n = static_cast<int64_t>(s.size());
  if (st < 0) return V::Str(s.substr(0, std::clamp<int64_t>(en, 0, n)));
  if (en < 0 || en > n) return V::Str(st < n ? s.substr(st) : "");
  if (st > en) return V::Str("");
  return V::Str(s.substr(st, en - st));
}
Result<V> FnContains(const TemplateContext&, Args& a) { NEED(2); return V::Bool(S(a[1]).find(S(a[0])) != std::string::npos); }
Result<V> FnHasPrefix(const TemplateContext&, Args& a) { NEED(2); return V::Bool(S(a[1]).rfind(S(a[0]), 0) == 0); }
Result<V> FnHasSuffix(const TemplateContext&, Args& a) {
  NEED(2);
  std::string s = S(a[1]), x = S(a[0]);
  return V::Bool(s.size() >= x.size() && s.compare(s.size() - x.size(), x.size(), x) == 0);
}
Result<V> FnIndent(const TemplateContext&, Args& a) {
  NEED(2);
  std::string pad(static_cast<size_t>(std::max<int64_t>(0, ToInt(a[0]))), ' ');
  return V::Str(pad + ReplaceAll(S(a[1]), "\n", "\n" + pad));
}
Result<V> FnNindent(const TemplateContext& c, Args& a) {
  auto r = FnIndent(c, a);
  if (!r.ok()) return r;
  return V::Str("\n" + r.value().s);
}
Result<V> FnReplace(const TemplateContext&, Args& a) { NEED(3); return V::Str(ReplaceAll(S(a[2]), S(a[0]), S(a[1]))); }
Result<V> FnRepeat(const TemplateContext&, Args& a) {
  NEED(2);
  constexpr int64_t kMaxRepeatBytes = 1 << 20;
  std::string s = S(a[1]), out;
  int64_t n = ToInt(a[0]);
  if (n * static_cast<int64_t>(s.size()) > kMaxRepeatBytes) return Status::InvalidArgument("repeat count too large");
  for (int64_t k = 0; k < n; ++k) out += s;
  return V::Str(out);
}
Result<V> FnTrim(const TemplateContext&, Args& a) { NEED(1); return V::Str(TrimSet(S(a[0]), kSpace, true, true)); }
Result<V> FnTrimAll(const TemplateContext&, Args& a) { NEED(2); return V::Str(TrimSet(S(a[1]), S(a[0]), true, true)); }
Result<V> FnTrimPrefixSprig(const TemplateContext&, Args& a) {
  NEED(2);
  std::string s = S(a[1]), p = S(a[0]);
  return V::Str(s.rfind(p, 0) == 0 ? s.substr(p.size()) : s);
}
Result<V> FnTrimSuffixSprig(const TemplateContext&, Args& a) {
  NEED(2);
  std::string s = S(a[1]), x = S(a[0]);
  bool has = s.size() >= x.size() && s.compare(s.size() - x.size(), x.size(), x) == 0;
  return V::Str(has ? s.substr(0, s.size() - x.size()) : s);
}
// Go strings.* argument order (s first).
Result<V> FnGoReplace(const TemplateContext&, Args& a) { NEED(4); return V::Str(ReplaceAll(S(a[0]), S(a[1]), S(a[2]), ToInt(a[3]))); }
Result<V> FnGoTrim(const TemplateContext&, Args& a) { NEED(2); return V::Str(TrimSet(S(a[0]), S(a[1]), true, true)); }
Result<V> FnGoTrimLeft(const TemplateContext&, Args& a) { NEED(2); return V::Str(TrimSet(S(a[0]), S(a[1]), true, false)); }
Result<V> FnGoTrimRight(const TemplateContext&, Args& a) { NEED(2); return V::Str(TrimSet(S(a[0]), S(a[1]), false, true)); }
Result<V> FnGoTrimPrefix(const TemplateContext& c, Args& a) { NEED(2); std::swap(a[0], a[1]); return FnTrimPrefixSprig(c, a); }
Result<V> FnGoTrimSuffix(const TemplateContext& c, Args& a) { NEED(2); std::swap(a[0], a[1]); return FnTrimSuffixSprig(c, a); }
Result<V> FnDefault(const TemplateContext&, Args& a) {
  if (a.empty() || a.size() > 2) return WrongArgs(2, a.size());
  if (a.size() == 1) return a[0];
  return a[1].Truthy() ? a[1] : a[0];
}
Result<V> FnAlignLeft(const TemplateContext&, Args& a) {
  NEED(2);
  int64_t n = ToInt(a[0]);
  std::string s = S(a[1]);
  if (n < 0) n = 0;
  if (static_cast<int64_t>(s.size()) >= n) return V::Str(s.substr(0, n));
  return V::Str(s + std::string(n - s.size(), ' '));
}
Result<V> FnAlignRight(const TemplateContext&, Args& a) {
  NEED(2);
  int64_t n = ToInt(a[0]);
  std::string s = S(a[1]);
  if (n < 0) n = 0;
  if (static_cast<int64_t>(s.size()) >= n) return V::Str(s.substr(s.size() - n));
  return V::Str(std::string(n - s.size(), ' ') + s);
}

// ---- base64 / url --------------------------------------------------------
constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
Result<V> FnB64Enc(const TemplateContext&, Args& a) {
  NEED(1);
  std::string s = S(a[0]), out;
  size_t i = 0;
  for (; i + 2 < s.size(); i += 3) {
    uint32_t n = (uint8_t(s[i]) << 16) | (uint8_t(s[i + 1]) << 8) | uint8_t(s[i + 2]);
    for (int k = 3; k >= 0; --k) out.push_back(kB64[(n >> (6 * k)) & 63]);
  }
  if (i + 1 == s.size()) {
    uint32_t n = uint8_t(s[i]) << 16;
    out += {kB64[(n >> 18) & 63], kB64[(n >> 12) & 63], '=', '='};
  } else if (i + 2 == s.size()) {
    uint32_t n = (uint8_t(s[i]) << 16) | (uint8_t(s[i + 1]) << 8);
    out += {kB64[(n >> 18) & 63], kB64[(n >> 12) & 63], kB64[(n >> 6) & 63], '='};
  }
  return V::Str(out);
}
Result<V> FnB64Dec(const TemplateContext&, Args& a) {
  NEED(1);
  // Loki's b64dec: tolerates missing padding; returns the error text on failure.
  std::string s = S(a[0]), out;
  while (!s.empty() && s.back() == '=') s.pop_back();
  uint32_t acc = 0;
  int bits = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    const char* p = std::strchr(kB64, s[i]);
    if (s[i] == '\0' || p == nullptr) {
      return V::Str("illegal base64 data at input byte " + std::to_string(i));
    }
    acc = (acc << 6) | static_cast<uint32_t>(p - kB64);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  return V::Str(out);
}
Result<V> FnUrlEncode(const TemplateContext&, Args& a) {
  NEED(1);
  std::string out;
  for (unsigned char c : S(a[0])) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else if (c == ' ') {
      out.push_back('+');
    } else {
      char buf[4];
      std::snprintf(buf, sizeof(buf), "%%%02X", c);
      out += buf;
    }
  }
  return V::Str(out);
}
Result<V> FnUrlDecode(const TemplateContext&, Args& a) {
  NEED(1);
  std::string s = S(a[0]), out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out.push_back(' ');
    } else if (s[i] == '%') {
      if (i + 2 >= s.size() || !std::isxdigit(static_cast<unsigned char>(s[i + 1])) ||
          !std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
        return Status::InvalidArgument("invalid URL escape \"" + s.substr(i, 3) + "\"");
      }
      out.push_back(static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return V::Str(out);
}

// ---- regex ---------------------------------------------------------------
Result<std::unique_ptr<RE2>> Compile(const std::string& re) {
  RE2::Options o;
  o.set_log_errors(false);
  o.set_max_mem(8 << 20);
  auto r = std::make_unique<RE2>(re, o);
  if (!r->ok()) return Status::InvalidArgument("error parsing regexp: " + r->error());
  return r;
}
// Go's Regexp.Expand template ($1, ${1}, ${name}) -> RE2 rewrite (\1).
std::string GoReplToRe2(const std::string& repl, const RE2& re, bool literal) {
  std::string out;
  for (size_t i = 0; i < repl.size(); ++i) {
    char c = repl[i];
    if (c == '\\') {
      out += "\\\\";
      continue;
    }
    if (literal || c != '$' || i + 1 >= repl.size()) {
      out.push_back(c);
      continue;
    }
    if (repl[i + 1] == '$') {
      out.push_back('$');
      ++i;
      continue;
    }
    std::string name;
    size_t j = i + 1;
    if (repl[j] == '{') {
      size_t e = repl.find('}', j);
      if (e == std::string::npos) { out.push_back(c); continue; }
      name = repl.substr(j + 1, e - j - 1);
      j = e + 1;
    } else {
      while (j < repl.size() && (std::isalnum(static_cast<unsigned char>(repl[j])) || repl[j] == '_')) name.push_back(repl[j++]);
    }
    if (name.empty()) { out.push_back(c); continue; }
    int idx = -1;
    if (std::all_of(name.begin(), name.end(), [](char ch) { return std::isdigit(static_cast<unsigned char>(ch)); })) {
      idx = std::stoi(name);
    } else {
      auto it = re.NamedCapturingGroups().find(name);
      if (it != re.NamedCapturingGroups().end()) idx = it->second;
    }
    if (idx >= 0 && idx <= re.NumberOfCapturingGroups() && idx <= 9) out += "\\" + std::to_string(idx);
    i = j - 1;
  }
  return out;
}
Result<V> RegexReplace(Args& a, bool literal) {
  if (a.size() != 3) return WrongArgs(3, a.size());
  auto re = Compile(S(a[0]));
  if (!re.ok()) return re.status();
  std::string s = S(a[1]);
  RE2::GlobalReplace(&s, *re.value(), GoReplToRe2(S(a[2]), *re.value(), literal));
  return V::Str(s);
}
Result<V> FnRegexReplaceAll(const TemplateContext&, Args& a) { return RegexReplace(a, false); }
Result<V> FnRegexReplaceAllLiteral(const TemplateContext&, Args& a) { return RegexReplace(a, true); }
Result<V> FnCount(const TemplateContext&, Args& a) {
  NEED(2);
  auto re = Compile(S(a[0]));
  if (!re.ok()) return re.status();
  std::string s = S(a[1]);
  re2::StringPiece in(s), m;
  int64_t n = 0;
  size_t pos = 0;
  while (pos <= s.size() && re.value()->Match(in, pos, s.size(), RE2::UNANCHORED, &m, 1)) {
    ++n;
    size_t end = static_cast<size_t>(m.data() - s.data()) + m.size();
    pos = m.empty() ? end + 1 : end;
  }
  return V::Int(n);
}

// ---- conversion / math ---------------------------------------------------
Result<V> FnBytes(const TemplateContext&, Args& a) {
  NEED(1);
  auto r = ParseHumanBytes(S(a[0]));
  if (!r.ok()) return r.status();
  return V::Float(static_cast<double>(r.value()));
}
Result<V> FnDuration(const TemplateContext&, Args& a) {
  NEED(1);
  auto r = ParseGoDuration(S(a[0]));
  if (!r.ok()) return r.status();
  return V::Float(static_cast<double>(r.value()) / 1e9);
}
Result<V> FnInt(const TemplateContext&, Args& a) { NEED(1); return V::Int(ToInt(a[0])); }
Result<V> FnFloat64(const TemplateContext&, Args& a) { NEED(1); return V::Float(ToFloat(a[0])); }
template <int kOp>  // 0 add 1 sub 2 mul 3 div 4 mod
Result<V> FnIntMath(const TemplateContext&, Args& a) {
  if (a.size() < 2 && kOp != 0 && kOp != 2) return WrongArgs(2, a.size());
  int64_t r = a.empty() ? 0 : ToInt(a[0]);
  for (size_t k = 1; k < a.size(); ++k) {
    int64_t v = ToInt(a[k]);
    if ((kOp == 3 || kOp == 4) && v == 0) return Status::InvalidArgument("integer divide by zero");
    r = kOp == 0 ? r + v : kOp == 1 ? r - v : kOp == 2 ? r * v : kOp == 3 ? r / v : r % v;
  }
  return V::Int(r);
}
template <int kOp>
Result<V> FnFloatMath(const TemplateContext&, Args& a) {
  if (a.empty()) return WrongArgs(2, 0);
  double r = ToFloat(a[0]);
  for (size_t k = 1; k < a.size(); ++k) {
    double v = ToFloat(a[k]);
    r = kOp == 0 ? r + v : kOp == 1 ? r - v : kOp == 2 ? r * v : r / v;
  }
  return V::Float(r);
}
template <bool kMax>
Result<V> FnMinMax(const TemplateContext&, Args& a) {
  if (a.empty()) return WrongArgs(1, 0);
  int64_t r = ToInt(a[0]);
  for (const V& v : a) r = kMax ? std::max(r, ToInt(v)) : std::min(r, ToInt(v));
  return V::Int(r);
}
template <bool kMax>
Result<V> FnMinMaxF(const TemplateContext&, Args& a) {
  if (a.empty()) return WrongArgs(1, 0);
  double r = ToFloat(a[0]);
  for (const V& v : a) r = kMax ? std::max(r, ToFloat(v)) : std::min(r, ToFloat(v));
  return V::Float(r);
}
Result<V> FnCeil(const TemplateContext&, Args& a) { NEED(1); return V::Float(std::ceil(ToFloat(a[0]))); }
Result<V> FnFloor(const TemplateContext&, Args& a) { NEED(1); return V::Float(std::floor(ToFloat(a[0]))); }
Result<V> FnRound(const TemplateContext&, Args& a) {
  if (a.empty() || a.size() > 3) return WrongArgs(2, a.size());
  double p = a.size() > 1 ? std::pow(10.0, static_cast<double>(ToInt(a[1]))) : 1;
  double x = ToFloat(a[0]) * p;
  return V::Float((x < 0 ? -std::floor(-x + 0.5) : std::floor(x + 0.5)) / p);
}

// ---- time ----------------------------------------------------------------
Result<V> AsTime(const V& v) {
  if (v.kind == V::Kind::kTime) return v;
  if (v.kind == V::Kind::kInt) return V::Time(v.i * 1000000000);
  return Status::InvalidArgument("expected a time value");
}
Result<V> FnLine(const TemplateContext& c, Args& a) { NEED(0); return V::Str(std::string(c.line)); }
Result<V> FnTimestamp(const TemplateContext& c, Args& a) { NEED(0); return V::Time(c.ts_ns); }
Result<V> FnNow(const TemplateContext& c, Args& a) {
  NEED(0);
  int64_t now = c.now_ns != 0 ? c.now_ns
                              : std::chrono::duration_cast<std::chrono::nanoseconds>(
                                    std::chrono::system_clock::now().time_since_epoch()).count();
  return V::Time(now);
}
Result<V> FnDate(const TemplateContext&, Args& a) {
  NEED(2);
  auto t = AsTime(a[1]);
  if (!t.ok()) return t.status();
  return V::Str(FormatGoLayout(t.value(), S(a[0])));
}
// Parses `value` with Go layout `layout` (numeric fields only, UTC).
Result<V> ParseWithLayout(const std::string& layout, const std::string& value) {
  // The common case: RFC3339-like layouts. Map the layout onto ParseRFC3339
  // when it is RFC3339, else parse the numeric fields positionally.
  int Y = 1970, M = 1, D = 1, h = 0, m = 0, s = 0;
  int64_t frac = 0;
  size_t i = 0, j = 0;
  auto num = [&](int width, int* out) {
    if (j + width > value.size()) return false;
    int v = 0;
    for (int k = 0; k < width; ++k) {
      char ch = value[j + k];
      if (ch < '0' || ch > '9') return false;
      v = v * 10 + (ch - '0');
    }
    *out = v;
    j += width;
    return true;
  };
  auto has = [&](std::string_view p) { return std::string_view(layout).substr(i, p.size()) == p; };
  while (i < layout.size()) {
    bool ok = true;
    if (has("2006")) { ok = num(4, &Y); i += 4; }
    else if (has("01")) { ok = num(2, &M); i += 2; }
    else if (has("02")) { ok = num(2, &D); i += 2; }
    else if (has("15")) { ok = num(2, &h); i += 2; }
    else if (has("04")) { ok = num(2, &m); i += 2; }
    else if (has("05")) {
      ok = num(2, &s);
      i += 2;
      if (ok && j < value.size() && value[j] == '.' && !(i < layout.size() && layout[i] == '.')) {
        ++j;
        int digits = 0;
        while (j < value.size() && std::isdigit(static_cast<unsigned char>(value[j])) && digits < 9) {
          frac = frac * 10 + (value[j++] - '0');
          ++digits;
        }
        for (; digits < 9; ++digits) frac *= 10;
      }
    } else if (has("Z07:00")) {
      if (j < value.size() && value[j] == 'Z') ++j;
      else j += 6;
      i += 6;
    } else {
      ok = j < value.size() && value[j] == layout[i];
      ++i;
      ++j;
    }
    if (!ok) return Status::InvalidArgument("parsing time \"" + value + "\" as \"" + layout + "\": cannot parse");
  }
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02dZ", Y, M, D, h, m, s);
  auto r = ParseRFC3339(buf);
  if (!r.ok()) return r.status();
  return V::Time(r.value() + frac);
}
Result<V> FnToDate(const TemplateContext&, Args& a) {
  NEED(2);
  auto r = ParseWithLayout(S(a[0]), S(a[1]));
  if (!r.ok()) return V::Nil();  // sprig yields the zero time; we yield nil
  return r;
}
Result<V> FnToDateInZone(const TemplateContext&, Args& a) {
  NEED(3);
  auto r = ParseWithLayout(S(a[0]), S(a[2]));
  if (!r.ok()) return V::Nil();
  return r;  // zones other than UTC are not in the tz database here: UTC
}
Result<V> FnUnixEpoch(const TemplateContext&, Args& a) {
  NEED(1);
  auto t = AsTime(a[0]);
  if (!t.ok()) return t.status();
  int64_t ns = t.value().i;
  return V::Str(std::to_string(ns >= 0 ? ns / 1000000000 : -((-ns + 999999999) / 1000000000)));
}
Result<V> FnUnixEpochMillis(const TemplateContext&, Args& a) {
  NEED(1);
  auto t = AsTime(a[0]);
  if (!t.ok()) return t.status();
  return V::Str(std::to_string(t.value().i / 1000000));
}
Result<V> FnUnixEpochNanos(const TemplateContext&, Args& a) {
  NEED(1);
  auto t = AsTime(a[0]);
  if (!t.ok()) return t.status();
  return V::Str(std::to_string(t.value().i));
}
Result<V> FnUnixToTime(const TemplateContext&, Args& a) {
  NEED(1);
  std::string s = S(a[0]);
  int64_t v = 0;
  try {
    size_t used = 0;
    v = std::stoll(s, &used);
    if (used != s.size()) throw 1;
  } catch (...) {
    return Status::InvalidArgument("unable to parse as epoch: " + s);
  }
  switch (s.size()) {
    case 5: return V::Time(v * 86400LL * 1000000000LL);  // days
    case 10: return V::Time(v * 1000000000LL);
    case 13: return V::Time(v * 1000000LL);
    case 16: return V::Time(v * 1000LL);
    case 19: return V::Time(v);
    default: return Status::InvalidArgument("unable to parse time '" + s + "'");
  }
}

// ---- json ----------------------------------------------------------------
Result<V> FromDom(simdjson::dom::element e, int depth) {
  if (depth > Template::kMaxDepth) return Status::InvalidArgument("json too deep");
  switch (e.type()) {
    case simdjson::dom::element_type::OBJECT: {
      V v;
      v.kind = V::Kind::kMap;
      v.map = std::make_shared<std::map<std::string, V>>();
      simdjson::dom::object obj;
      if (e.get_object().get(obj)) return V::Nil();
      for (auto field : obj) {
        auto c = FromDom(field.value, depth + 1);
        if (!c.ok()) return c;
        (*v.map)[std::string(field.key)] = std::move(c.value());
      }
      return v;
    }
    case simdjson::dom::element_type::ARRAY: {
      V v;
      v.kind = V::Kind::kList;
      v.list = std::make_shared<std::vector<V>>();
      simdjson::dom::array arr;
      if (e.get_array().get(arr)) return V::Nil();
      for (auto el : arr) {
        auto c = FromDom(el, depth + 1);
        if (!c.ok()) return c;
        v.list->push_back(std::move(c.value()));
      }
      return v;
    }
    case simdjson::dom::element_type::STRING: return V::Str(std::string(e.get_string().value_unsafe()));
    case simdjson::dom::element_type::INT64: return V::Float(static_cast<double>(e.get_int64().value_unsafe()));
    case simdjson::dom::element_type::UINT64: return V::Float(static_cast<double>(e.get_uint64().value_unsafe()));
    case simdjson::dom::element_type::DOUBLE: return V::Float(e.get_double().value_unsafe());
    case simdjson::dom::element_type::BOOL: return V::Bool(e.get_bool().value_unsafe());
    default: return V::Nil();
  }
}
Result<V> FnFromJson(const TemplateContext&, Args& a) {
  NEED(1);
  thread_local simdjson::dom::parser parser;
  std::string s = S(a[0]);
  simdjson::dom::element e;
  if (parser.parse(s).get(e) != simdjson::SUCCESS) return V::Nil();  // sprig: no error
  return FromDom(e, 0);
}

const std::unordered_map<std::string_view, TemplateFn>& Table() {
  static const auto* t = new std::unordered_map<std::string_view, TemplateFn>{
      {"eq", FnEq}, {"ne", FnCmp<0>}, {"lt", FnCmp<1>}, {"le", FnCmp<2>}, {"gt", FnCmp<3>}, {"ge", FnCmp<4>},
      {"and", FnAnd}, {"or", FnOr}, {"not", FnNot}, {"len", FnLen}, {"index", FnIndex},
      {"print", FnPrint}, {"printf", FnPrintf}, {"println", FnPrintln},
      {"__line__", FnLine}, {"__timestamp__", FnTimestamp},
      {"ToLower", FnLower}, {"ToUpper", FnUpper}, {"Replace", FnGoReplace}, {"Trim", FnGoTrim},
      {"TrimLeft", FnGoTrimLeft}, {"TrimRight", FnGoTrimRight}, {"TrimPrefix", FnGoTrimPrefix},
      {"TrimSuffix", FnGoTrimSuffix}, {"TrimSpace", FnTrim},
      {"lower", FnLower}, {"upper", FnUpper}, {"title", FnTitle}, {"trunc", FnTrunc}, {"substr", FnSubstr},
      {"contains", FnContains}, {"hasPrefix", FnHasPrefix}, {"hasSuffix", FnHasSuffix},
      {"indent", FnIndent}, {"nindent", FnNindent}, {"replace", FnReplace}, {"repeat", FnRepeat},
      {"trim", FnTrim}, {"trimAll", FnTrimAll}, {"trimSuffix", FnTrimSuffixSprig},
      {"trimPrefix", FnTrimPrefixSprig}, {"b64enc", FnB64Enc}, {"b64dec", FnB64Dec}, {"default", FnDefault},
      {"regexReplaceAll", FnRegexReplaceAll}, {"regexReplaceAllLiteral", FnRegexReplaceAllLiteral},
      {"count", FnCount}, {"urlencode", FnUrlEncode}, {"urldecode", FnUrlDecode},
      {"bytes", FnBytes}, {"duration", FnDuration}, {"duration_seconds", FnDuration},
      {"int", FnInt}, {"float64", FnFloat64},
      {"add", FnIntMath<0>}, {"sub", FnIntMath<1>}, {"mul", FnIntMath<2>}, {"div", FnIntMath<3>},
      {"mod", FnIntMath<4>}, {"addf", FnFloatMath<0>}, {"subf", FnFloatMath<1>}, {"mulf", FnFloatMath<2>},
      {"divf", FnFloatMath<3>}, {"max", FnMinMax<true>}, {"min", FnMinMax<false>},
      {"maxf", FnMinMaxF<true>}, {"minf", FnMinMaxF<false>}, {"ceil", FnCeil}, {"floor", FnFloor},
      {"round", FnRound}, {"date", FnDate}, {"toDate", FnToDate}, {"now", FnNow},
      {"unixEpoch", FnUnixEpoch}, {"unixEpochMillis", FnUnixEpochMillis},
      {"unixEpochNanos", FnUnixEpochNanos}, {"toDateInZone", FnToDateInZone},
      {"unixToTime", FnUnixToTime}, {"alignLeft", FnAlignLeft}, {"alignRight", FnAlignRight},
      {"fromJson", FnFromJson},
  };
  return *t;
}

}  // namespace

bool TemplateFunctionExists(std::string_view name) { return Table().count(name) > 0; }

TemplateFn FindTemplateFunction(std::string_view name) { return Table().at(name); }

}  // namespace skald::common
