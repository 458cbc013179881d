// Label-key sanitising for parsed keys (Loki's sanitizeLabelKey): trims
// spaces, maps every character outside [A-Za-z0-9_] (per UTF-8 rune) to '_',
// and, for a leading key part, prefixes a leading digit with '_'.
// Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace skald::server::logql::log {

// Appends the sanitised `key` to `*out`.
void AppendSanitizedKey(std::string_view key, bool is_prefix, std::string* out);

// The sanitised key as a new string.
std::string SanitizeLabelKey(std::string_view key, bool is_prefix);

}  // namespace skald::server::logql::log
