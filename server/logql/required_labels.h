// RequiredLabels: which parsed labels a range aggregation can observe (Loki's
// parser hints). A metric query only reads the labels its grouping keeps, the
// names its label filters / drop / keep test, the unwrapped label and the
// post-unwrap filters' names; every other label a `| json` / `| logfmt`
// would extract is wasted work (label-set construction dominates when lines
// produce distinct labels). Templates (line_format / label_format), a
// `without` grouping or no grouping at all make every label observable.
//
// As in Loki, a sample that errors keeps only the labels that were
// extracted, so a pipeline-error message lists the required labels only.
//
// Pure function; thread-safe.
#pragma once

#include <string>
#include <vector>

#include "common/logql/ast.h"

namespace skald::server::logql {

struct RequiredLabels {
  bool all = true;                 // every label may be read: extract everything
  std::vector<std::string> names;  // sorted, unique; meaningful when !all
};

// `grouping` is the grouping applied at extraction (the range aggregation's
// own, or an outer sum's injected one); null means none (output keeps all
// labels).
RequiredLabels ComputeRequiredLabels(const common::logql::RangeAggregationExpr& expr,
                                     const common::logql::Grouping* grouping);

}  // namespace skald::server::logql
