#include "server/logql/log/label_filter.h"

#include "common/template_convert.h"
#include "common/time.h"

namespace skald::server::logql::log {

namespace {

template <typename T>
bool Compare(CompareOp op, T a, T b) {
  switch (op) {
    case CompareOp::kEq: return a == b;
    case CompareOp::kNe: return a != b;
    case CompareOp::kGt: return a > b;
    case CompareOp::kGe: return a >= b;
    case CompareOp::kLt: return a < b;
    case CompareOp::kLe: return a <= b;
  }
  return false;
}

void FlagError(LabelsBuilder& lbs, const common::Status& st) {
  if (lbs.HasErr()) return;  // 3.x: never overwrite an existing error
  lbs.SetErr(kLabelFilterErr);
  lbs.SetErrDetails(st.message());
}

class StringFilter final : public LabelFilter {
 public:
  explicit StringFilter(common::Matcher m) : m_(std::move(m)) {}
  bool Process(int64_t, std::string_view&, LabelsBuilder& lbs) const override {
    return m_.Matches(lbs.GetOrEmpty(m_.name()));
  }

 private:
  common::Matcher m_;
};

// Typed comparison: Parse(label text) -> Result<T>.
template <typename T, typename Parse>
class TypedFilter final : public LabelFilter {
 public:
  TypedFilter(std::string name, CompareOp op, T value, Parse parse)
      : name_(std::move(name)), op_(op), value_(value), parse_(parse) {}
  bool Process(int64_t, std::string_view&, LabelsBuilder& lbs) const override {
    auto v = lbs.Get(name_);
    if (!v) return false;
    auto parsed = parse_(*v);
    if (!parsed.ok()) {
      FlagError(lbs, parsed.status());
      return true;
    }
    return Compare<T>(op_, static_cast<T>(parsed.value()), value_);
  }

 private:
  std::string name_;
  CompareOp op_;
  T value_;
  Parse parse_;
};

class IpFilter final : public LabelFilter {
 public:
  IpFilter(std::string name, bool negate, IpMatcher m) : name_(std::move(name)), negate_(negate), m_(std::move(m)) {}
  bool Process(int64_t, std::string_view&, LabelsBuilder& lbs) const override {
    if (lbs.HasErr()) return true;  // only string filters can drop erroring lines
    auto v = lbs.Get(name_);
    if (!v) return false;
    return m_.MatchText(*v) != negate_;
  }

 private:
  std::string name_;
  bool negate_;
  IpMatcher m_;
};

class BinaryFilter final : public LabelFilter {
 public:
  BinaryFilter(bool is_and, std::unique_ptr<LabelFilter> a, std::unique_ptr<LabelFilter> b)
      : and_(is_and), a_(std::move(a)), b_(std::move(b)) {}
  bool Process(int64_t ts, std::string_view& line, LabelsBuilder& lbs) const override {
    bool l = a_->Process(ts, line, lbs);
    if (!and_ && l) return true;
    bool r = b_->Process(ts, line, lbs);
    return and_ ? (l && r) : (l || r);
  }

 private:
  bool and_;
  std::unique_ptr<LabelFilter> a_;
  std::unique_ptr<LabelFilter> b_;
};

}  // namespace

std::unique_ptr<LabelFilter> LabelFilter::String(common::Matcher m) {
  return std::make_unique<StringFilter>(std::move(m));
}

std::unique_ptr<LabelFilter> LabelFilter::Numeric(std::string name, CompareOp op, double value) {
  auto parse = [](std::string_view s) { return common::ParseGoFloat(s); };
  return std::make_unique<TypedFilter<double, decltype(parse)>>(std::move(name), op, value, parse);
}

std::unique_ptr<LabelFilter> LabelFilter::Duration(std::string name, CompareOp op, int64_t value_ns) {
  auto parse = [](std::string_view s) { return common::ParseGoDuration(s); };
  return std::make_unique<TypedFilter<int64_t, decltype(parse)>>(std::move(name), op, value_ns, parse);
}

std::unique_ptr<LabelFilter> LabelFilter::Bytes(std::string name, CompareOp op, uint64_t value) {
  auto parse = [](std::string_view s) { return common::ParseHumanBytes(s); };
  return std::make_unique<TypedFilter<uint64_t, decltype(parse)>>(std::move(name), op, value, parse);
}

common::Result<std::unique_ptr<LabelFilter>> LabelFilter::Ip(std::string name, CompareOp op,
                                                             std::string_view pattern) {
  if (op != CompareOp::kEq && op != CompareOp::kNe) {
    return common::Status::InvalidArgument("ip: invalid operation");
  }
  auto m = IpMatcher::Create(pattern);
  if (!m.ok()) return m.status();
  return std::unique_ptr<LabelFilter>(
      std::make_unique<IpFilter>(std::move(name), op == CompareOp::kNe, std::move(m.value())));
}

std::unique_ptr<LabelFilter> LabelFilter::And(std::unique_ptr<LabelFilter> a, std::unique_ptr<LabelFilter> b) {
  return std::make_unique<BinaryFilter>(true, std::move(a), std::move(b));
}

std::unique_ptr<LabelFilter> LabelFilter::Or(std::unique_ptr<LabelFilter> a, std::unique_ptr<LabelFilter> b) {
  return std::make_unique<BinaryFilter>(false, std::move(a), std::move(b));
}

}  // namespace skald::server::logql::log
