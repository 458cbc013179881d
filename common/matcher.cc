#include "common/matcher.h"

namespace skald::common {

std::string_view MatchTypeText(MatchType t) {
  switch (t) {
    case MatchType::kEqual: return "=";
    case MatchType::kNotEqual: return "!=";
    case MatchType::kRegex: return "=~";
    case MatchType::kNotRegex: return "!~";
  }
  return "=";
}

Result<Matcher> Matcher::Create(MatchType type, std::string name, std::string value) {
  Matcher m;
  m.type_ = type;
  m.name_ = std::move(name);
  m.value_ = std::move(value);
  if (type == MatchType::kRegex || type == MatchType::kNotRegex) {
    RE2::Options opts;
    opts.set_log_errors(false);
    opts.set_max_mem(8 << 20);
    auto re = std::make_shared<RE2>("^(?:" + m.value_ + ")$", opts);
    if (!re->ok()) {
      return Status::InvalidArgument("error parsing regexp: " + re->error() + ": `" + m.value_ + "`");
    }
    if (re->ProgramSize() > kMaxRegexProgramSize) {
      return Status::InvalidArgument("regexp too large: `" + m.value_ + "`");
    }
    m.re_ = std::move(re);
  }
  return m;
}

bool Matcher::Matches(std::string_view v) const {
  switch (type_) {
    case MatchType::kEqual: return v == value_;
    case MatchType::kNotEqual: return v != value_;
    case MatchType::kRegex: return RE2::FullMatch(v, *re_);
    case MatchType::kNotRegex: return !RE2::FullMatch(v, *re_);
  }
  return false;
}

std::string Matcher::ToString() const {
  std::string out = name_;
  out += MatchTypeText(type_);
  AppendGoQuoted(&out, value_);
  return out;
}

bool MatchesAll(const std::vector<Matcher>& matchers, const Labels& labels) {
  for (const auto& m : matchers) {
    auto v = labels.Get(m.name());
    if (!m.Matches(v.value_or(std::string_view()))) return false;
  }
  return true;
}

Status ValidateSelector(const std::vector<Matcher>& matchers) {
  for (const auto& m : matchers) {
    if (!m.MatchesEmpty()) return Status::OK();
  }
  return Status::InvalidArgument(
      "queries require at least one regexp or equality matcher that does not have an "
      "empty-compatible value. For instance, app=~\".*\" does not meet this requirement, but "
      "app=~\".+\" will");
}

}  // namespace skald::common
