#include "server/logql/metric_query.h"

#include <re2/re2.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <unordered_map>

#include "common/clock.h"
#include "server/logql/range_aggregation.h"

namespace skald::server::logql {

namespace ql = common::logql;
using common::Label;
using common::Labels;
using common::Result;
using common::Status;

namespace {

// A scalar (same value at every step) or a set of series.
struct Value {
  bool is_scalar = false;
  double scalar = 0;
  std::vector<StepSeries> series;
};

Result<Value> Eval(const ql::Expr& e, const EvalContext& ctx);

Labels KeepOnly(const Labels& l, const std::vector<std::string>& names, bool keep) {
  std::vector<Label> out;
  for (const auto& p : l.pairs()) {
    bool listed = std::find(names.begin(), names.end(), p.name) != names.end();
    if (listed == keep) out.push_back(p);
  }
  return Labels(std::move(out));
}

Labels GroupLabels(const Labels& l, const ql::Grouping& g) { return KeepOnly(l, g.labels, !g.without); }

// ---- vector aggregation ----

bool CanInjectGrouping(ql::VectorOp vop, ql::RangeOp rop) {
  if (vop != ql::VectorOp::kSum) return false;
  switch (rop) {
    case ql::RangeOp::kBytesOverTime:
    case ql::RangeOp::kBytesRate:
    case ql::RangeOp::kCountOverTime:
    case ql::RangeOp::kRate:
    case ql::RangeOp::kSumOverTime:
      return true;
    default:
      return false;
  }
}

struct Agg {
  double value = 0, mean = 0;
  double count = 0;
  bool has = false;
};

Result<Value> EvalVectorAggregation(const ql::VectorAggregationExpr& e, const EvalContext& ctx) {
  Result<Value> inner = Status::Internal("unset");
  if (e.inner->kind() == ql::ExprKind::kRangeAggregation &&
      CanInjectGrouping(e.op, e.inner->As<ql::RangeAggregationExpr>().op) &&
      !e.inner->As<ql::RangeAggregationExpr>().grouping) {
    auto r = EvalRangeAggregation(e.inner->As<ql::RangeAggregationExpr>(), ctx, &e.grouping);
    if (!r.ok()) return r.status();
    inner = Value{false, 0, std::move(*r)};
  } else {
    inner = Eval(*e.inner, ctx);
  }
  if (!inner.ok()) return inner.status();
  const size_t n = ctx.steps.size();
  Value out;
  auto& in = inner->series;

  if (e.op == ql::VectorOp::kTopk || e.op == ql::VectorOp::kBottomk ||
      e.op == ql::VectorOp::kSort || e.op == ql::VectorOp::kSortDesc) {
    // Keep the original series; select per step and group.
    std::vector<StepSeries> res = in;
    for (auto& s : res) std::fill(s.has.begin(), s.has.end(), 0);
    if (e.op == ql::VectorOp::kSort || e.op == ql::VectorOp::kSortDesc) {
      res = in;
      out.series = std::move(res);
      return out;
    }
    const bool top = e.op == ql::VectorOp::kTopk;
    for (size_t i = 0; i < n; ++i) {
      std::map<std::string, std::vector<size_t>> groups;
      for (size_t j = 0; j < in.size(); ++j) {
        if (in[j].has[i]) groups[GroupLabels(in[j].labels, e.grouping).ToString()].push_back(j);
      }
      for (auto& [_, idx] : groups) {
        std::stable_sort(idx.begin(), idx.end(), [&](size_t a, size_t b) {
          double va = in[a].values[i], vb = in[b].values[i];
          if (std::isnan(va)) return false;
          if (std::isnan(vb)) return true;
          return top ? va > vb : va < vb;
        });
        for (size_t k = 0; k < idx.size() && k < static_cast<size_t>(e.param); ++k) {
          res[idx[k]].has[i] = 1;
          res[idx[k]].values[i] = in[idx[k]].values[i];
        }
      }
    }
    for (auto& s : res) {
      if (std::any_of(s.has.begin(), s.has.end(), [](uint8_t h) { return h; })) {
        out.series.push_back(std::move(s));
      }
    }
    return out;
  }

  std::map<std::string, std::pair<Labels, std::vector<Agg>>> groups;
  for (const auto& s : in) {
    Labels g = GroupLabels(s.labels, e.grouping);
    auto& slot = groups[g.ToString()];
    if (slot.second.empty()) {
      slot.first = std::move(g);
      slot.second.resize(n);
    }
    for (size_t i = 0; i < n; ++i) {
      if (!s.has[i]) continue;
      double v = s.values[i];
      Agg& a = slot.second[i];
      if (!a.has) {
        a.has = true;
        a.count = 1;
        a.value = v;
        a.mean = v;
        if (e.op == ql::VectorOp::kStddev || e.op == ql::VectorOp::kStdvar) a.value = 0;
        if (e.op == ql::VectorOp::kCount) a.value = 1;
        continue;
      }
      a.count++;
      switch (e.op) {
        case ql::VectorOp::kSum: a.value += v; break;
        case ql::VectorOp::kAvg:
          if (std::isinf(a.mean)) {
            if (std::isinf(v) && (a.mean > 0) == (v > 0)) break;
            if (!std::isinf(v) && !std::isnan(v)) break;
          }
          a.mean += v / a.count - a.mean / a.count;
          break;
        case ql::VectorOp::kMax:
          if (a.value < v || std::isnan(a.value)) a.value = v;
          break;
        case ql::VectorOp::kMin:
          if (a.value > v || std::isnan(a.value)) a.value = v;
          break;
        case ql::VectorOp::kCount: a.value += 1; break;
        case ql::VectorOp::kStddev:
        case ql::VectorOp::kStdvar: {
          double delta = v - a.mean;
          a.mean += delta / a.count;
          a.value += delta * (v - a.mean);
          break;
        }
        default: break;
      }
    }
  }
  for (auto& [_, slot] : groups) {
    StepSeries s{std::move(slot.first), std::vector<double>(n, 0), std::vector<uint8_t>(n, 0)};
    for (size_t i = 0; i < n; ++i) {
      const Agg& a = slot.second[i];
      if (!a.has) continue;
      s.has[i] = 1;
      switch (e.op) {
        case ql::VectorOp::kAvg: s.values[i] = a.mean; break;
        case ql::VectorOp::kStdvar: s.values[i] = a.value / a.count; break;
        case ql::VectorOp::kStddev: s.values[i] = std::sqrt(a.value / a.count); break;
        default: s.values[i] = a.value; break;
      }
    }
    out.series.push_back(std::move(s));
  }
  return out;
}

// ---- binary operators ----

std::optional<double> Arith(ql::BinaryOp op, double l, double r) {
  switch (op) {
    case ql::BinaryOp::kAdd: return l + r;
    case ql::BinaryOp::kSub: return l - r;
    case ql::BinaryOp::kMul: return l * r;
    // Loki (unlike PromQL) yields NaN for a zero divisor.
    case ql::BinaryOp::kDiv: return r == 0 ? std::nan("") : l / r;
    case ql::BinaryOp::kMod: return r == 0 ? std::nan("") : std::fmod(l, r);
    case ql::BinaryOp::kPow: return std::pow(l, r);
    default: return std::nullopt;
  }
}

bool Compare(ql::BinaryOp op, double l, double r) {
  switch (op) {
    case ql::BinaryOp::kEq: return l == r;
    case ql::BinaryOp::kNeq: return l != r;
    case ql::BinaryOp::kGt: return l > r;
    case ql::BinaryOp::kGte: return l >= r;
    case ql::BinaryOp::kLt: return l < r;
    case ql::BinaryOp::kLte: return l <= r;
    default: return false;
  }
}

// value, keep — PromQL's vectorElemBinop with the comparison/bool rules.
std::pair<double, bool> ElemOp(const ql::BinaryExpr& e, double l, double r, double keep_value) {
  if (ql::IsComparison(e.op)) {
    bool ok = Compare(e.op, l, r);
    if (e.return_bool) return {ok ? 1.0 : 0.0, true};
    return {keep_value, ok};
  }
  return {*Arith(e.op, l, r), true};
}

Labels Signature(const Labels& l, const ql::VectorMatching& m) {
  return KeepOnly(l, m.labels, m.on);
}

Result<Value> EvalBinary(const ql::BinaryExpr& e, const EvalContext& ctx) {
  auto lhs = Eval(*e.lhs, ctx);
  if (!lhs.ok()) return lhs.status();
  auto rhs = Eval(*e.rhs, ctx);
  if (!rhs.ok()) return rhs.status();
  const size_t n = ctx.steps.size();
  Value out;
  if (lhs->is_scalar && rhs->is_scalar) {
    out.is_scalar = true;
    out.scalar = ElemOp(e, lhs->scalar, rhs->scalar, lhs->scalar).first;
    if (ql::IsComparison(e.op) && !e.return_bool) {
      out.scalar = Compare(e.op, lhs->scalar, rhs->scalar) ? 1 : 0;
    }
    return out;
  }
  if (lhs->is_scalar || rhs->is_scalar) {
    const bool scalar_left = lhs->is_scalar;
    Value& vec = scalar_left ? *rhs : *lhs;
    double sc = scalar_left ? lhs->scalar : rhs->scalar;
    for (auto& s : vec.series) {
      StepSeries r{s.labels, std::vector<double>(n, 0), std::vector<uint8_t>(n, 0)};
      bool any = false;
      for (size_t i = 0; i < n; ++i) {
        if (!s.has[i]) continue;
        double l = scalar_left ? sc : s.values[i];
        double rr = scalar_left ? s.values[i] : sc;
        auto [v, keep] = ElemOp(e, l, rr, s.values[i]);
        if (!keep) continue;
        r.values[i] = v;
        r.has[i] = 1;
        any = true;
      }
      if (any) out.series.push_back(std::move(r));
    }
    return out;
  }

  const auto& m = e.matching;
  auto& L = lhs->series;
  auto& R = rhs->series;
  if (ql::IsSetOperation(e.op)) {
    for (size_t i = 0; i < n; ++i) {
      std::map<std::string, bool> rsig, lsig;
      for (const auto& s : R) {
        if (s.has[i]) rsig[Signature(s.labels, m).ToString()] = true;
      }
      for (const auto& s : L) {
        if (s.has[i]) lsig[Signature(s.labels, m).ToString()] = true;
      }
      (void)lsig;
    }
    // Per step membership, series kept where the rule holds.
    auto present = [&](const std::vector<StepSeries>& side, size_t i) {
      std::map<std::string, bool> sig;
      for (const auto& s : side) {
        if (s.has[i]) sig[Signature(s.labels, m).ToString()] = true;
      }
      return sig;
    };
    std::vector<StepSeries> lres = L, rres;
    for (auto& s : lres) std::fill(s.has.begin(), s.has.end(), 0);
    if (e.op == ql::BinaryOp::kOr) {
      rres = R;
      for (auto& s : rres) std::fill(s.has.begin(), s.has.end(), 0);
    }
    for (size_t i = 0; i < n; ++i) {
      auto rs = present(R, i);
      auto ls = present(L, i);
      for (size_t j = 0; j < L.size(); ++j) {
        if (!L[j].has[i]) continue;
        bool in_r = rs.count(Signature(L[j].labels, m).ToString()) > 0;
        bool keep = e.op == ql::BinaryOp::kAnd ? in_r : e.op == ql::BinaryOp::kUnless ? !in_r : true;
        if (keep) lres[j].has[i] = 1;
      }
      if (e.op == ql::BinaryOp::kOr) {
        for (size_t j = 0; j < R.size(); ++j) {
          if (R[j].has[i] && !ls.count(Signature(R[j].labels, m).ToString())) rres[j].has[i] = 1;
        }
      }
    }
    for (auto* side : {&lres, &rres}) {
      for (auto& s : *side) {
        if (std::any_of(s.has.begin(), s.has.end(), [](uint8_t h) { return h; })) {
          out.series.push_back(std::move(s));
        }
      }
    }
    return out;
  }

  // Arithmetic/comparison between vectors: one-to-one, or many-to-one with
  // group_left (group_right swaps the sides).
  const bool right_many = m.card == ql::Cardinality::kOneToMany;
  auto& many = right_many ? R : L;
  auto& one = right_many ? L : R;
  std::map<std::string, StepSeries> results;
  for (size_t i = 0; i < n; ++i) {
    std::unordered_map<std::string, size_t> one_by_sig;
    for (size_t j = 0; j < one.size(); ++j) {
      if (!one[j].has[i]) continue;
      std::string sig = Signature(one[j].labels, m).ToString();
      if (!one_by_sig.emplace(sig, j).second) {
        return Status::InvalidArgument(
            "found duplicate series for the match group " + sig + " on the " +
            (right_many ? "left" : "right") +
            " hand-side of the operation: many-to-many matching not allowed: matching labels "
            "must be unique on one side");
      }
    }
    std::unordered_map<std::string, size_t> seen_many;
    for (size_t j = 0; j < many.size(); ++j) {
      if (!many[j].has[i]) continue;
      std::string sig = Signature(many[j].labels, m).ToString();
      auto o = one_by_sig.find(sig);
      if (o == one_by_sig.end()) continue;
      if (m.card == ql::Cardinality::kOneToOne && !seen_many.emplace(sig, j).second) {
        return Status::InvalidArgument(
            "multiple matches for labels: many-to-one matching must be explicit "
            "(group_left/group_right)");
      }
      const StepSeries& ls = right_many ? one[o->second] : many[j];
      const StepSeries& rs = right_many ? many[j] : one[o->second];
      auto [v, keep] = ElemOp(e, ls.values[i], rs.values[i], ls.values[i]);
      if (!keep) continue;
      // Result labels (PromQL resultMetric).
      Labels res;
      if (m.card == ql::Cardinality::kOneToOne) {
        res = m.on ? KeepOnly(ls.labels, m.labels, true) : KeepOnly(ls.labels, m.labels, false);
        if (!ql::IsComparison(e.op) || e.return_bool) {
        } else {
          res = ls.labels;
        }
      } else {
        std::vector<Label> v2 = many[j].labels.pairs();
        const Labels& src = one[o->second].labels;
        for (const auto& name : m.include) {
          std::erase_if(v2, [&](const Label& l) { return l.name == name; });
          if (auto val = src.Get(name)) v2.push_back({name, std::string(*val)});
        }
        res = Labels(std::move(v2));
      }
      std::string key = res.ToString();
      auto it = results.find(key);
      if (it == results.end()) {
        it = results.emplace(key, StepSeries{res, std::vector<double>(n, 0),
                                             std::vector<uint8_t>(n, 0)}).first;
      } else if (it->second.has[i]) {
        return Status::InvalidArgument(
            "multiple matches for labels: grouping labels must ensure unique matches");
      }
      it->second.values[i] = v;
      it->second.has[i] = 1;
    }
  }
  for (auto& [_, s] : results) out.series.push_back(std::move(s));
  return out;
}

// ---- label_replace ----

Result<Value> EvalLabelReplace(const ql::LabelReplaceExpr& e, const EvalContext& ctx) {
  auto inner = Eval(*e.inner, ctx);
  if (!inner.ok()) return inner.status();
  RE2 re("^(?:" + e.regex + ")$");
  if (!re.ok()) return Status::InvalidArgument("invalid regular expression in label_replace(): " + e.regex);
  if (!common::IsValidLabelName(e.dst)) {
    return Status::InvalidArgument("invalid destination label name in label_replace(): " + e.dst);
  }
  const int groups = re.NumberOfCapturingGroups();
  const auto& named = re.NamedCapturingGroups();
  std::map<std::string, StepSeries> merged;
  for (auto& s : inner->series) {
    std::string src(s.labels.Get(e.src).value_or(""));
    std::vector<re2::StringPiece> sub(static_cast<size_t>(groups) + 1);
    if (re.Match(src, 0, src.size(), RE2::UNANCHORED, sub.data(), groups + 1)) {
      // Expand $1, ${1}, $name, ${name} (Go's Regexp.Expand).
      std::string out;
      const std::string& t = e.replacement;
      for (size_t i = 0; i < t.size(); ++i) {
        if (t[i] != '$' || i + 1 >= t.size()) {
          out.push_back(t[i]);
          continue;
        }
        if (t[i + 1] == '$') {
          out.push_back('$');
          ++i;
          continue;
        }
        std::string name;
        size_t j = i + 1;
        if (t[j] == '{') {
          size_t close = t.find('}', j);
          if (close == std::string::npos) {
            out.push_back('$');
            continue;
          }
          name = t.substr(j + 1, close - j - 1);
          j = close + 1;
        } else {
          while (j < t.size() && (std::isalnum(static_cast<unsigned char>(t[j])) || t[j] == '_')) ++j;
          name = t.substr(i + 1, j - i - 1);
        }
        if (name.empty()) {
          out.push_back('$');
          continue;
        }
        int idx = -1;
        if (std::all_of(name.begin(), name.end(), ::isdigit)) {
          idx = std::stoi(name);
        } else if (auto it = named.find(name); it != named.end()) {
          idx = it->second;
        }
        if (idx >= 0 && idx <= groups) out.append(sub[static_cast<size_t>(idx)].data(), sub[static_cast<size_t>(idx)].size());
        i = j - 1;
      }
      std::vector<Label> v;
      for (const auto& l : s.labels.pairs()) {
        if (l.name != e.dst) v.push_back(l);
      }
      if (!out.empty()) v.push_back({e.dst, out});
      s.labels = Labels(std::move(v));
    }
    merged[s.labels.ToString()] = std::move(s);
  }
  Value out;
  for (auto& [_, s] : merged) out.series.push_back(std::move(s));
  return out;
}

Result<Value> Eval(const ql::Expr& e, const EvalContext& ctx) {
  const size_t n = ctx.steps.size();
  switch (e.kind()) {
    case ql::ExprKind::kLiteral: return Value{true, e.As<ql::LiteralExpr>().value, {}};
    case ql::ExprKind::kVector: {
      Value v;
      v.series.push_back({Labels(), std::vector<double>(n, e.As<ql::VectorExpr>().value),
                          std::vector<uint8_t>(n, 1)});
      return v;
    }
    case ql::ExprKind::kRangeAggregation: {
      auto r = EvalRangeAggregation(e.As<ql::RangeAggregationExpr>(), ctx, nullptr);
      if (!r.ok()) return r.status();
      return Value{false, 0, std::move(*r)};
    }
    case ql::ExprKind::kVectorAggregation: return EvalVectorAggregation(e.As<ql::VectorAggregationExpr>(), ctx);
    case ql::ExprKind::kBinary: return EvalBinary(e.As<ql::BinaryExpr>(), ctx);
    case ql::ExprKind::kLabelReplace: return EvalLabelReplace(e.As<ql::LabelReplaceExpr>(), ctx);
    case ql::ExprKind::kLogSelector:
      return Status::InvalidArgument("unexpected log selector in a metric query");
  }
  return Status::Internal("unknown expression kind");
}

bool HasSort(const ql::Expr& e) {
  switch (e.kind()) {
    case ql::ExprKind::kVectorAggregation: {
      const auto& v = e.As<ql::VectorAggregationExpr>();
      return v.op == ql::VectorOp::kSort || v.op == ql::VectorOp::kSortDesc || HasSort(*v.inner);
    }
    case ql::ExprKind::kBinary:
      return HasSort(*e.As<ql::BinaryExpr>().lhs) || HasSort(*e.As<ql::BinaryExpr>().rhs);
    case ql::ExprKind::kLabelReplace: return HasSort(*e.As<ql::LabelReplaceExpr>().inner);
    default: return false;
  }
}

std::optional<bool> SortDescending(const ql::Expr& e) {
  if (e.kind() == ql::ExprKind::kVectorAggregation) {
    const auto& v = e.As<ql::VectorAggregationExpr>();
    if (v.op == ql::VectorOp::kSort) return false;
    if (v.op == ql::VectorOp::kSortDesc) return true;
  }
  return std::nullopt;
}

}  // namespace

Result<QueryResult> EvalMetricQuery(const ql::Expr& expr, const MetricQueryParams& p,
                                    Querier& querier, common::ThreadPool& pool) {
  const int64_t t0 = common::Clock::Real()->MonotonicNanos();
  QueryResult result;
  EvalContext ctx;
  ctx.tenant = p.tenant;
  ctx.max_query_range = p.max_query_range;
  ctx.deadline_mono_ns = p.deadline_mono_ns;
  ctx.querier = &querier;
  ctx.pool = &pool;
  ctx.stats = &result.stats;
  if (p.instant || p.step_ns <= 0) {
    ctx.steps.push_back(p.start_ns);
  } else {
    for (int64_t t = p.start_ns; t <= p.end_ns; t += p.step_ns) ctx.steps.push_back(t);
  }
  auto v = Eval(expr, ctx);
  if (!v.ok()) return v.status();
  if (v->is_scalar) {
    if (p.instant) {
      result.type = ResultType::kScalar;
      result.scalar = {p.start_ns / 1'000'000, v->scalar};
    } else {
      result.type = ResultType::kMatrix;
      Series s;
      for (int64_t t : ctx.steps) s.points.push_back({t / 1'000'000, v->scalar});
      result.series.push_back(std::move(s));
    }
  } else {
    if (p.max_series > 0 && static_cast<int64_t>(v->series.size()) > p.max_series) {
      return Status::InvalidArgument(
          "maximum number of series (" + std::to_string(p.max_series) +
          ") reached for a single query; consider reducing query cardinality by adding more "
          "filters to the query, or increase the limit in the config");
    }
    result.type = p.instant ? ResultType::kVector : ResultType::kMatrix;
    for (auto& s : v->series) {
      Series out{std::move(s.labels), {}};
      for (size_t i = 0; i < ctx.steps.size(); ++i) {
        if (s.has[i]) out.points.push_back({ctx.steps[i] / 1'000'000, s.values[i]});
      }
      if (!out.points.empty()) result.series.push_back(std::move(out));
    }
    if (p.instant && HasSort(expr)) {
      result.keep_order = true;
      auto desc = SortDescending(expr);
      if (desc) {
        std::stable_sort(result.series.begin(), result.series.end(),
                         [&](const Series& a, const Series& b) {
                           double va = a.points.back().value, vb = b.points.back().value;
                           return *desc ? va > vb : va < vb;
                         });
      }
    }
  }
  result.stats.exec_time_ns = common::Clock::Real()->MonotonicNanos() - t0;
  return result;
}

}  // namespace skald::server::logql
