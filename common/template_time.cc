// Go time layout formatting (`2006-01-02 15:04:05`) for template times.
#include <cstdio>
#include <ctime>
#include <string>
#include <string_view>

#include "common/template_value.h"

namespace skald::common {

namespace {

constexpr const char* kMonths[] = {"January", "February", "March",     "April",   "May",      "June",
                                   "July",    "August",   "September", "October", "November", "December"};
constexpr const char* kDays[] = {"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"};

void Pad(std::string* out, int v, int width, char fill = '0') {
  std::string d = std::to_string(v);
  for (int k = static_cast<int>(d.size()); k < width; ++k) out->push_back(fill);
  out->append(d);
}

void Zone(std::string* out, int off, bool z, bool colon, bool secs, bool hours_only) {
  if (z && off == 0) {
    out->push_back('Z');
    return;
  }
  out->push_back(off < 0 ? '-' : '+');
  int a = off < 0 ? -off : off;
  Pad(out, a / 3600, 2);
  if (hours_only) return;
  if (colon) out->push_back(':');
  Pad(out, (a / 60) % 60, 2);
  if (secs) {
    if (colon) out->push_back(':');
    Pad(out, a % 60, 2);
  }
}

}  // namespace

std::string FormatGoLayout(const TemplateValue& t, std::string_view layout) {
  int64_t ns = t.i;
  int64_t secs = ns / 1000000000;
  int64_t frac = ns % 1000000000;
  if (frac < 0) {
    frac += 1000000000;
    --secs;
  }
  time_t local = static_cast<time_t>(secs + t.tz_offset);
  struct tm tm;
  gmtime_r(&local, &tm);
  std::string out;
  size_t i = 0;
  auto has = [&](std::string_view p) { return layout.substr(i, p.size()) == p; };
  while (i < layout.size()) {
    if (has("January")) { out += kMonths[tm.tm_mon]; i += 7; continue; }
    if (has("Jan")) { out += std::string(kMonths[tm.tm_mon]).substr(0, 3); i += 3; continue; }
    if (has("Monday")) { out += kDays[tm.tm_wday]; i += 6; continue; }
    if (has("Mon")) { out += std::string(kDays[tm.tm_wday]).substr(0, 3); i += 3; continue; }
    if (has("MST")) { out += t.s.empty() ? "UTC" : t.s; i += 3; continue; }
    if (has("2006")) { Pad(&out, tm.tm_year + 1900, 4); i += 4; continue; }
    if (has("002")) { Pad(&out, tm.tm_yday + 1, 3); i += 3; continue; }
    if (has("01")) { Pad(&out, tm.tm_mon + 1, 2); i += 2; continue; }
    if (has("02")) { Pad(&out, tm.tm_mday, 2); i += 2; continue; }
    if (has("03")) { Pad(&out, tm.tm_hour % 12 == 0 ? 12 : tm.tm_hour % 12, 2); i += 2; continue; }
    if (has("04")) { Pad(&out, tm.tm_min, 2); i += 2; continue; }
    if (has("05")) { Pad(&out, tm.tm_sec, 2); i += 2; continue; }
    if (has("06")) { Pad(&out, (tm.tm_year + 1900) % 100, 2); i += 2; continue; }
    if (has("15")) { Pad(&out, tm.tm_hour, 2); i += 2; continue; }
    if (has("__2")) { Pad(&out, tm.tm_yday + 1, 3, ' '); i += 3; continue; }
    if (has("_2") && !has("_2006")) { Pad(&out, tm.tm_mday, 2, ' '); i += 2; continue; }
    if (has("1")) { Pad(&out, tm.tm_mon + 1, 1); i += 1; continue; }
    if (has("2")) { Pad(&out, tm.tm_mday, 1); i += 1; continue; }
    if (has("3")) { Pad(&out, tm.tm_hour % 12 == 0 ? 12 : tm.tm_hour % 12, 1); i += 1; continue; }
    if (has("4")) { Pad(&out, tm.tm_min, 1); i += 1; continue; }
    if (has("5")) { Pad(&out, tm.tm_sec, 1); i += 1; continue; }
    if (has("PM")) { out += tm.tm_hour >= 12 ? "PM" : "AM"; i += 2; continue; }
    if (has("pm")) { out += tm.tm_hour >= 12 ? "pm" : "am"; i += 2; continue; }
    if (has("Z07:00:00")) { Zone(&out, t.tz_offset, true, true, true, false); i += 9; continue; }
    if (has("-07:00:00")) { Zone(&out, t.tz_offset, false, true, true, false); i += 9; continue; }
    if (has("Z070000")) { Zone(&out, t.tz_offset, true, false, true, false); i += 7; continue; }
    if (has("-070000")) { Zone(&out, t.tz_offset, false, false, true, false); i += 7; continue; }
    if (has("Z07:00")) { Zone(&out, t.tz_offset, true, true, false, false); i += 6; continue; }
    if (has("-07:00")) { Zone(&out, t.tz_offset, false, true, false, false); i += 6; continue; }
    if (has("Z0700")) { Zone(&out, t.tz_offset, true, false, false, false); i += 5; continue; }
    if (has("-0700")) { Zone(&out, t.tz_offset, false, false, false, false); i += 5; continue; }
    if (has("Z07")) { Zone(&out, t.tz_offset, true, false, false, true); i += 3; continue; }
    if (has("-07")) { Zone(&out, t.tz_offset, false, false, false, true); i += 3; continue; }
    if ((layout[i] == '.' || layout[i] == ',') && i + 1 < layout.size() &&
        (layout[i + 1] == '0' || layout[i + 1] == '9')) {
      char d = layout[i + 1];
      size_t j = i + 1;
      while (j < layout.size() && layout[j] == d) ++j;
      bool digit_after = j < layout.size() && layout[j] >= '0' && layout[j] <= '9';
      if (!digit_after) {
        int n = static_cast<int>(std::min<size_t>(j - i - 1, 9));
        char buf[16];
        std::snprintf(buf, sizeof(buf), "%09lld", static_cast<long long>(frac));
        std::string digits(buf, static_cast<size_t>(n));
        if (d == '9') {
          while (!digits.empty() && digits.back() == '0') digits.pop_back();
          if (!digits.empty()) {
            out.push_back(layout[i]);
            out += digits;
          }
        } else {
          out.push_back(layout[i]);
          out += digits;
        }
        i = j;
        continue;
      }
    }
    out.push_back(layout[i]);
    ++i;
  }
  return out;
}

}  // namespace skald::common
