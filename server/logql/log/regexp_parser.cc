#include "server/logql/log/regexp_parser.h"

#include <set>

#include "common/labels.h"

namespace skald::server::logql::log {

using common::Result;
using common::Status;

Result<std::unique_ptr<RegexpParser>> RegexpParser::Create(const std::string& re) {
  RE2::Options opts;
  opts.set_log_errors(false);
  opts.set_max_mem(kMaxParserRegexMemory);
  auto compiled = std::make_unique<RE2>(re, opts);
  if (!compiled->ok()) return Status::InvalidArgument("error parsing regexp: " + compiled->error());
  std::unique_ptr<RegexpParser> p(new RegexpParser());
  p->names_.assign(compiled->NumberOfCapturingGroups() + 1, "");
  // RE2 tolerates repeated group names; Loki rejects them.
  std::set<std::string> seen;
  for (size_t i = 0; (i = re.find("(?P<", i)) != std::string::npos; i += 4) {
    size_t end = re.find('>', i + 4);
    if (end == std::string::npos) break;
    std::string name = re.substr(i + 4, end - i - 4);
    if (!seen.insert(name).second) {
      return Status::InvalidArgument("duplicate extracted label name '" + name + "'");
    }
  }
  seen.clear();
  for (const auto& [name, idx] : compiled->NamedCapturingGroups()) {
    if (!common::IsValidLabelName(name)) {
      return Status::InvalidArgument("invalid extracted label name '" + name + "'");
    }
    if (!seen.insert(name).second) {
      return Status::InvalidArgument("duplicate extracted label name '" + name + "'");
    }
    p->names_[idx] = name;
  }
  if (seen.empty()) return Status::InvalidArgument("at least one named capture must be supplied");
  p->re_ = std::move(compiled);
  return p;
}

bool RegexpParser::Process(int64_t, std::string_view& line, LabelsBuilder& lbs) const {
  constexpr size_t kMaxGroups = 64;
  re2::StringPiece groups[kMaxGroups];
  size_t n = std::min(names_.size(), kMaxGroups);
  if (!re_->Match(re2::StringPiece(line.data(), line.size()), 0, line.size(), RE2::UNANCHORED, groups,
                  static_cast<int>(n))) {
    return true;
  }
  for (size_t i = 1; i < n; ++i) {
    if (names_[i].empty()) continue;
    lbs.SetExtracted(names_[i], std::string_view(groups[i].data(), groups[i].size()));
  }
  return true;
}

Result<std::unique_ptr<PatternParser>> PatternParser::Create(std::string_view pattern) {
  auto p = common::Pattern::Parse(pattern);
  if (!p.ok()) return p.status();
  return std::unique_ptr<PatternParser>(new PatternParser(std::move(p.value())));
}

bool PatternParser::Process(int64_t, std::string_view& line, LabelsBuilder& lbs) const {
  thread_local std::vector<std::string_view> caps;
  if (!p_.Matches(line, &caps)) return true;
  for (size_t i = 0; i < caps.size(); ++i) lbs.SetExtracted(p_.names()[i], caps[i]);
  return true;
}

}  // namespace skald::server::logql::log
