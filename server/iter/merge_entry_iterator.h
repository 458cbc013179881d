// Merging of entry iterators (leveldb table/merger.h, Loki's heap iterator).
//
// The merged iterator yields the union of its children's entries ordered by
// timestamp in `direction`; entries with equal timestamps are ordered by
// stream labels (ascending), then by child position. Exact duplicates —
// same stream, timestamp, line and structured metadata — are yielded once,
// which removes the copies that overlapping chunks of a stream hold.
// Each child must already yield its entries in `direction`.
//
// Concurrency: single-threaded, like every EntryIterator.
#pragma once

#include <memory>
#include <vector>

#include "server/iter/entry_iterator.h"

namespace skald::server::iter {

// Takes ownership of the children. A child's error stops the merge and is
// reported by status(). With no children the result is empty.
// `bounds`, optional, one per child: the first timestamp child i can yield in
// `direction` (its minimum forward, its maximum backward). With bounds a
// child is started (its first Next(), e.g. a block decode) only once the
// merge reaches its bound, so a reader that stops early never touches it.
// `pause`, optional: the bound the children pause at (EntryIterator::Paused).
// While a child is paused the merge yields only entries short of the bound,
// then pauses itself; the next Next() resumes the paused children.
std::unique_ptr<EntryIterator> NewMergeEntryIterator(
    std::vector<std::unique_ptr<EntryIterator>> children, Direction direction,
    std::vector<int64_t> bounds = {}, const PauseBound* pause = nullptr);

}  // namespace skald::server::iter
