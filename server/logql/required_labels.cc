#include "server/logql/required_labels.h"

#include <algorithm>

namespace skald::server::logql {

namespace ql = common::logql;

namespace {

void AddFilterNames(const ql::LabelFilter& f, std::vector<std::string>* out) {
  using Kind = ql::LabelFilter::Kind;
  switch (f.kind) {
    case Kind::kMatcher:
      if (f.matcher) out->push_back(f.matcher->name());
      return;
    case Kind::kAnd:
    case Kind::kOr:
      if (f.left) AddFilterNames(*f.left, out);
      if (f.right) AddFilterNames(*f.right, out);
      return;
    default:
      out->push_back(f.name);
      return;
  }
}

}  // namespace

RequiredLabels ComputeRequiredLabels(const ql::RangeAggregationExpr& expr, const ql::Grouping* grouping) {
  RequiredLabels all;
  if (grouping == nullptr || grouping->without) return all;
  std::vector<std::string> names = grouping->labels;
  if (expr.range.selector) {
    for (const auto& st : expr.range.selector->stages) {
      switch (st->kind()) {
        case ql::StageKind::kLabelFilter: {
          const auto& lf = st->As<ql::LabelFilterStage>();
          if (lf.filter) AddFilterNames(*lf.filter, &names);
          break;
        }
        case ql::StageKind::kLineFormat:
        case ql::StageKind::kLabelFormat:
          return all;  // templates may read any label
        case ql::StageKind::kDrop:
        case ql::StageKind::kKeep:
          for (const auto& m : st->As<ql::DropKeepStage>().labels) {
            names.push_back(m.matcher ? m.matcher->name() : m.name);
          }
          break;
        default:
          break;
      }
    }
  }
  if (expr.range.unwrap) {
    names.push_back(expr.range.unwrap->label);
    for (const auto& f : expr.range.unwrap->post_filters) {
      if (f) AddFilterNames(*f, &names);
    }
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return RequiredLabels{false, std::move(names)};
}

}  // namespace skald::server::logql
