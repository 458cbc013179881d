// Conversions shared by templates (`bytes`, `float64`, `duration`) and LogQL
// label filters: Go's strconv.ParseFloat and go-humanize's ParseBytes, with
// their exact error texts. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace skald::common {

// Go strconv.ParseFloat(s, 64). Errors: `strconv.ParseFloat: parsing "abc":
// invalid syntax` / `...: value out of range`.
Result<double> ParseGoFloat(std::string_view s);

// go-humanize ParseBytes: `2.5KiB`, `10 MB`, `1,024`, `42` (units b, k/kb,
// ki/kib … e/eb, ei/eib; case-insensitive). Errors: ParseFloat's text,
// `unhandled size name: <unit>`, `too large: <s>`.
Result<uint64_t> ParseHumanBytes(std::string_view s);

}  // namespace skald::common
