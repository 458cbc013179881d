// Doublestar globs for `__path__` / `__path_exclude__` (Promtail uses
// bmatcuk/doublestar): `*`, `?`, `[...]` match within one path segment
// (fnmatch(3)), `**` as a whole segment matches zero or more directories.
// Stateless and thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace skald::agent::tail {

// Directory levels a `**` descends at most; deeper trees are not scanned.
inline constexpr int kMaxGlobDepth = 32;

// True when `path` matches `pattern` (both absolute, '/'-separated).
bool GlobMatch(std::string_view pattern, std::string_view path);

// Regular files (following symlinks) whose path matches `pattern`, sorted.
// Unreadable directories are skipped.
std::vector<std::string> ExpandGlob(const std::string& pattern);

}  // namespace skald::agent::tail
