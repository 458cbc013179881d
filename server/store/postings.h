// Postings: resolving label matchers to sorted stream-id lists through the
// postings table (tenant, name, value, stream_id).
//
// A matcher that rejects "" (`app="api"`, `app=~"a.+"`) yields the streams
// that have a satisfying value: an include list. A matcher that accepts ""
// (`app!="api"`, `app=~"a|"`, `app=""`) also matches streams lacking the
// label, so it yields the streams whose value fails it: an exclude list
// (Prometheus' inverse postings). Include lists are intersected smallest
// first; exclude lists are united.
//
// Free functions over one connection; callers serialise use of `db`.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "common/matcher.h"
#include "common/sqlite.h"
#include "common/status.h"

namespace skald::server::store {

struct PostingsPlan {
  // True when some matcher rejects "": only `include` can match. False when
  // every matcher accepts "" (all of the tenant's streams are candidates).
  bool restricted = false;
  std::vector<uint64_t> include;  // sorted stream ids (meaningful when restricted)
  std::vector<uint64_t> exclude;  // sorted stream ids that fail a matcher
};

// Resolves `matchers` for `tenant`. Errors are SQLite failures.
common::Result<PostingsPlan> ResolvePostings(common::sqlite::Database& db, std::string_view tenant,
                                             const std::vector<common::Matcher>& matchers);

// Sorted ids of the tenant's streams with label `name` = `value`.
common::Result<std::vector<uint64_t>> PostingsForValue(common::sqlite::Database& db,
                                                       std::string_view tenant,
                                                       std::string_view name,
                                                       std::string_view value);

// Sorted ids of the tenant's streams whose value of `name` satisfies
// `matcher` (when `want` is true) or fails it (when false). Streams lacking
// the label are never returned.
common::Result<std::vector<uint64_t>> PostingsForMatcher(common::sqlite::Database& db,
                                                         std::string_view tenant,
                                                         const common::Matcher& matcher, bool want);

}  // namespace skald::server::store
