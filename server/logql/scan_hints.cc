#include "server/logql/pipeline_builder.h"

namespace skald::server::logql {

namespace ql = common::logql;

namespace {

// Collects the equality matchers of the top-level AND chain of `f`.
void CollectEqualities(const ql::LabelFilter& f, std::vector<const common::Matcher*>* out) {
  if (f.kind == ql::LabelFilter::Kind::kAnd) {
    CollectEqualities(*f.left, out);
    CollectEqualities(*f.right, out);
    return;
  }
  if (f.kind == ql::LabelFilter::Kind::kMatcher && f.matcher &&
      f.matcher->type() == common::MatchType::kEqual && !f.matcher->value().empty()) {
    out->push_back(&*f.matcher);
  }
}

}  // namespace

ScanHints DeriveScanHints(const ql::LogSelectorExpr& expr, const common::Labels& stream) {
  ScanHints h;
  bool line_intact = true;    // no stage has rewritten the line yet
  bool labels_pure = true;    // labels are stream + metadata + json/logfmt fields only
  bool parsed = false;        // a json/logfmt parser has run
  for (const auto& st : expr.stages) {
    switch (st->kind()) {
      case ql::StageKind::kLineFilter: {
        const auto& lf = st->As<ql::LineFilterStage>();
        if (line_intact && lf.op == ql::LineMatchType::kContains && lf.terms.size() == 1 &&
            !lf.terms[0].is_ip && !lf.terms[0].value.empty()) {
          h.line_contains.push_back(lf.terms[0].value);
        }
        break;
      }
      case ql::StageKind::kParser: {
        const auto& ps = st->As<ql::ParserStage>();
        if (ps.type == ql::ParserType::kJson || ps.type == ql::ParserType::kLogfmt) {
          parsed = true;
        } else {
          // regexp/pattern capture arbitrary substrings; unpack may replace the line.
          labels_pure = false;
          if (ps.type == ql::ParserType::kUnpack) line_intact = false;
        }
        break;
      }
      case ql::StageKind::kLabelFilter: {
        if (!labels_pure) break;
        std::vector<const common::Matcher*> eqs;
        CollectEqualities(*st->As<ql::LabelFilterStage>().filter, &eqs);
        for (const auto* m : eqs) {
          if (m->name().starts_with("__") || stream.Get(m->name())) continue;
          common::Label pair{m->name(), m->value()};
          (parsed ? h.field_equals : h.metadata_equals).push_back(std::move(pair));
        }
        break;
      }
      case ql::StageKind::kLineFormat:
      case ql::StageKind::kDecolorize:
        line_intact = false;
        labels_pure = false;
        break;
      case ql::StageKind::kLabelFormat:
      case ql::StageKind::kDrop:
      case ql::StageKind::kKeep:
        labels_pure = false;
        break;
    }
  }
  return h;
}

}  // namespace skald::server::logql
