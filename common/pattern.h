// Pattern: Loki's `pattern` expressions (`<ip> - <_> [<ts>] "<method> <path>"`),
// used by the `| pattern` parser, the `|>`/`!>` line filters and the agent.
//
// A pattern is a sequence of literals and captures `<name>` (`<_>` is an
// unnamed capture). Anything that is not `<identifier>` is literal text.
// Immutable after construction; Matches/Test are const and thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace skald::common {

class Pattern {
 public:
  struct Node {
    bool capture = false;
    std::string text;  // literal bytes, or the capture name ("_" if unnamed)
  };

  // A `| pattern` expression: needs >= 1 named capture, no two consecutive
  // captures, unique names. InvalidArgument with Loki's messages:
  // "at least one capture is required", "found consecutive capture: invalid
  // expression", "duplicate capture name (x): invalid expression".
  static Result<Pattern> Parse(std::string_view text);
  // A `|>`/`!>` filter: only `<_>` captures ("named captures are not allowed"),
  // none consecutive. The empty pattern is valid (matches only empty lines).
  static Result<Pattern> ParseLineFilter(std::string_view text);

  // Names of the named captures, in order.
  const std::vector<std::string>& names() const { return names_; }
  const std::vector<Node>& nodes() const { return nodes_; }
  // The literal runs, in order (the text every matching line contains).
  std::vector<std::string> Literals() const;

  // Extracts the named captures of `in` (views into `in`) into `*out`, one per
  // name in order — possibly fewer when matching stops early. Returns false
  // (and leaves `*out` empty) when the line cannot be anchored: an empty line
  // or a leading literal that is not at the start.
  bool Matches(std::string_view in, std::vector<std::string_view>* out) const;
  // Line-filter test (|>): literals found in order, a leading/trailing literal
  // ends the line, every `<_>` covers >= 1 byte.
  bool Test(std::string_view in) const;

 private:
  static Result<Pattern> ParseNodes(std::string_view text);
  std::vector<Node> nodes_;
  std::vector<std::string> names_;
};

}  // namespace skald::common
