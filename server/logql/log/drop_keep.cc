#include "server/logql/log/drop_keep.h"

namespace skald::server::logql::log {

bool DropLabels::Process(int64_t, std::string_view&, LabelsBuilder& lbs) const {
  for (const LabelRef& r : refs_) {
    const std::string& name = r.Name();
    if (r.matcher) {
      auto v = lbs.Get(name);
      if (r.matcher->Matches(v.value_or(""))) lbs.Del(name);
      continue;
    }
    lbs.Del(name);
  }
  return true;
}

bool KeepLabels::Process(int64_t, std::string_view&, LabelsBuilder& lbs) const {
  if (refs_.empty()) return true;
  thread_local std::vector<std::string> drop;
  drop.clear();
  lbs.ForEach([&](std::string_view name, std::string_view value) {
    if (name == kErrorLabel || name == kErrorDetailsLabel) return;
    for (const LabelRef& r : refs_) {
      if (r.matcher) {
        if (r.matcher->name() == name && r.matcher->Matches(value)) return;
      } else if (r.name == name) {
        return;
      }
    }
    drop.emplace_back(name);
  });
  for (const std::string& n : drop) lbs.Del(n);
  return true;
}

}  // namespace skald::server::logql::log
