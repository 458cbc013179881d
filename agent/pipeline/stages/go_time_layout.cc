#include "agent/pipeline/stages/go_time_layout.h"

#include <array>
#include <cctype>
#include <ctime>

namespace skald::agent::pipeline {
namespace {

using common::Result;
using common::Status;

constexpr std::array<std::string_view, 12> kMonths = {
    "January", "February", "March",     "April",   "May",      "June",
    "July",    "August",   "September", "October", "November", "December"};
constexpr std::array<std::string_view, 7> kDays = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                                   "Thursday", "Friday", "Saturday"};

bool Starts(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

// Reads between min and max digits; false when fewer than min.
bool Digits(std::string_view* v, size_t min, size_t max, int64_t* out) {
  size_t n = 0;
  int64_t x = 0;
  while (n < max && n < v->size() && std::isdigit(static_cast<unsigned char>((*v)[n]))) {
    x = x * 10 + ((*v)[n] - '0');
    ++n;
  }
  if (n < min) return false;
  v->remove_prefix(n);
  *out = x;
  return true;
}

// Matches a month or day name, full or 3-letter, case-insensitively.
template <size_t N>
bool Name(std::string_view* v, const std::array<std::string_view, N>& names, bool full, int* idx) {
  for (size_t i = 0; i < N; ++i) {
    std::string_view n = full ? names[i] : names[i].substr(0, 3);
    if (v->size() < n.size()) continue;
    bool eq = true;
    for (size_t k = 0; k < n.size() && eq; ++k) {
      eq = std::tolower(static_cast<unsigned char>((*v)[k])) ==
           std::tolower(static_cast<unsigned char>(n[k]));
    }
    if (eq) {
      v->remove_prefix(n.size());
      *idx = static_cast<int>(i);
      return true;
    }
  }
  return false;
}

struct Fields {
  int64_t year = -1, month = 1, day = 1, hour = 0, min = 0, sec = 0, nanos = 0;
  int pm = -1;
  bool has_zone = false;
  int64_t offset = 0;
};

// Zone like Z, +07:00, -0700, +07.
bool Zone(std::string_view* v, bool allow_z, bool colon, bool hours_only, Fields* f) {
  if (allow_z && !v->empty() && (*v)[0] == 'Z') {
    v->remove_prefix(1);
    f->has_zone = true;
    f->offset = 0;
    return true;
  }
  if (v->empty() || ((*v)[0] != '+' && (*v)[0] != '-')) return false;
  int sign = (*v)[0] == '-' ? -1 : 1;
  v->remove_prefix(1);
  int64_t h = 0, m = 0;
  if (!Digits(v, 2, 2, &h)) return false;
  if (!hours_only) {
    if (colon) {
      if (v->empty() || (*v)[0] != ':') return false;
      v->remove_prefix(1);
    }
    if (!Digits(v, 2, 2, &m)) return false;
  }
  f->has_zone = true;
  f->offset = sign * (h * 3600 + m * 60);
  return true;
}

}  // namespace

std::string ResolveGoLayout(std::string_view name) {
  static const std::pair<std::string_view, std::string_view> kNamed[] = {
      {"ANSIC", "Mon Jan _2 15:04:05 2006"},
      {"UnixDate", "Mon Jan _2 15:04:05 MST 2006"},
      {"RubyDate", "Mon Jan 02 15:04:05 -0700 2006"},
      {"RFC822", "02 Jan 06 15:04 MST"},
      {"RFC822Z", "02 Jan 06 15:04 -0700"},
      {"RFC850", "Monday, 02-Jan-06 15:04:05 MST"},
      {"RFC1123", "Mon, 02 Jan 2006 15:04:05 MST"},
      {"RFC1123Z", "Mon, 02 Jan 2006 15:04:05 -0700"},
      {"RFC3339", "2006-01-02T15:04:05Z07:00"},
      {"RFC3339Nano", "2006-01-02T15:04:05.999999999Z07:00"},
      {"Kitchen", "3:04PM"},
      {"Stamp", "Jan _2 15:04:05"},
      {"StampMilli", "Jan _2 15:04:05.000"},
      {"StampMicro", "Jan _2 15:04:05.000000"},
      {"StampNano", "Jan _2 15:04:05.000000000"},
  };
  for (const auto& [n, l] : kNamed) {
    if (n == name) return std::string(l);
  }
  return std::string(name);
}

Result<int64_t> ParseGoLayout(std::string_view layout, std::string_view value,
                              int64_t default_offset_seconds, int default_year) {
  Fields f;
  std::string_view l = layout, v = value;
  auto fail = [&]() {
    return Status::InvalidArgument("cannot parse \"" + std::string(value) + "\" as \"" +
                                   std::string(layout) + "\"");
  };
  int idx = 0;
  while (!l.empty()) {
    bool ok = true;
    if (Starts(l, "2006")) {
      l.remove_prefix(4), ok = Digits(&v, 4, 4, &f.year);
    } else if (Starts(l, "January")) {
      l.remove_prefix(7), ok = Name(&v, kMonths, true, &idx), f.month = idx + 1;
    } else if (Starts(l, "Jan")) {
      l.remove_prefix(3), ok = Name(&v, kMonths, false, &idx), f.month = idx + 1;
    } else if (Starts(l, "Monday")) {
      l.remove_prefix(6), ok = Name(&v, kDays, true, &idx);
    } else if (Starts(l, "Mon")) {
      l.remove_prefix(3), ok = Name(&v, kDays, false, &idx);
    } else if (Starts(l, "MST")) {
      l.remove_prefix(3);
      size_t n = 0;
      while (n < v.size() && std::isupper(static_cast<unsigned char>(v[n]))) ++n;
      ok = n >= 3;
      if (ok && (v.substr(0, n) == "UTC" || v.substr(0, n) == "GMT")) f.has_zone = true;
      v.remove_prefix(n);
    } else if (Starts(l, "01")) {
      l.remove_prefix(2), ok = Digits(&v, 2, 2, &f.month);
    } else if (Starts(l, "02")) {
      l.remove_prefix(2), ok = Digits(&v, 2, 2, &f.day);
    } else if (Starts(l, "_2")) {
      l.remove_prefix(2);
      if (!v.empty() && v[0] == ' ') v.remove_prefix(1);
      ok = Digits(&v, 1, 2, &f.day);
    } else if (Starts(l, "06")) {
      l.remove_prefix(2), ok = Digits(&v, 2, 2, &f.year);
      f.year += f.year >= 69 ? 1900 : 2000;
    } else if (Starts(l, "15")) {
      l.remove_prefix(2), ok = Digits(&v, 1, 2, &f.hour);
    } else if (Starts(l, "03")) {
      l.remove_prefix(2), ok = Digits(&v, 2, 2, &f.hour);
    } else if (Starts(l, "04")) {
      l.remove_prefix(2), ok = Digits(&v, 2, 2, &f.min);
    } else if (Starts(l, "05")) {
      l.remove_prefix(2), ok = Digits(&v, 2, 2, &f.sec);
    } else if (Starts(l, "Z07:00")) {
      l.remove_prefix(6), ok = Zone(&v, true, true, false, &f);
    } else if (Starts(l, "Z0700")) {
      l.remove_prefix(5), ok = Zone(&v, true, false, false, &f);
    } else if (Starts(l, "Z07")) {
      l.remove_prefix(3), ok = Zone(&v, true, false, true, &f);
    } else if (Starts(l, "-07:00")) {
      l.remove_prefix(6), ok = Zone(&v, false, true, false, &f);
    } else if (Starts(l, "-0700")) {
      l.remove_prefix(5), ok = Zone(&v, false, false, false, &f);
    } else if (Starts(l, "-07")) {
      l.remove_prefix(3), ok = Zone(&v, false, false, true, &f);
    } else if (Starts(l, "PM") || Starts(l, "pm")) {
      l.remove_prefix(2);
      std::string_view ap = v.substr(0, 2);
      ok = ap == "PM" || ap == "pm" || ap == "AM" || ap == "am";
      f.pm = ok && (ap[0] == 'P' || ap[0] == 'p') ? 1 : 0;
      if (ok) v.remove_prefix(2);
    } else if ((l[0] == '.' || l[0] == ',') && l.size() > 1 && (l[1] == '0' || l[1] == '9')) {
      size_t n = 1;
      while (n < l.size() && l[n] == l[1]) ++n;
      bool optional = l[1] == '9';
      l.remove_prefix(n);
      if (!v.empty() && (v[0] == '.' || v[0] == ',')) {
        v.remove_prefix(1);
        size_t d = 0;
        int64_t frac = 0;
        while (d < v.size() && std::isdigit(static_cast<unsigned char>(v[d]))) {
          if (d < 9) frac = frac * 10 + (v[d] - '0');
          ++d;
        }
        ok = d > 0;
        for (size_t k = d; k < 9; ++k) frac *= 10;
        f.nanos = frac;
        v.remove_prefix(d);
      } else {
        ok = optional;
      }
    } else if (Starts(l, "1")) {
      l.remove_prefix(1), ok = Digits(&v, 1, 2, &f.month);
    } else if (Starts(l, "2")) {
      l.remove_prefix(1), ok = Digits(&v, 1, 2, &f.day);
    } else if (Starts(l, "3")) {
      l.remove_prefix(1), ok = Digits(&v, 1, 2, &f.hour);
    } else if (Starts(l, "4")) {
      l.remove_prefix(1), ok = Digits(&v, 1, 2, &f.min);
    } else if (Starts(l, "5")) {
      l.remove_prefix(1), ok = Digits(&v, 1, 2, &f.sec);
      // Go accepts fractional seconds after "05" even when not in the layout.
    } else {
      ok = !v.empty() && v[0] == l[0];
      l.remove_prefix(1);
      if (ok) v.remove_prefix(1);
    }
    if (!ok) return fail();
    if (Starts(l, ".") == false && !v.empty() && v[0] == '.' && l.empty() == false) {
      // fallthrough: literal handling above consumes dots in the layout.
    }
  }
  if (!v.empty()) {
    // Go also accepts a fraction right after seconds when the layout has none.
    if (v[0] == '.' || v[0] == ',') {
      std::string_view rest = v.substr(1);
      size_t d = 0;
      int64_t frac = 0;
      while (d < rest.size() && std::isdigit(static_cast<unsigned char>(rest[d]))) {
        if (d < 9) frac = frac * 10 + (rest[d] - '0');
        ++d;
      }
      if (d == 0 || d != rest.size()) return fail();
      for (size_t k = d; k < 9; ++k) frac *= 10;
      f.nanos = frac;
    } else {
      return fail();
    }
  }
  if (f.pm == 1 && f.hour < 12) f.hour += 12;
  if (f.pm == 0 && f.hour == 12) f.hour = 0;
  if (f.year < 0) f.year = default_year;
  if (f.month < 1 || f.month > 12 || f.day < 1 || f.day > 31 || f.hour > 23 || f.min > 59 ||
      f.sec > 60) {
    return fail();
  }
  struct tm tm = {};
  tm.tm_year = static_cast<int>(f.year - 1900);
  tm.tm_mon = static_cast<int>(f.month - 1);
  tm.tm_mday = static_cast<int>(f.day);
  tm.tm_hour = static_cast<int>(f.hour);
  tm.tm_min = static_cast<int>(f.min);
  tm.tm_sec = static_cast<int>(f.sec);
  int64_t secs = static_cast<int64_t>(timegm(&tm));
  secs -= f.has_zone ? f.offset : default_offset_seconds;
  return secs * 1'000'000'000 + f.nanos;
}

}  // namespace skald::agent::pipeline
