// Label sets: the identity of a stream.
//
// A Labels value is a list of name/value pairs sorted by name. Parsing keeps
// duplicate names (validation reports them with Loki's message) and drops
// pairs with an empty value, as Loki does before hashing. Immutable after
// construction; safe to share between threads.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace skald::common {

struct Label {
  std::string name;
  std::string value;
  bool operator==(const Label&) const = default;
  auto operator<=>(const Label&) const = default;
};

class Labels {
 public:
  Labels() = default;
  // Sorts by name (stable, so duplicates keep their order) and drops empty values.
  explicit Labels(std::vector<Label> pairs);

  const std::vector<Label>& pairs() const { return pairs_; }
  bool empty() const { return pairs_.empty(); }
  size_t size() const { return pairs_.size(); }

  // The value of `name`, or nullopt when absent.
  std::optional<std::string_view> Get(std::string_view name) const;
  // The first name that occurs twice, if any.
  std::optional<std::string_view> FindDuplicateName() const;

  // Canonical text, `{a="1", b="2"}`, values escaped as Go's %q does.
  std::string ToString() const;
  // 64-bit xxHash (XXH3) of ToString(): the stream fingerprint.
  uint64_t Fingerprint() const;

  bool operator==(const Labels&) const = default;
  auto operator<=>(const Labels&) const = default;

 private:
  std::vector<Label> pairs_;
};

// Parses a Prometheus label-set string such as `{job="api", env="prod"}`.
// Accepts double-quoted (PromQL escapes), single-quoted and backtick values.
// On failure returns InvalidArgument with a message naming the column, e.g.
// `1:7: parse error: unexpected "=" in label set, expected identifier`.
Result<Labels> ParseLabels(std::string_view text);

// [a-zA-Z_][a-zA-Z0-9_]*
bool IsValidLabelName(std::string_view name);

// Appends `s` quoted as Go's strconv.Quote does (\" \\ \n \t, \x.. for control
// bytes, invalid UTF-8 as \x..).
void AppendGoQuoted(std::string* dst, std::string_view s);

// Decodes a PromQL/Go string literal body (without the quotes) with escapes
// (\a \b \f \n \r \t \v \\ \' \" \xHH \NNN \uHHHH \UHHHHHHHH).
// `quote` is the delimiter ('"' or '\''); returns InvalidArgument on a bad escape.
Result<std::string> UnquoteGoString(std::string_view body, char quote);

uint64_t FingerprintOf(std::string_view bytes);

}  // namespace skald::common
