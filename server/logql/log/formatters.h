// LineFormatter (`| line_format "{{.a}} {{.b}}"`) and LabelsFormatter
// (`| label_format dst=src, dst2="{{.x}}-{{.y}}"`), CONTRACT §3.6.
//
// Templates see every current label (missing ones render as ""), plus
// `__line__` and `__timestamp__`. An execution error leaves the line/label
// unchanged and sets `__error__=TemplateFormatErr` + details.
// label_format templates read a snapshot taken when the stage's first
// template runs, so they do not see each other's results; a rename copies
// src to dst and deletes src (no-op when src is missing).
// Immutable after Create; thread-safe.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "common/template.h"
#include "server/logql/log/stage.h"

namespace skald::server::logql::log {

class LineFormatter final : public Stage {
 public:
  // InvalidArgument when the template does not parse.
  static common::Result<std::unique_ptr<LineFormatter>> Create(std::string_view tmpl);
  bool Process(int64_t ts_ns, std::string_view& line, LabelsBuilder& lbs) const override;

 private:
  explicit LineFormatter(std::unique_ptr<common::Template> t) : t_(std::move(t)) {}
  std::unique_ptr<common::Template> t_;
};

// One `dst=src` (rename) or `dst="template"` of a label_format stage.
struct LabelFmt {
  std::string name;   // destination label
  std::string value;  // source label (rename) or template text
  bool rename = false;
};

class LabelsFormatter final : public Stage {
 public:
  // InvalidArgument: a repeated destination (`multiple label name 'x' not
  // allowed in a single format operation`), `__error__` as destination, an
  // invalid label name, or a template that does not parse.
  static common::Result<std::unique_ptr<LabelsFormatter>> Create(std::vector<LabelFmt> fmts);
  bool Process(int64_t ts_ns, std::string_view& line, LabelsBuilder& lbs) const override;

 private:
  struct Compiled {
    LabelFmt fmt;
    std::unique_ptr<common::Template> tmpl;  // null for renames
  };
  explicit LabelsFormatter(std::vector<Compiled> c) : fmts_(std::move(c)) {}
  std::vector<Compiled> fmts_;
};

}  // namespace skald::server::logql::log
