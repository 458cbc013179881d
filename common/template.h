// Template: the Go text/template subset used by LogQL `line_format` and
// `label_format` and by the agent's `template` stage.
//
// Supported: text and {{actions}} with `{{-`/`-}}` trimming and comments;
// fields `.name` (label lookup, missingkey=zero), `.` ; variables `$x := …`,
// `$x = …`, `$x`; literals (strings "…"/`…`, numbers, true/false, nil);
// pipelines `a | f b`; parentheses; if/else if/else/end, with/else/end,
// range over lists/maps (with $i, $v); the built-ins and the Loki/sprig
// functions of CONTRACT §3.6.
//
// Parse once (Result), then Execute per line: a Template is immutable after
// Parse and Execute is const and thread-safe.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"
#include "common/template_value.h"

namespace skald::common {

// What a template sees while executing one line.
struct TemplateContext {
  // Label lookup for `.name`; nullopt when absent (rendered as "").
  std::function<std::optional<std::string_view>(std::string_view)> lookup;
  std::string_view line;  // __line__
  int64_t ts_ns = 0;      // __timestamp__
  int64_t now_ns = 0;     // `now` (0 means the real clock)
};

struct TemplateNode;  // the parsed tree (template_parse.cc)

class Template {
 public:
  // Nesting / size guards: deeper templates fail Parse; output beyond
  // kMaxOutputBytes fails Execute.
  static constexpr int kMaxDepth = 64;
  static constexpr size_t kMaxOutputBytes = 1 << 20;

  // InvalidArgument with a Go-like message (`template: line:1: function "x"
  // not defined`, `unexpected EOF`, ...).
  static Result<std::unique_ptr<Template>> Parse(std::string_view text);
  ~Template();
  Template(const Template&) = delete;
  Template& operator=(const Template&) = delete;

  // Renders into *out (cleared first). On failure returns InvalidArgument
  // with the Go-like execution error; *out holds the partial output.
  Status Execute(const TemplateContext& ctx, std::string* out) const;

  // The template text as given to Parse.
  const std::string& source() const { return source_; }

 private:
  Template() = default;
  std::string source_;
  std::unique_ptr<TemplateNode> root_;
};

}  // namespace skald::common
