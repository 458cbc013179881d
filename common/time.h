// Time: nanosecond Unix timestamps, RFC3339, and the duration syntaxes Loki
// accepts. All functions are pure and thread-safe; failures are values.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace skald::common {

constexpr int64_t kNanosPerMilli = 1'000'000;
constexpr int64_t kNanosPerSecond = 1'000'000'000;
constexpr int64_t kNanosPerMinute = 60 * kNanosPerSecond;
constexpr int64_t kNanosPerHour = 60 * kNanosPerMinute;
constexpr int64_t kNanosPerDay = 24 * kNanosPerHour;

// Unix seconds and nanos in [0, 1e9) of `ns` (floor division, so negative
// times keep nanos non-negative), as protobuf's Timestamp wants them.
struct SecondsNanos {
  int64_t seconds;
  int32_t nanos;
};
inline SecondsNanos SplitUnixNanos(int64_t ns) {
  int64_t seconds = ns / kNanosPerSecond;
  int64_t nanos = ns % kNanosPerSecond;
  if (nanos < 0) {
    nanos += kNanosPerSecond;
    --seconds;
  }
  return {seconds, static_cast<int32_t>(nanos)};
}

// RFC3339 / RFC3339Nano (`2006-01-02T15:04:05.999999999Z07:00`) -> Unix ns.
Result<int64_t> ParseRFC3339(std::string_view s);
// Unix ns -> RFC3339Nano in UTC, trailing zeros of the fraction trimmed
// (Go's time.RFC3339Nano), e.g. `2026-01-01T00:00:06.63Z`.
std::string FormatRFC3339Nano(int64_t ns);
// Unix ns -> RFC3339 in UTC without fraction, e.g. `2026-01-01T00:00:06Z`.
std::string FormatRFC3339(int64_t ns);
// Go's time.Time.String() in UTC: `2026-01-01 00:00:06.63 +0000 UTC`.
std::string FormatGoTimeString(int64_t ns);

// Loki's parseTimestamp (CONTRACT §1.1): a float with '.' is seconds (fraction
// rounded to ms); an integer of <= 10 chars is seconds, longer is ns; else
// RFC3339. Returns Unix ns.
Result<int64_t> ParseLokiTimestamp(std::string_view s);

// Prometheus duration: sequences of [0-9]+(ms|s|m|h|d|w|y), e.g. `1h30m`. ns.
Result<int64_t> ParsePromDuration(std::string_view s);
// Go time.ParseDuration: signed, fractional, units ns us µs ms s m h. ns.
Result<int64_t> ParseGoDuration(std::string_view s);
// Loki's step/interval parsing: float seconds first, else Prometheus duration.
Result<int64_t> ParseStepDuration(std::string_view s);
// Prometheus duration text for ns (largest units first; `0s` for zero).
std::string FormatPromDuration(int64_t ns);
// Go's time.Duration.String() (`1h2m3.5s`, `150ms`, `0s`).
std::string FormatGoDuration(int64_t ns);

}  // namespace skald::common
