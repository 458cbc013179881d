// Turns the AST of a log pipeline into executable stages, and derives the
// ScanHints a source may use to skip blocks and lines before the pipeline
// runs. Pure functions; the stages returned are immutable and shareable.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/labels.h"
#include "common/logql/ast.h"
#include "common/status.h"
#include "server/logql/log/stage.h"
#include "server/logql/querier.h"

namespace skald::server::logql {

// InvalidArgument for stages that fail to build (bad regex, template, json
// path, ip pattern), with the stage's message. `parser_allow` (may be null):
// `| json` / `| logfmt` without parameters extract only these label names
// (see required_labels.h; metric queries only); with an empty list they are
// left out (nothing downstream reads labels or __error__).
common::Result<std::vector<std::shared_ptr<const log::Stage>>> BuildStages(
    const std::vector<std::unique_ptr<common::logql::Stage>>& stages,
    const std::vector<std::string>* parser_allow = nullptr);

// The executable form of one label filter expression (also used for the
// post-unwrap filters of metric queries).
common::Result<std::unique_ptr<log::Stage>> BuildLabelFilter(const common::logql::LabelFilter& f);

// Hints implied by `expr` for the stream labelled `stream` (CONTRACT §3.3,
// DESIGN "Read path"): positive `|=` literals before any line rewrite,
// structured-metadata equalities before any parser, and json/logfmt field
// equalities; only where they are provably implied by the query.
ScanHints DeriveScanHints(const common::logql::LogSelectorExpr& expr, const common::Labels& stream);

}  // namespace skald::server::logql
