#include "common/template_convert.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <limits>

#include "common/labels.h"

namespace skald::common {

namespace {

Status FloatError(std::string_view s, std::string_view why) {
  std::string msg = "strconv.ParseFloat: parsing ";
  AppendGoQuoted(&msg, s);
  msg += ": ";
  msg.append(why);
  return Status::InvalidArgument(msg);
}

bool EqualFold(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

}  // namespace

Result<double> ParseGoFloat(std::string_view s) {
  std::string_view body = s;
  bool neg = false;
  if (!body.empty() && (body[0] == '+' || body[0] == '-')) {
    neg = body[0] == '-';
    body.remove_prefix(1);
  }
  if (EqualFold(body, "inf") || EqualFold(body, "infinity")) {
    return neg ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
  }
  if (EqualFold(body, "nan") && s.size() == 3) return std::numeric_limits<double>::quiet_NaN();
  if (body.empty()) return FloatError(s, "invalid syntax");
  // Only digits, '.', exponent, '_' (with base prefix) and hex forms are Go
  // syntax; reject what strtod would accept beyond that (spaces, "nan(...)").
  bool hex = body.size() > 2 && body[0] == '0' && (body[1] == 'x' || body[1] == 'X');
  for (char c : body) {
    bool ok = (c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-' ||
              (hex && ((c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == 'x' || c == 'X' ||
                       c == 'p' || c == 'P'));
    if (!ok) return FloatError(s, "invalid syntax");
  }
  if (hex && body.find_first_of("pP") == std::string_view::npos) return FloatError(s, "invalid syntax");
  std::string buf(s);
  char* end = nullptr;
  errno = 0;
  double v = std::strtod(buf.c_str(), &end);
  if (end != buf.c_str() + buf.size()) return FloatError(s, "invalid syntax");
  if (errno == ERANGE && std::isinf(v)) return FloatError(s, "value out of range");
  return v;
}

Result<uint64_t> ParseHumanBytes(std::string_view s) {
  size_t last = 0;
  bool comma = false;
  while (last < s.size() && ((s[last] >= '0' && s[last] <= '9') || s[last] == '.' || s[last] == ',')) {
    comma = comma || s[last] == ',';
    ++last;
  }
  std::string num(s.substr(0, last));
  if (comma) {
    std::string t;
    for (char c : num) {
      if (c != ',') t.push_back(c);
    }
    num = t;
  }
  auto f = ParseGoFloat(num);
  if (!f.ok()) return f.status();
  std::string_view extra = s.substr(last);
  while (!extra.empty() && (extra.front() == ' ' || extra.front() == '\t')) extra.remove_prefix(1);
  while (!extra.empty() && (extra.back() == ' ' || extra.back() == '\t')) extra.remove_suffix(1);
  std::string unit;
  for (char c : extra) unit.push_back((c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c);
  struct U {
    const char* name;
    double mult;
  };
  static const U kUnits[] = {
      {"", 1},         {"b", 1},
      {"k", 1e3},      {"kb", 1e3},   {"ki", 1024.0},           {"kib", 1024.0},
      {"m", 1e6},      {"mb", 1e6},   {"mi", 1048576.0},        {"mib", 1048576.0},
      {"g", 1e9},      {"gb", 1e9},   {"gi", 1073741824.0},     {"gib", 1073741824.0},
      {"t", 1e12},     {"tb", 1e12},  {"ti", 1099511627776.0},  {"tib", 1099511627776.0},
      {"p", 1e15},     {"pb", 1e15},  {"pi", 1125899906842624.0}, {"pib", 1125899906842624.0},
      {"e", 1e18},     {"eb", 1e18},  {"ei", 1152921504606846976.0}, {"eib", 1152921504606846976.0},
  };
  for (const U& u : kUnits) {
    if (unit == u.name) {
      double v = f.value() * u.mult;
      if (v >= 18446744073709551615.0) return Status::InvalidArgument("too large: " + std::string(s));
      return static_cast<uint64_t>(v);
    }
  }
  return Status::InvalidArgument("unhandled size name: " + unit);
}

}  // namespace skald::common
