#include "common/logql/go_format.h"

#include "common/template_convert.h"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>

#include "common/labels.h"
#include "common/time.h"

namespace skald::common::logql {

namespace {

constexpr int64_t kMilli = 1'000'000;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string ToLower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = Lower(c);
  return out;
}

Status FloatSyntaxError(std::string_view s) {
  return Status::InvalidArgument("strconv.ParseFloat: parsing " + GoQuote(s) + ": invalid syntax");
}

// Decimal float syntax accepted by Go: [+-] digits [. digits] [(e|E) [+-] digits],
// with at least one mantissa digit.
bool IsGoDecimalFloat(std::string_view s) {
  size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  size_t digits = 0;
  while (i < s.size() && IsDigit(s[i])) ++i, ++digits;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && IsDigit(s[i])) ++i, ++digits;
  }
  if (digits == 0) return false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    size_t exp = 0;
    while (i < s.size() && IsDigit(s[i])) ++i, ++exp;
    if (exp == 0) return false;
  }
  return i == s.size();
}

// Hexadecimal float: [+-] 0x hexdigits [. hexdigits] (p|P) [+-] digits.
bool IsGoHexFloat(std::string_view s) {
  size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  if (s.size() < i + 2 || s[i] != '0' || Lower(s[i + 1]) != 'x') return false;
  i += 2;
  auto is_hex = [](char c) { return IsDigit(c) || (Lower(c) >= 'a' && Lower(c) <= 'f'); };
  size_t digits = 0;
  while (i < s.size() && is_hex(s[i])) ++i, ++digits;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && is_hex(s[i])) ++i, ++digits;
  }
  if (digits == 0 || i >= s.size() || Lower(s[i]) != 'p') return false;
  ++i;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  size_t exp = 0;
  while (i < s.size() && IsDigit(s[i])) ++i, ++exp;
  return exp > 0 && i == s.size();
}

}  // namespace

std::string GoQuote(std::string_view s) {
  std::string out;
  AppendGoQuoted(&out, s);
  return out;
}

Result<double> ParseGoFloat(std::string_view s) {
  std::string_view body = s;
  bool neg = false;
  if (!body.empty() && (body[0] == '+' || body[0] == '-')) {
    neg = body[0] == '-';
    body.remove_prefix(1);
  }
  std::string lower = ToLower(body);
  if (lower == "inf" || lower == "infinity") {
    return neg ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
  }
  if (lower == "nan") return std::numeric_limits<double>::quiet_NaN();
  if (!IsGoDecimalFloat(s) && !IsGoHexFloat(s)) return FloatSyntaxError(s);
  std::string copy(s);
  char* end = nullptr;
  double v = std::strtod(copy.c_str(), &end);
  if (end != copy.c_str() + copy.size()) return FloatSyntaxError(s);
  if (std::isinf(v)) {
    return Status::InvalidArgument("strconv.ParseFloat: parsing " + GoQuote(s) +
                                   ": value out of range");
  }
  return v;
}

std::string FormatGoFloatV(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v == 0) return std::signbit(v) ? "-0" : "0";
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
  std::string_view sci(buf, static_cast<size_t>(r.ptr - buf));
  // sci looks like "-1.2345e+06": split sign, digits and exponent.
  std::string out;
  if (sci.front() == '-') {
    out.push_back('-');
    sci.remove_prefix(1);
  }
  size_t e = sci.find('e');
  std::string digits;
  for (char c : sci.substr(0, e)) {
    if (c != '.') digits.push_back(c);
  }
  int exp = std::atoi(std::string(sci.substr(e + 1)).c_str());
  if (exp < -4 || exp >= 6) {
    out.push_back(digits[0]);
    if (digits.size() > 1) {
      out.push_back('.');
      out.append(digits, 1, std::string::npos);
    }
    out.push_back('e');
    out.push_back(exp < 0 ? '-' : '+');
    int a = exp < 0 ? -exp : exp;
    if (a < 10) out.push_back('0');
    out += std::to_string(a);
    return out;
  }
  if (exp < 0) {
    out += "0.";
    out.append(static_cast<size_t>(-exp - 1), '0');
    out += digits;
    return out;
  }
  size_t int_len = static_cast<size_t>(exp) + 1;
  if (digits.size() <= int_len) {
    out += digits;
    out.append(int_len - digits.size(), '0');
  } else {
    out.append(digits, 0, int_len);
    out.push_back('.');
    out.append(digits, int_len, std::string::npos);
  }
  return out;
}

Result<int64_t> ParsePromModelDuration(std::string_view s) {
  struct Unit {
    std::string_view name;
    uint64_t mult;
    int pos;
  };
  static constexpr uint64_t kMs = kMilli;
  static constexpr Unit kUnits[] = {
      {"ms", kMs, 7},
      {"s", 1000 * kMs, 6},
      {"m", 60 * 1000 * kMs, 5},
      {"h", 3600 * 1000 * kMs, 4},
      {"d", 24ULL * 3600 * 1000 * kMs, 3},
      {"w", 7ULL * 24 * 3600 * 1000 * kMs, 2},
      {"y", 365ULL * 24 * 3600 * 1000 * kMs, 1},
  };
  if (s == "0") return int64_t{0};
  if (s.empty()) return Status::InvalidArgument("empty duration string");
  const std::string orig(s);
  auto invalid = [&] {
    return Status::InvalidArgument("not a valid duration string: " + GoQuote(orig));
  };
  uint64_t dur = 0;
  int last_pos = 0;
  while (!s.empty()) {
    if (!IsDigit(s[0])) return invalid();
    size_t i = 0;
    while (i < s.size() && IsDigit(s[i])) ++i;
    uint64_t v = 0;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + i, v);
    if (ec != std::errc()) return invalid();
    s.remove_prefix(i);
    i = 0;
    while (i < s.size() && !IsDigit(s[i])) ++i;
    if (i == 0) return invalid();
    std::string_view u = s.substr(0, i);
    s.remove_prefix(i);
    const Unit* unit = nullptr;
    for (const auto& k : kUnits) {
      if (k.name == u) unit = &k;
    }
    if (unit == nullptr) {
      return Status::InvalidArgument("unknown unit " + GoQuote(u) + " in duration " + GoQuote(orig));
    }
    if (unit->pos <= last_pos) return invalid();
    last_pos = unit->pos;
    if (v > (1ULL << 63) / unit->mult) return Status::InvalidArgument("duration out of range");
    dur += v * unit->mult;
    if (dur > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return Status::InvalidArgument("duration out of range");
    }
  }
  return static_cast<int64_t>(dur);
}

std::string FormatPromModelDuration(int64_t ns) {
  int64_t ms = ns / kMilli;
  if (ms == 0) return "0s";
  std::string r;
  auto f = [&](const char* unit, int64_t mult, bool exact) {
    if (exact && ms % mult != 0) return;
    int64_t v = ms / mult;
    if (v > 0) {
      r += std::to_string(v);
      r += unit;
      ms -= v * mult;
    }
  };
  constexpr int64_t kDay = 1000LL * 60 * 60 * 24;
  f("y", kDay * 365, true);
  f("w", kDay * 7, true);
  f("d", kDay, false);
  f("h", 1000LL * 60 * 60, false);
  f("m", 1000LL * 60, false);
  f("s", 1000, false);
  f("ms", 1, false);
  return r;
}

Result<int64_t> ParseLogqlDuration(std::string_view s) {
  auto prom = ParsePromModelDuration(s);
  if (prom.ok()) return prom;
  return ParseGoDuration(s);
}

Result<uint64_t> ParseHumanizeBytes(std::string_view s) {
  // One implementation of go-humanize's ParseBytes, shared with the template
  // functions and label filters.
  return ParseHumanBytes(s);
}

std::string FormatHumanizeBytes(uint64_t v) {
  if (v < 10) return std::to_string(v) + "B";
  static constexpr const char* kSizes[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB"};
  double s = static_cast<double>(v);
  double e = std::floor(std::log(s) / std::log(1000.0));
  double val = std::floor(s / std::pow(1000.0, e) * 10 + 0.5) / 10;
  char buf[64];
  std::snprintf(buf, sizeof buf, val < 10 ? "%.1f%s" : "%.0f%s", val,
                kSizes[static_cast<int>(e)]);
  return buf;
}

}  // namespace skald::common::logql
