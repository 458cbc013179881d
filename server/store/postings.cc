#include "server/store/postings.h"

#include <algorithm>
#include <iterator>

namespace skald::server::store {

using common::MatchType;
using common::Result;
using common::Status;

Result<std::vector<uint64_t>> PostingsForValue(common::sqlite::Database& db,
                                               std::string_view tenant, std::string_view name,
                                               std::string_view value) {
  auto st = db.Prepare(
      "SELECT stream_id FROM postings WHERE tenant = ? AND name = ? AND value = ? "
      "ORDER BY stream_id");
  if (!st.ok()) return st.status();
  st->Bind(1, tenant).Bind(2, name).Bind(3, value);
  std::vector<uint64_t> out;
  while (true) {
    auto row = st->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    out.push_back(st->ColumnUint64(0));
  }
  return out;
}

Result<std::vector<uint64_t>> PostingsForMatcher(common::sqlite::Database& db,
                                                 std::string_view tenant,
                                                 const common::Matcher& matcher, bool want) {
  auto st = db.Prepare("SELECT value, stream_id FROM postings WHERE tenant = ? AND name = ?");
  if (!st.ok()) return st.status();
  st->Bind(1, tenant).Bind(2, matcher.name());
  std::vector<uint64_t> out;
  std::string last_value;
  bool have_last = false;
  bool keep = false;
  while (true) {
    auto row = st->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    std::string_view v = st->ColumnText(0);
    // Rows come in (value, stream_id) order: evaluate each value once.
    if (!have_last || v != last_value) {
      last_value.assign(v);
      have_last = true;
      keep = matcher.Matches(v) == want;
    }
    if (keep) out.push_back(st->ColumnUint64(1));
  }
  std::sort(out.begin(), out.end());
  return out;
}

namespace {

std::vector<uint64_t> Intersect(const std::vector<uint64_t>& a, const std::vector<uint64_t>& b) {
  std::vector<uint64_t> out;
  std::set_intersection(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

std::vector<uint64_t> Unite(const std::vector<uint64_t>& a, const std::vector<uint64_t>& b) {
  std::vector<uint64_t> out;
  std::set_union(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

}  // namespace

Result<PostingsPlan> ResolvePostings(common::sqlite::Database& db, std::string_view tenant,
                                     const std::vector<common::Matcher>& matchers) {
  PostingsPlan plan;
  // Equality lists first: cheap index range reads.
  std::vector<std::vector<uint64_t>> lists;
  for (const auto& m : matchers) {
    if (m.type() != MatchType::kEqual || m.value().empty()) continue;
    auto l = PostingsForValue(db, tenant, m.name(), m.value());
    if (!l.ok()) return l.status();
    lists.push_back(std::move(l).value());
    if (lists.back().empty()) {  // nothing can match
      plan.restricted = true;
      return plan;
    }
  }
  // Other matchers that reject "": scan the label's values.
  for (const auto& m : matchers) {
    if (m.MatchesEmpty() || (m.type() == MatchType::kEqual)) continue;
    auto l = PostingsForMatcher(db, tenant, m, /*want=*/true);
    if (!l.ok()) return l.status();
    lists.push_back(std::move(l).value());
    if (lists.back().empty()) {
      plan.restricted = true;
      return plan;
    }
  }
  if (!lists.empty()) {
    std::sort(lists.begin(), lists.end(),
              [](const auto& a, const auto& b) { return a.size() < b.size(); });
    plan.restricted = true;
    plan.include = std::move(lists[0]);
    for (size_t i = 1; i < lists.size() && !plan.include.empty(); ++i) {
      plan.include = Intersect(plan.include, lists[i]);
    }
    if (plan.include.empty()) return plan;
  }
  // Matchers that accept "": exclude the streams whose value fails them.
  for (const auto& m : matchers) {
    if (!m.MatchesEmpty()) continue;
    Result<std::vector<uint64_t>> l = std::vector<uint64_t>{};
    if (m.type() == MatchType::kNotEqual) {
      l = PostingsForValue(db, tenant, m.name(), m.value());
    } else {
      l = PostingsForMatcher(db, tenant, m, /*want=*/false);
    }
    if (!l.ok()) return l.status();
    plan.exclude = Unite(plan.exclude, *l);
  }
  return plan;
}

}  // namespace skald::server::store
