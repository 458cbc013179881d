// JSON parser stages (CONTRACT §3.5; Loki's parser.go):
//   JsonParser            `| json`            every field, nested keys joined with '_'
//   JsonExpressionParser  `| json a="x.y[0]"` only the listed path expressions
//   UnpackParser          `| unpack`          string fields; `_entry` replaces the line
//
// All use simdjson On-Demand with the per-stream parser in StageScratch.
// Failures keep the line and set `__error__=JSONParserErr` (+ details).
// Immutable after construction; thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "server/logql/log/stage.h"

namespace skald::server::logql::log {

// The flattened names a restricted `| json` extracts (a name `x_extracted`
// also allows `x`, which a clash renames to it). Lookup rejects most names by
// length alone. Immutable after construction.
class JsonAllowSet {
 public:
  explicit JsonAllowSet(std::vector<std::string> names);
  bool Contains(std::string_view name) const;

 private:
  void Add(std::string name);
  std::vector<std::string> names_;
  uint64_t len_mask_ = 0;  // bit (length % 64) set for every name
};

class JsonParser final : public Stage {
 public:
  // Extracts every field.
  JsonParser() = default;
  // Extracts only fields whose flattened, sanitised name is in `allow` (a
  // name `x_extracted` also allows `x`, which a clash renames to it). The
  // whole line is still walked and validated, so `__error__`/details are
  // exactly those of the unrestricted parser. An empty `allow` extracts
  // nothing (validation only). Used for metric queries that read few labels.
  explicit JsonParser(std::vector<std::string> allow);
  bool Process(int64_t ts_ns, std::string_view& line, LabelsBuilder& lbs) const override;

 private:
  bool restricted_ = false;
  JsonAllowSet allow_{{}};
};

// One step of a JSON path: a field name or an array index.
struct JsonPathPart {
  bool is_index = false;
  std::string key;
  size_t index = 0;
};

// Parses `a.b`, `a["x y"]`, `a[0]`, `["f"]`, `[0]` (any nesting).
// InvalidArgument on anything else (`field with space`, `["pod"`).
common::Result<std::vector<JsonPathPart>> ParseJsonPath(std::string_view expr);

// `| json label="path"`; a bare `name` is {name, name}.
struct JsonParam {
  std::string label;  // label to set (must be a valid label name)
  std::string path;   // path expression
};

class JsonExpressionParser final : public Stage {
 public:
  // InvalidArgument on a bad path or an invalid label name.
  static common::Result<std::unique_ptr<JsonExpressionParser>> Create(std::vector<JsonParam> params);
  bool Process(int64_t ts_ns, std::string_view& line, LabelsBuilder& lbs) const override;

 private:
  struct Compiled {
    std::string label;
    std::vector<JsonPathPart> path;
  };
  explicit JsonExpressionParser(std::vector<Compiled> c) : params_(std::move(c)) {}
  std::vector<Compiled> params_;
};

class UnpackParser final : public Stage {
 public:
  UnpackParser() = default;
  bool Process(int64_t ts_ns, std::string_view& line, LabelsBuilder& lbs) const override;
};

}  // namespace skald::server::logql::log
