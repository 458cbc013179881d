// Tokens that chunk blooms index, shared by the writer (BlockBuilder) and the
// query engine (which asks Bloom::MayContain before decompressing a block).
//
// Line tokens: maximal runs of ASCII letters, ASCII digits and bytes >= 0x80
// (so UTF-8 words stay whole), case-sensitive; every other byte separates
// tokens ('-', '_', '.', '=', '"', space, ...). Tokens shorter than
// kMinTokenBytes are not indexed. So `trace_id=4bf92f35 user-9f3c` yields
// "trace", "4bf92f35", "user", "9f3c"... ("id" is too short).
//
// Token grams: for each line token of at least kGramBytes, the kGramBytes-long
// substrings starting at offsets 0, kGramStride, 2*kGramStride, ... of the
// token (key: 0x02 + the bytes). A needle run R (maximal token bytes inside
// the needle) sits in some line token T at an unknown offset a; for the one
// r in [0, kGramStride) with a + r aligned, the grams of T starting at
// a + r, a + r + kGramStride, ... that fit in R are all indexed. So a block
// can hold R only if, for some r, every gram R[r + k*kGramStride, +kGramBytes)
// is in its bloom (NeedleGramRuns). This prunes `|= "<trace id>"`, which
// token blooms cannot: a bare id may be part of a longer line token.
//
// Metadata keys: `name=value` for each structured-metadata pair. They never
// collide with line tokens, which contain no '='.
//
// Query side rule (no false negatives): a line containing needle N contains,
// as whole tokens, exactly the tokens of N that are delimited *inside N* on
// both sides; the first and last runs of N may be parts of longer line
// tokens. NeedleTokens returns only the safe ones. Stateless; thread-safe.
#pragma once

#include <algorithm>
#include <array>
#include <string>
#include <string_view>
#include <vector>

namespace skald::server::chunk {

// One table lookup per byte (the writer tokenizes every stored line).
inline constexpr auto kTokenByteTable = [] {
  std::array<bool, 256> t{};
  for (int c = 0; c < 256; ++c) {
    t[static_cast<size_t>(c)] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 0x80;
  }
  return t;
}();

inline bool IsTokenByte(unsigned char c) { return kTokenByteTable[c]; }

inline constexpr size_t kGramBytes = 8;
inline constexpr size_t kGramStride = 8;
// Needle runs shorter than this give no gram pruning (some alignment would
// have no whole gram inside the run).
inline constexpr size_t kMinGramRunBytes = kGramBytes + kGramStride - 1;

// Calls fn(std::string_view key) for every gram key of one line token.
template <typename Fn>
void ForEachTokenGram(std::string_view token, Fn&& fn) {
  char key[1 + kGramBytes];
  key[0] = '\x02';
  for (size_t p = 0; p + kGramBytes <= token.size(); p += kGramStride) {
    std::copy_n(token.data() + p, kGramBytes, key + 1);
    fn(std::string_view(key, sizeof key));
  }
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

// For each token run of `needle` of at least kMinGramRunBytes: its
// alternatives, one per alignment r in [0, kGramStride), each the gram keys
// a block's bloom must all hold (see "Token grams"). A block can hold the
// needle only if, for every run, some alternative is held in full.
using GramAlternatives = std::vector<std::vector<std::string>>;
std::vector<GramAlternatives> NeedleGramRuns(std::string_view needle);

// Bloom key present in every block holding a line with a backslash. JSON and
// logfmt values are delimited by non-token bytes in the line, so a value a
// json/logfmt parser extracts occurs as whole tokens of the line — unless it
// was written with escapes. The query side may prune `| json | x="v"` by the
// tokens of v only in blocks whose bloom lacks this key. It can never collide
// with a line token (no 0x01 byte) or a metadata key (no '=').
inline constexpr std::string_view kEscapedBlockKey = "\x01escaped";

// The bloom key of one structured-metadata pair: `name=value`.
std::string MetadataKey(std::string_view name, std::string_view value);
// The pair's second, independent key (kBloomHasMetadataCheckKeys):
// `0x03 name=value`; collides with no token, gram (0x02) or MetadataKey.
std::string MetadataCheckKey(std::string_view name, std::string_view value);
inline constexpr char kMetadataCheckKeyPrefix = '\x03';

}  // namespace skald::server::chunk
