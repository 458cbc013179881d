#include "common/time.h"

#include <doctest/doctest.h>

using namespace skald::common;

TEST_CASE("RFC3339 parses zones and fractions") {
  CHECK(ParseRFC3339("1970-01-01T00:00:00Z").value() == 0);
  CHECK(ParseRFC3339("2026-01-01T00:00:00Z").value() == 1767225600LL * kNanosPerSecond);
  CHECK(ParseRFC3339("2026-01-01T01:00:00+01:00").value() == 1767225600LL * kNanosPerSecond);
  CHECK(ParseRFC3339("2026-01-01T00:00:00.123456789Z").value() ==
        1767225600LL * kNanosPerSecond + 123456789);
  CHECK(ParseRFC3339("2026-01-01T00:00:00.5Z").value() == 1767225600LL * kNanosPerSecond + 500000000);
  for (const char* bad : {"", "2026-01-01", "2026-13-01T00:00:00Z", "2026-01-01T00:00:00",
                          "2026-01-01T00:00:00.Z", "2026-01-01T00:00:00Zjunk", "x"}) {
    CHECK_MESSAGE(!ParseRFC3339(bad).ok(), bad);
  }
}

TEST_CASE("RFC3339Nano formatting trims the fraction like Go") {
  CHECK(FormatRFC3339Nano(0) == "1970-01-01T00:00:00Z");
  CHECK(FormatRFC3339Nano(1767225606630000000LL) == "2026-01-01T00:00:06.63Z");
  CHECK(FormatRFC3339Nano(-1) == "1969-12-31T23:59:59.999999999Z");
  CHECK(FormatGoTimeString(1767225606630000000LL) == "2026-01-01 00:00:06.63 +0000 UTC");
}

TEST_CASE("Loki timestamps follow the ten-digit rule") {
  CHECK(ParseLokiTimestamp("1767225600").value() == 1767225600LL * kNanosPerSecond);
  CHECK(ParseLokiTimestamp("1767225600000000000").value() == 1767225600000000000LL);
  // 13 digits are read as nanoseconds, as Loki does.
  CHECK(ParseLokiTimestamp("1767225600000").value() == 1767225600000LL);
  CHECK(ParseLokiTimestamp("1767225600.1234").value() == 1767225600123000000LL);
  CHECK(ParseLokiTimestamp("2026-01-01T00:00:00Z").value() == 1767225600LL * kNanosPerSecond);
  CHECK_FALSE(ParseLokiTimestamp("yesterday").ok());
  CHECK_FALSE(ParseLokiTimestamp("99999999999999999999999").ok());
}

TEST_CASE("Prometheus durations") {
  CHECK(ParsePromDuration("1h30m").value() == 90 * kNanosPerMinute);
  CHECK(ParsePromDuration("5m").value() == 5 * kNanosPerMinute);
  CHECK(ParsePromDuration("250ms").value() == 250 * kNanosPerMilli);
  CHECK(ParsePromDuration("1d").value() == kNanosPerDay);
  CHECK(ParsePromDuration("1w").value() == 7 * kNanosPerDay);
  CHECK(ParsePromDuration("0").value() == 0);
  for (const char* bad : {"", "5", "1.5h", "5minutes", "h", "-1m", "99999999999999999999y"}) {
    CHECK_MESSAGE(!ParsePromDuration(bad).ok(), bad);
  }
  CHECK(FormatPromDuration(90 * kNanosPerMinute) == "1h30m");
  CHECK(FormatPromDuration(250 * kNanosPerMilli) == "250ms");
  CHECK(FormatPromDuration(721 * kNanosPerHour) == "30d1h");
  CHECK(FormatPromDuration(14 * kNanosPerDay) == "2w");
}

TEST_CASE("Go durations") {
  CHECK(ParseGoDuration("1.5s").value() == 1500 * kNanosPerMilli);
  CHECK(ParseGoDuration("850us").value() == 850000);
  CHECK(ParseGoDuration("2m3s").value() == 123 * kNanosPerSecond);
  CHECK(ParseGoDuration("-1h").value() == -kNanosPerHour);
  CHECK_FALSE(ParseGoDuration("5d").ok());
  CHECK_FALSE(ParseGoDuration("10").ok());
  CHECK(FormatGoDuration(123 * kNanosPerSecond) == "2m3s");
  CHECK(FormatGoDuration(1500 * kNanosPerMilli) == "1.5s");
  CHECK(FormatGoDuration(kNanosPerHour) == "1h0m0s");
}

TEST_CASE("step durations accept float seconds then Prometheus units") {
  CHECK(ParseStepDuration("15").value() == 15 * kNanosPerSecond);
  CHECK(ParseStepDuration("0.5").value() == 500 * kNanosPerMilli);
  CHECK(ParseStepDuration("1m").value() == kNanosPerMinute);
  CHECK_FALSE(ParseStepDuration("abc").ok());
}

TEST_CASE("SplitUnixNanos floors so nanos stay in [0, 1e9)") {
  using skald::common::SplitUnixNanos;
  CHECK(SplitUnixNanos(1'500'000'000).seconds == 1);
  CHECK(SplitUnixNanos(1'500'000'000).nanos == 500'000'000);
  CHECK(SplitUnixNanos(0).seconds == 0);
  CHECK(SplitUnixNanos(-1).seconds == -1);
  CHECK(SplitUnixNanos(-1).nanos == 999'999'999);
  CHECK(SplitUnixNanos(-2'000'000'000).seconds == -2);
  CHECK(SplitUnixNanos(-2'000'000'000).nanos == 0);
}
