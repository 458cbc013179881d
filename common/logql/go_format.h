// Go/Prometheus/humanize number and duration text, as LogQL needs it.
//
// LogQL's lexer and printer lean on several Go libraries whose exact text
// matters to clients (`format_query`) and to error messages: Go's
// strconv.ParseFloat and fmt's %v, Prometheus model.ParseDuration and
// model.Duration.String, and go-humanize's ParseBytes/Bytes. These are
// faithful re-implementations. All functions are pure and thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace skald::common::logql {

// strconv.ParseFloat(s, 64). Errors carry Go's text, e.g.
// `strconv.ParseFloat: parsing "0x10": invalid syntax`.
Result<double> ParseGoFloat(std::string_view s);

// fmt.Sprint(v) for a float64 (%v = shortest %g: exponent form when the
// decimal exponent is < -4 or >= 6), e.g. `1`, `0.5`, `1e+06`, `-Inf`, `NaN`.
std::string FormatGoFloatV(double v);

// Prometheus model.ParseDuration: `[0-9]+(y|w|d|h|m|s|ms)` sequences, units
// strictly descending. Errors: `not a valid duration string: "x"`,
// `unknown unit "u" in duration "x"`, `empty duration string`,
// `duration out of range`. Returns nanoseconds.
Result<int64_t> ParsePromModelDuration(std::string_view s);

// Prometheus model.Duration.String(): `5m`, `1h30m`, `90d` (y and w only
// when exact), `0s`; millisecond precision; negative values print as "".
std::string FormatPromModelDuration(int64_t ns);

// The LogQL lexer's duration rule: Prometheus first, Go's
// time.ParseDuration (ns, us, µs, fractions, sign) as the fallback.
Result<int64_t> ParseLogqlDuration(std::string_view s);

// go-humanize ParseBytes: `2.5KiB`, `1MB`, `10k`, `512B` (case-insensitive
// unit; SI and IEC). InvalidArgument when the unit is unknown or too large.
Result<uint64_t> ParseHumanizeBytes(std::string_view s);

// go-humanize Bytes (SI, one decimal under 10) without the space: `2.6kB`,
// `1.0MB`, `9B`.
std::string FormatHumanizeBytes(uint64_t v);

// Go's strconv.Quote(s).
std::string GoQuote(std::string_view s);

}  // namespace skald::common::logql
