// Parsing timestamps with Go reference-time layouts ("2006-01-02T15:04:05Z07:00"),
// as Promtail's timestamp stage does. Stateless and thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace skald::agent::pipeline {

// Maps Go's named layouts (ANSIC, RFC3339, RFC1123Z, Kitchen, Stamp...) to
// their layout strings; returns `name` unchanged when it is not a name.
std::string ResolveGoLayout(std::string_view name);

// Parses `value` with `layout`. Supported elements: 2006 06 01 1 Jan January
// 02 2 _2 15 03 3 04 4 05 5 PM pm Mon Monday MST Z07:00 Z0700 Z07 -07:00
// -0700 -07 and fractional seconds (.000 .999999999 ,000). A value without a
// zone is taken as UTC plus `default_offset_seconds`. A layout without a year
// uses `default_year`. Returns Unix nanoseconds, or InvalidArgument.
common::Result<int64_t> ParseGoLayout(std::string_view layout, std::string_view value,
                                      int64_t default_offset_seconds = 0,
                                      int default_year = 1970);

}  // namespace skald::agent::pipeline
