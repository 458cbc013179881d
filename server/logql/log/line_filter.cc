#include "server/logql/log/line_filter.h"

#include <re2/re2.h>
#include <string.h>

#include "common/pattern.h"
#include "server/logql/log/ip_matcher.h"

namespace skald::server::logql::log {

using common::Result;
using common::Status;

namespace {

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

class TrueMatcher final : public LineMatcher {
 public:
  bool Match(std::string_view) const override { return true; }
};

class NonEmptyMatcher final : public LineMatcher {
 public:
  bool Match(std::string_view line) const override { return !line.empty(); }
};

class ContainsMatcher final : public LineMatcher {
 public:
  explicit ContainsMatcher(std::string needle) : needle_(std::move(needle)) {}
  bool Match(std::string_view line) const override {
    if (needle_.empty()) return true;
    return memmem(line.data(), line.size(), needle_.data(), needle_.size()) != nullptr;
  }
  std::vector<std::string> RequiredLiterals() const override {
    if (needle_.empty()) return {};
    return {needle_};
  }

 private:
  std::string needle_;
};

// ASCII case-insensitive substring search (non-ASCII needles use RE2).
class ContainsFoldMatcher final : public LineMatcher {
 public:
  explicit ContainsFoldMatcher(std::string_view needle) {
    for (char c : needle) lower_.push_back(Lower(c));
  }
  bool Match(std::string_view line) const override {
    size_t n = lower_.size();
    if (n == 0) return true;
    if (line.size() < n) return false;
    char first = lower_[0];
    for (size_t i = 0; i + n <= line.size(); ++i) {
      if (Lower(line[i]) != first) continue;
      size_t k = 1;
      while (k < n && Lower(line[i + k]) == lower_[k]) ++k;
      if (k == n) return true;
    }
    return false;
  }

 private:
  std::string lower_;
};

class Re2Matcher final : public LineMatcher {
 public:
  explicit Re2Matcher(std::unique_ptr<RE2> re) : re_(std::move(re)) {}
  bool Match(std::string_view line) const override {
    return RE2::PartialMatch(re2::StringPiece(line.data(), line.size()), *re_);
  }

 private:
  std::unique_ptr<RE2> re_;
};

class OrMatcher final : public LineMatcher {
 public:
  explicit OrMatcher(std::vector<std::unique_ptr<LineMatcher>> ms) : ms_(std::move(ms)) {}
  bool Match(std::string_view line) const override {
    for (const auto& m : ms_) {
      if (m->Match(line)) return true;
    }
    return false;
  }

 private:
  std::vector<std::unique_ptr<LineMatcher>> ms_;
};

class PatternMatcher final : public LineMatcher {
 public:
  explicit PatternMatcher(common::Pattern p) : p_(std::move(p)) {}
  bool Match(std::string_view line) const override { return p_.Test(line); }
  std::vector<std::string> RequiredLiterals() const override {
    std::vector<std::string> out;
    for (auto& l : p_.Literals()) {
      if (!l.empty()) out.push_back(l);
    }
    return out;
  }

 private:
  common::Pattern p_;
};

class IpLineMatcher final : public LineMatcher {
 public:
  explicit IpLineMatcher(IpMatcher m) : m_(std::move(m)) {}
  bool Match(std::string_view line) const override { return m_.MatchText(line); }

 private:
  IpMatcher m_;
};

constexpr std::string_view kRegexMeta = "\\.+*?()|[]{}^$";

// One alternation branch of a simplifiable regex: [.*] literal [.*].
struct Branch {
  std::string literal;
  bool any_prefix = false;
  bool any_suffix = false;
};

// Splits `re` into literal branches; false when it is not that simple.
bool SplitLiteralBranches(std::string_view re, std::vector<Branch>* out) {
  out->assign(1, Branch{});
  size_t i = 0;
  while (i < re.size()) {
    Branch& b = out->back();
    char c = re[i];
    if (re.substr(i, 2) == ".*") {
      bool at_start = b.literal.empty() && !b.any_prefix;
      bool at_end = i + 2 == re.size() || re[i + 2] == '|';
      if (at_start) {
        b.any_prefix = true;
      } else if (at_end) {
        b.any_suffix = true;
      } else {
        return false;
      }
      i += 2;
      continue;
    }
    if (b.any_suffix && c != '|') return false;
    if (c == '|') {
      out->push_back(Branch{});
      ++i;
      continue;
    }
    if (c == '\\') {
      if (i + 1 >= re.size()) return false;
      char e = re[i + 1];
      bool punct = (e >= 0x21 && e <= 0x2f) || (e >= 0x3a && e <= 0x40) || (e >= 0x5b && e <= 0x60) ||
                   (e >= 0x7b && e <= 0x7e);
      if (!punct) return false;
      if (b.any_suffix) return false;
      b.literal.push_back(e);
      i += 2;
      continue;
    }
    if (kRegexMeta.find(c) != std::string_view::npos) return false;
    b.literal.push_back(c);
    ++i;
  }
  return true;
}

bool IsAscii(std::string_view s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  }
  return true;
}

// Loki-style simplification; nullptr when RE2 is needed.
std::unique_ptr<LineMatcher> Simplify(std::string_view re) {
  bool fold = false;
  if (re.substr(0, 4) == "(?i)") {
    fold = true;
    re.remove_prefix(4);
  }
  // Strip one wrapping group: (…) or (?:…) with no inner parentheses.
  if (re.size() >= 2 && re.front() == '(' && re.back() == ')') {
    std::string_view inner = re.substr(1, re.size() - 2);
    if (inner.substr(0, 2) == "?:") inner.remove_prefix(2);
    if (inner.find_first_of("()") == std::string_view::npos && inner.find('?') != 0) re = inner;
  }
  if (re == ".+" ) return std::make_unique<NonEmptyMatcher>();
  std::vector<Branch> branches;
  if (!SplitLiteralBranches(re, &branches)) return nullptr;
  std::vector<std::unique_ptr<LineMatcher>> ms;
  for (const Branch& b : branches) {
    if (b.literal.empty()) return std::make_unique<TrueMatcher>();
    if (fold) {
      if (!IsAscii(b.literal)) return nullptr;
      ms.push_back(std::make_unique<ContainsFoldMatcher>(b.literal));
    } else {
      ms.push_back(std::make_unique<ContainsMatcher>(b.literal));
    }
  }
  if (ms.size() == 1) return std::move(ms[0]);
  return std::make_unique<OrMatcher>(std::move(ms));
}

Result<std::unique_ptr<LineMatcher>> NewTermMatcher(FilterOp op, const LineFilterTerm& t) {
  if (t.is_ip) {
    if (op != FilterOp::kContains && op != FilterOp::kNotContains) {
      return Status::InvalidArgument("ip: invalid operation");
    }
    auto m = IpMatcher::Create(t.value);
    if (!m.ok()) return m.status();
    return std::unique_ptr<LineMatcher>(std::make_unique<IpLineMatcher>(std::move(m.value())));
  }
  switch (op) {
    case FilterOp::kContains:
    case FilterOp::kNotContains:
      return std::unique_ptr<LineMatcher>(std::make_unique<ContainsMatcher>(t.value));
    case FilterOp::kRegex:
    case FilterOp::kNotRegex:
      return NewRegexLineMatcher(t.value);
    case FilterOp::kPattern:
    case FilterOp::kNotPattern: {
      auto p = common::Pattern::ParseLineFilter(t.value);
      if (!p.ok()) return p.status();
      return std::unique_ptr<LineMatcher>(std::make_unique<PatternMatcher>(std::move(p.value())));
    }
  }
  return Status::Internal("unknown line filter op");
}

}  // namespace

Result<std::unique_ptr<LineMatcher>> NewRegexLineMatcher(std::string_view re) {
  RE2::Options opts;
  opts.set_log_errors(false);
  opts.set_max_mem(kMaxLineRegexMemory);
  auto compiled = std::make_unique<RE2>(re2::StringPiece(re.data(), re.size()), opts);
  if (!compiled->ok()) {
    return Status::InvalidArgument("error parsing regexp: " + compiled->error());
  }
  if (auto s = Simplify(re)) return s;
  return std::unique_ptr<LineMatcher>(std::make_unique<Re2Matcher>(std::move(compiled)));
}

Result<std::unique_ptr<LineFilter>> LineFilter::Create(FilterOp op, std::vector<LineFilterTerm> terms) {
  if (terms.empty()) return Status::InvalidArgument("line filter needs at least one term");
  std::vector<std::unique_ptr<LineMatcher>> ms;
  for (const LineFilterTerm& t : terms) {
    auto m = NewTermMatcher(op, t);
    if (!m.ok()) return m.status();
    ms.push_back(std::move(m.value()));
  }
  bool negate = op == FilterOp::kNotContains || op == FilterOp::kNotRegex || op == FilterOp::kNotPattern;
  std::unique_ptr<LineMatcher> m =
      ms.size() == 1 ? std::move(ms[0]) : std::make_unique<OrMatcher>(std::move(ms));
  return std::unique_ptr<LineFilter>(new LineFilter(std::move(m), negate));
}

Result<std::unique_ptr<LineFilter>> LineFilter::Create(FilterOp op, const std::vector<std::string>& terms) {
  std::vector<LineFilterTerm> ts;
  for (const std::string& s : terms) ts.push_back(LineFilterTerm{s, false});
  return Create(op, std::move(ts));
}

bool LineFilter::Process(int64_t, std::string_view& line, LabelsBuilder&) const { return Keep(line); }

std::vector<std::string> LineFilter::RequiredLiterals() const {
  if (negate_) return {};
  return matcher_->RequiredLiterals();
}

}  // namespace skald::server::logql::log
