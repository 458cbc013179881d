#include "common/time.h"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>

namespace skald::common {

namespace {

// Days since 1970-01-01 for a civil date (Howard Hinnant's algorithm).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void CivilFromDays(int64_t z, int64_t* y, unsigned* m, unsigned* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t yy = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = yy + (*m <= 2);
}

bool ReadDigits(std::string_view s, size_t* pos, size_t n, int* out) {
  if (*pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = 0; i < n; ++i) {
    char c = s[*pos + i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *pos += n;
  *out = v;
  return true;
}

Status TimeParseError(std::string_view s) {
  return Status::InvalidArgument("parsing time \"" + std::string(s) +
                                 "\" as \"2006-01-02T15:04:05Z07:00\": cannot parse");
}

bool FloorDivMod(int64_t a, int64_t b, int64_t* q, int64_t* r) {
  *q = a / b;
  *r = a % b;
  if (*r < 0) {
    *r += b;
    --*q;
  }
  return true;
}

std::string Pad(int64_t v, int width) {
  std::string s = std::to_string(v);
  while (static_cast<int>(s.size()) < width) s.insert(s.begin(), '0');
  return s;
}

std::string FormatDate(int64_t ns, int64_t* frac_out) {
  int64_t secs, frac;
  FloorDivMod(ns, kNanosPerSecond, &secs, &frac);
  int64_t days, sod;
  FloorDivMod(secs, 86400, &days, &sod);
  int64_t y;
  unsigned m, d;
  CivilFromDays(days, &y, &m, &d);
  *frac_out = frac;
  return Pad(y, 4) + "-" + Pad(m, 2) + "-" + Pad(d, 2) + "T" + Pad(sod / 3600, 2) + ":" +
         Pad(sod / 60 % 60, 2) + ":" + Pad(sod % 60, 2);
}

std::string TrimmedFraction(int64_t frac) {
  if (frac == 0) return "";
  std::string f = Pad(frac, 9);
  while (!f.empty() && f.back() == '0') f.pop_back();
  return "." + f;
}

struct Unit {
  std::string_view name;
  int64_t ns;
};

}  // namespace

Result<int64_t> ParseRFC3339(std::string_view s) {
  size_t p = 0;
  int y, mo, d, h, mi, se;
  if (!ReadDigits(s, &p, 4, &y) || p >= s.size() || s[p++] != '-' || !ReadDigits(s, &p, 2, &mo) ||
      p >= s.size() || s[p++] != '-' || !ReadDigits(s, &p, 2, &d) || p >= s.size() ||
      (s[p] != 'T' && s[p] != 't') || !ReadDigits(s, &++p, 2, &h) || p >= s.size() ||
      s[p++] != ':' || !ReadDigits(s, &p, 2, &mi) || p >= s.size() || s[p++] != ':' ||
      !ReadDigits(s, &p, 2, &se))
    return TimeParseError(s);
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 59) {
    return Status::InvalidArgument("parsing time \"" + std::string(s) + "\": field out of range");
  }
  int64_t frac = 0;
  if (p < s.size() && (s[p] == '.' || s[p] == ',')) {
    ++p;
    size_t start = p;
    int64_t scale = 100000000;
    while (p < s.size() && s[p] >= '0' && s[p] <= '9') {
      frac += (s[p] - '0') * scale;
      scale /= 10;
      ++p;
    }
    if (p == start || p - start > 9) return TimeParseError(s);
  }
  if (p >= s.size()) return TimeParseError(s);
  int64_t offset = 0;
  if (s[p] == 'Z' || s[p] == 'z') {
    ++p;
  } else if (s[p] == '+' || s[p] == '-') {
    int sign = s[p] == '-' ? -1 : 1;
    ++p;
    int oh, om;
    if (!ReadDigits(s, &p, 2, &oh) || p >= s.size() || s[p++] != ':' || !ReadDigits(s, &p, 2, &om))
      return TimeParseError(s);
    offset = sign * (oh * 3600 + om * 60);
  } else {
    return TimeParseError(s);
  }
  if (p != s.size()) return TimeParseError(s);
  int64_t days = DaysFromCivil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  int64_t secs = days * 86400 + h * 3600 + mi * 60 + se - offset;
  return secs * kNanosPerSecond + frac;
}

std::string FormatRFC3339Nano(int64_t ns) {
  int64_t frac;
  std::string base = FormatDate(ns, &frac);
  return base + TrimmedFraction(frac) + "Z";
}

std::string FormatRFC3339(int64_t ns) {
  int64_t frac;
  return FormatDate(ns, &frac) + "Z";
}

std::string FormatGoTimeString(int64_t ns) {
  int64_t frac;
  std::string base = FormatDate(ns, &frac);
  base[10] = ' ';
  return base + TrimmedFraction(frac) + " +0000 UTC";
}

Result<int64_t> ParseLokiTimestamp(std::string_view s) {
  if (s.find('.') != std::string_view::npos) {
    char* end = nullptr;
    std::string copy(s);
    double v = std::strtod(copy.c_str(), &end);
    if (end == copy.c_str() + copy.size() && std::isfinite(v)) {
      double secs = std::floor(v);
      double frac_ms = std::round((v - secs) * 1000.0);
      return static_cast<int64_t>(secs) * kNanosPerSecond +
             static_cast<int64_t>(frac_ms) * kNanosPerMilli;
    }
  }
  int64_t n = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (ec == std::errc() && ptr == s.data() + s.size()) {
    if (s.size() <= 10) return n * kNanosPerSecond;
    return n;
  }
  auto r = ParseRFC3339(s);
  if (r.ok()) return r;
  if (ec == std::errc::result_out_of_range) {
    return Status::InvalidArgument("strconv.ParseInt: parsing \"" + std::string(s) +
                                   "\": value out of range");
  }
  // Loki returns strconv.ParseInt's error when neither form parses.
  return Status::InvalidArgument("strconv.ParseInt: parsing \"" + std::string(s) + "\": invalid syntax");
}

Result<int64_t> ParsePromDuration(std::string_view s) {
  static constexpr Unit kUnits[] = {{"ms", kNanosPerMilli},   {"s", kNanosPerSecond},
                                    {"m", kNanosPerMinute},   {"h", kNanosPerHour},
                                    {"d", kNanosPerDay},      {"w", 7 * kNanosPerDay},
                                    {"y", 365 * kNanosPerDay}};
  auto invalid = [&] {
    return Status::InvalidArgument("not a valid duration string: \"" + std::string(s) + "\"");
  };
  if (s.empty()) return Status::InvalidArgument("empty duration string");
  if (s == "0") return int64_t{0};
  size_t p = 0;
  int64_t total = 0;
  while (p < s.size()) {
    size_t start = p;
    while (p < s.size() && s[p] >= '0' && s[p] <= '9') ++p;
    if (p == start) return invalid();
    int64_t n = 0;
    auto [ptr, ec] = std::from_chars(s.data() + start, s.data() + p, n);
    if (ec != std::errc()) return invalid();
    int unit = -1;
    for (int u = 0; u < 7; ++u) {
      auto name = kUnits[u].name;
      if (s.substr(p, name.size()) == name) {
        // "m" must not swallow the "m" of "ms".
        if (name == "m" && s.substr(p, 2) == "ms") continue;
        unit = u;
        break;
      }
    }
    if (unit < 0) return invalid();
    p += kUnits[unit].name.size();
    if (n > std::numeric_limits<int64_t>::max() / kUnits[unit].ns) {
      return Status::InvalidArgument("not a valid duration string: \"" + std::string(s) +
                                     "\": overflows int64");
    }
    total += n * kUnits[unit].ns;
  }
  return total;
}

Result<int64_t> ParseGoDuration(std::string_view s) {
  static constexpr Unit kUnits[] = {{"ns", 1},
                                    {"us", 1000},
                                    {"\xC2\xB5s", 1000},
                                    {"\xCE\xBCs", 1000},
                                    {"ms", kNanosPerMilli},
                                    {"s", kNanosPerSecond},
                                    {"m", kNanosPerMinute},
                                    {"h", kNanosPerHour}};
  const std::string orig(s);
  auto invalid = [&] { return Status::InvalidArgument("time: invalid duration \"" + orig + "\""); };
  bool neg = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s == "0") return int64_t{0};
  if (s.empty()) return invalid();
  long double total = 0;
  while (!s.empty()) {
    size_t p = 0;
    while (p < s.size() && ((s[p] >= '0' && s[p] <= '9') || s[p] == '.')) ++p;
    if (p == 0 || (p == 1 && s[0] == '.')) return invalid();
    long double v = std::strtold(std::string(s.substr(0, p)).c_str(), nullptr);
    s.remove_prefix(p);
    size_t u = 0;
    while (u < s.size() && !((s[u] >= '0' && s[u] <= '9') || s[u] == '.')) ++u;
    if (u == 0) return Status::InvalidArgument("time: missing unit in duration \"" + orig + "\"");
    std::string_view unit = s.substr(0, u);
    s.remove_prefix(u);
    int64_t mult = 0;
    for (const auto& k : kUnits) {
      if (k.name == unit) mult = k.ns;
    }
    if (mult == 0) {
      return Status::InvalidArgument("time: unknown unit \"" + std::string(unit) +
                                     "\" in duration \"" + orig + "\"");
    }
    total += v * mult;
  }
  if (total > static_cast<long double>(std::numeric_limits<int64_t>::max())) return invalid();
  auto r = static_cast<int64_t>(total);
  return neg ? -r : r;
}

Result<int64_t> ParseStepDuration(std::string_view s) {
  std::string copy(s);
  char* end = nullptr;
  double v = std::strtod(copy.c_str(), &end);
  if (!copy.empty() && end == copy.c_str() + copy.size()) {
    double ns = v * static_cast<double>(kNanosPerSecond);
    if (!std::isfinite(ns) || ns > 9.2e18 || ns < -9.2e18) {
      return Status::InvalidArgument("cannot parse \"" + copy +
                                     "\" to a valid duration. It overflows int64");
    }
    return static_cast<int64_t>(std::llround(ns));
  }
  auto r = ParsePromDuration(s);
  if (!r.ok()) return Status::InvalidArgument("cannot parse \"" + copy + "\" to a valid duration");
  return r;
}

std::string FormatPromDuration(int64_t ns) {
  if (ns == 0) return "0s";
  std::string out;
  if (ns < 0) {
    out = "-";
    ns = -ns;
  }
  int64_t ms = ns / kNanosPerMilli;
  static constexpr std::pair<int64_t, char> kUnits[] = {
      {365LL * 24 * 3600 * 1000, 'y'}, {7LL * 24 * 3600 * 1000, 'w'}, {24LL * 3600 * 1000, 'd'},
      {3600LL * 1000, 'h'},            {60LL * 1000, 'm'},            {1000, 's'}};
  for (auto [unit_ms, name] : kUnits) {
    // Like Prometheus, years and weeks only when they divide the rest exactly
    // (`30d1h`, not `4w2d1h`).
    if ((name == 'y' || name == 'w') && ms % unit_ms != 0) continue;
    if (ms >= unit_ms) {
      out += std::to_string(ms / unit_ms);
      out += name;
      ms %= unit_ms;
    }
  }
  if (ms > 0) out += std::to_string(ms) + "ms";
  return out;
}

std::string FormatGoDuration(int64_t ns) {
  if (ns == 0) return "0s";
  std::string sign = ns < 0 ? "-" : "";
  uint64_t u = ns < 0 ? static_cast<uint64_t>(-(ns + 1)) + 1 : static_cast<uint64_t>(ns);
  auto frac = [](uint64_t v, int digits) {
    std::string f = std::to_string(v);
    while (static_cast<int>(f.size()) < digits) f.insert(f.begin(), '0');
    while (!f.empty() && f.back() == '0') f.pop_back();
    return f.empty() ? std::string() : "." + f;
  };
  if (u < 1000) return sign + std::to_string(u) + "ns";
  if (u < 1000000) return sign + std::to_string(u / 1000) + frac(u % 1000, 3) + "\xC2\xB5s";
  if (u < 1000000000) return sign + std::to_string(u / 1000000) + frac(u % 1000000, 6) + "ms";
  uint64_t secs = u / 1000000000, rem = u % 1000000000;
  std::string out = sign;
  if (secs >= 3600) out += std::to_string(secs / 3600) + "h";
  if (secs >= 60) out += std::to_string(secs / 60 % 60) + "m";
  out += std::to_string(secs % 60) + frac(rem, 9) + "s";
  return out;
}

}  // namespace skald::common
