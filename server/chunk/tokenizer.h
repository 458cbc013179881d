// Tokens that chunk blooms index, shared by the writer (BlockBuilder) and the
// query engine (which asks Bloom::MayContain before decompressing a block).
//
// Line tokens: maximal runs of ASCII letters, ASCII digits and bytes >= 0x80
// (so UTF-8 words stay whole), case-sensitive; every other byte separates
// tokens ('-', '_', '.', '=', '"', space, ...). Tokens shorter than
// kMinTokenBytes are not indexed. So `trace_id=4bf92f35 user-9f3c` yields
// "trace", "4bf92f35", "user", "9f3c"... ("id" is too short).
//
// Metadata keys: `name=value` for each structured-metadata pair. They never
// collide with line tokens, which contain no '='.
//
// Query side rule (no false negatives): a line containing needle N contains,
// as whole tokens, exactly the tokens of N that are delimited *inside N* on
// both sides; the first and last runs of N may be parts of longer line
// tokens. NeedleTokens returns only the safe ones. Stateless; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace skald::server::chunk {

inline bool IsTokenByte(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 0x80;
}

// Calls fn(std::string_view token) for every indexable token of `line`.
template <typename Fn>
void ForEachLineToken(std::string_view line, Fn&& fn) {
  const auto* p = reinterpret_cast<const unsigned char*>(line.data());
  const auto* end = p + line.size();
  while (p < end) {
    while (p < end && !IsTokenByte(*p)) ++p;
    const auto* start = p;
    while (p < end && IsTokenByte(*p)) ++p;
    size_t n = static_cast<size_t>(p - start);
    if (n >= 3) fn(std::string_view(reinterpret_cast<const char*>(start), n));
  }
}

// The tokens of `needle` that every line containing it must contain as whole
// tokens (see the rule above), longest first. Empty when none qualifies (for
// example a needle that is a single run, like a bare trace id): then the
// bloom cannot prune a `|= needle` filter.
std::vector<std::string_view> NeedleTokens(std::string_view needle);

// Bloom key present in every block holding a line with a backslash. JSON and
// logfmt values are delimited by non-token bytes in the line, so a value a
// json/logfmt parser extracts occurs as whole tokens of the line — unless it
// was written with escapes. The query side may prune `| json | x="v"` by the
// tokens of v only in blocks whose bloom lacks this key. It can never collide
// with a line token (no 0x01 byte) or a metadata key (no '=').
inline constexpr std::string_view kEscapedBlockKey = "\x01escaped";

// The bloom key of one structured-metadata pair: `name=value`.
std::string MetadataKey(std::string_view name, std::string_view value);

}  // namespace skald::server::chunk
