// DropLabels (`| drop a, b="x", c=~"y.*"`) and KeepLabels (`| keep a, b="x"`),
// CONTRACT §3.6. drop may remove `__error__`/`__error_details__`; keep never
// removes them. A matcher entry acts only when the label's value matches.
// Immutable after construction; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/matcher.h"
#include "server/logql/log/stage.h"

namespace skald::server::logql::log {

// A bare name, or a matcher (`name="v"`, `name=~"re"`, ...).
struct LabelRef {
  std::string name;
  std::optional<common::Matcher> matcher;  // when set, its name is used
  const std::string& Name() const { return matcher ? matcher->name() : name; }
};

class DropLabels final : public Stage {
 public:
  explicit DropLabels(std::vector<LabelRef> refs) : refs_(std::move(refs)) {}
  bool Process(int64_t ts_ns, std::string_view& line, LabelsBuilder& lbs) const override;

 private:
  std::vector<LabelRef> refs_;
};

class KeepLabels final : public Stage {
 public:
  explicit KeepLabels(std::vector<LabelRef> refs) : refs_(std::move(refs)) {}
  bool Process(int64_t ts_ns, std::string_view& line, LabelsBuilder& lbs) const override;

 private:
  std::vector<LabelRef> refs_;
};

}  // namespace skald::server::logql::log
