#include "common/logql/printer.h"

#include <cstdio>
#include <cmath>
#include <vector>

#include "common/json_writer.h"
#include "common/logql/go_format.h"
#include "common/time.h"

namespace skald::common::logql {

namespace {

std::string Indent(int level) { return std::string(static_cast<size_t>(level) * 2, ' '); }

std::string Join(const std::vector<std::string>& v, const char* sep) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) {
    if (i > 0) out += sep;
    out += v[i];
  }
  return out;
}

std::string GoPercentF(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[400];
  std::snprintf(buf, sizeof buf, "%f", v);
  return buf;
}

std::string LineFilterString(const LineFilterStage& f) {
  std::string out(LineMatchTypeText(f.op));
  out += ' ';
  for (size_t i = 0; i < f.terms.size(); ++i) {
    if (i > 0) out += " or ";
    const auto& t = f.terms[i];
    out += t.is_ip ? "ip(" + GoQuote(t.value) + ")" : GoQuote(t.value);
  }
  return out;
}

std::string ParserString(const ParserStage& p) {
  std::string out = "| ";
  out += ParserTypeText(p.type);
  if (p.type == ParserType::kLogfmt && p.params.empty()) {
    if (p.strict) out += " --strict";
    if (p.keep_empty) out += " --keep-empty";
    return out;
  }
  if (p.type == ParserType::kRegexp || p.type == ParserType::kPattern) {
    return out + " " + GoQuote(p.expression);
  }
  if (p.params.empty()) return out;
  out += ' ';
  if (p.strict) out += "--strict ";
  if (p.keep_empty) out += "--keep-empty ";
  std::vector<std::string> items;
  for (const auto& e : p.params) items.push_back(e.label + "=" + GoQuote(e.expression));
  return out + Join(items, ",");
}

std::string NamedMatchersString(const std::vector<NamedMatcher>& v) {
  std::vector<std::string> items;
  for (const auto& nm : v) items.push_back(nm.matcher ? nm.matcher->ToString() : nm.name);
  return Join(items, ",");
}

std::string GroupingString(const Grouping& g) {
  return std::string(g.without ? " without (" : " by (") + Join(g.labels, ",") + ")";
}

std::string GroupingPretty(const Grouping& g) {
  std::string s;
  if (g.without) {
    s += " without";
  } else if (!g.labels.empty()) {
    s += " by";
  }
  if (!g.labels.empty()) s += " (" + Join(g.labels, ", ") + ")";
  return s;
}

std::string UnwrapString(const Unwrap& u) {
  std::string out = " | unwrap ";
  if (u.conversion != UnwrapConversion::kNone) {
    out += std::string(UnwrapConversionText(u.conversion)) + "(" + u.label + ")";
  } else {
    out += u.label;
  }
  for (const auto& f : u.post_filters) out += " | " + ToString(*f);
  return out;
}

std::string SelectorString(const LogSelectorExpr& s) {
  std::vector<std::string> ms;
  for (const auto& m : s.matchers) ms.push_back(m.ToString());
  return "{" + Join(ms, ", ") + "}";
}

std::string LogRangeString(const LogRange& r) {
  std::string out = ToString(*r.selector);
  if (r.unwrap) out += UnwrapString(*r.unwrap);
  out += "[" + FormatPromModelDuration(r.range_ns) + "]";
  if (r.offset_ns != 0) out += " offset " + FormatGoDuration(r.offset_ns);
  return out;
}

std::string BinaryOpString(const BinaryExpr& b) {
  std::string op(BinaryOpText(b.op));
  if (b.return_bool) op += " bool";
  std::string group;
  if (b.matching.card == Cardinality::kManyToOne) group = "group_left";
  if (b.matching.card == Cardinality::kOneToMany) group = "group_right";
  if (!b.matching.include.empty()) group += " (" + Join(b.matching.include, ",") + ")";
  if (b.matching.on || !b.matching.labels.empty()) {
    op += std::string(b.matching.on ? " on" : " ignoring") + " (" + Join(b.matching.labels, ",") +
          ") " + group;
  }
  return op;
}

std::string BinaryOpPretty(const BinaryExpr& b) {
  std::string op(BinaryOpText(b.op));
  if (b.return_bool) op += " bool";
  std::string group;
  if (b.matching.card == Cardinality::kManyToOne) group = "group_left";
  if (b.matching.card == Cardinality::kOneToMany) group = "group_right";
  if (!b.matching.include.empty()) group += " (" + Join(b.matching.include, ", ") + ")";
  // Loki tests only the label list here and so drops `on ()` and its
  // group_x; we keep them (a lossy format_query would change the query).
  if (b.matching.on || !b.matching.labels.empty()) {
    op += std::string(b.matching.on ? " on" : " ignoring") + " (" +
          Join(b.matching.labels, ", ") + ") " + group;
  }
  return op;
}

std::string VectorAggString(const VectorAggregationExpr& v) {
  std::string out(VectorOpName(v.op));
  if (v.grouping.without || !v.grouping.labels.empty()) out += GroupingString(v.grouping);
  out += "(";
  if (v.op == VectorOp::kTopk || v.op == VectorOp::kBottomk || v.op == VectorOp::kApproxTopk ||
      v.param != 0) {
    out += std::to_string(v.param) + ",";
  }
  return out + ToString(*v.inner) + ")";
}

// ------------------------------------------------------------- pretty

bool NeedSplit(const std::string& s, size_t max) { return s.size() > max; }

// A pipeline as Loki groups it: consecutive line filters form one chain.
std::vector<std::vector<const Stage*>> GroupStages(const LogSelectorExpr& s) {
  std::vector<std::vector<const Stage*>> groups;
  for (const auto& st : s.stages) {
    bool chain = st->kind() == StageKind::kLineFilter && !groups.empty() &&
                 groups.back().front()->kind() == StageKind::kLineFilter;
    if (!chain) groups.emplace_back();
    groups.back().push_back(st.get());
  }
  return groups;
}

// Loki's LineFilterExpr.Pretty: while a chain is too long its last filter
// goes to a new line; so the longest prefix that fits (at least one filter)
// stays on the first line and every later filter gets its own line.
std::string ChainPretty(const std::vector<const Stage*>& chain, int level, size_t max) {
  std::vector<std::string> parts;
  for (const Stage* s : chain) parts.push_back(ToString(*s));
  size_t keep = 1, width = parts[0].size();
  while (keep < parts.size() && width + 1 + parts[keep].size() <= max) {
    width += 1 + parts[keep].size();
    ++keep;
  }
  std::string out = Indent(level);
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out += i < keep ? " " : "\n" + Indent(level);
    out += parts[i];
  }
  return out;
}

std::string Pretty(const Expr& e, int level, size_t max);

std::string SelectorPretty(const LogSelectorExpr& s, int level, size_t max) {
  std::string whole = ToString(s);
  if (s.stages.empty() || !NeedSplit(whole, max)) return Indent(level) + whole;
  std::string out = Indent(level) + SelectorString(s) + "\n";
  auto groups = GroupStages(s);
  for (size_t i = 0; i < groups.size(); ++i) {
    const auto& g = groups[i];
    if (g.front()->kind() == StageKind::kLineFilter) {
      out += ChainPretty(g, level + 1, max);
    } else if (g.front()->kind() == StageKind::kDecolorize) {
      out += ToString(*g.front());  // Loki prints it without indentation
    } else {
      out += Indent(level + 1) + ToString(*g.front());
    }
    if (i + 1 < groups.size()) out += "\n";
  }
  return out;
}

std::string LogRangePretty(const LogRange& r, int level, size_t max) {
  std::string s = SelectorPretty(*r.selector, level, max);
  if (r.unwrap) {
    const Unwrap& u = *r.unwrap;
    s += "\n" + Indent(level + 1) + "| unwrap ";
    if (u.conversion != UnwrapConversion::kNone) {
      s += std::string(UnwrapConversionText(u.conversion)) + "(" + u.label + ")";
    } else {
      s += u.label;
    }
    for (const auto& f : u.post_filters) s += "\n" + Indent(level + 1) + "| " + ToString(*f);
  }
  s += " [" + FormatPromModelDuration(r.range_ns) + "]";
  if (r.offset_ns != 0) s += " offset " + FormatPromModelDuration(r.offset_ns);
  return s;
}

std::string Pretty(const Expr& e, int level, size_t max) {
  std::string whole = ToString(e);
  switch (e.kind()) {
    case ExprKind::kLogSelector:
      return SelectorPretty(e.As<LogSelectorExpr>(), level, max);
    case ExprKind::kLiteral:
    case ExprKind::kVector:
      return Indent(level) + whole;
    default:
      break;
  }
  if (!NeedSplit(whole, max)) return Indent(level) + whole;
  switch (e.kind()) {
    case ExprKind::kRangeAggregation: {
      const auto& r = e.As<RangeAggregationExpr>();
      std::string s = Indent(level) + std::string(RangeOpName(r.op)) + "(\n";
      if (r.param) s += Indent(level + 1) + FormatGoFloatV(*r.param) + ",\n";
      s += LogRangePretty(r.range, level + 1, max);
      s += "\n" + Indent(level) + ")";
      if (r.grouping) s += GroupingPretty(*r.grouping);
      return s;
    }
    case ExprKind::kVectorAggregation: {
      const auto& v = e.As<VectorAggregationExpr>();
      std::vector<std::string> params;
      if (v.op == VectorOp::kTopk || v.op == VectorOp::kBottomk ||
          v.op == VectorOp::kApproxTopk || v.param != 0) {
        params.push_back(Indent(level + 1) + std::to_string(v.param));
      }
      params.push_back(Pretty(*v.inner, level + 1, max));
      std::string s = Indent(level) + std::string(VectorOpName(v.op)) + GroupingPretty(v.grouping);
      s += "(\n" + Join(params, ",\n") + "\n" + Indent(level) + ")";
      return s;
    }
    case ExprKind::kBinary: {
      const auto& b = e.As<BinaryExpr>();
      return Pretty(*b.lhs, level + 1, max) + "\n" + Indent(level) + BinaryOpPretty(b) + "\n" +
             Pretty(*b.rhs, level + 1, max);
    }
    case ExprKind::kLabelReplace: {
      const auto& l = e.As<LabelReplaceExpr>();
      std::vector<std::string> params = {Pretty(*l.inner, level + 1, max)};
      for (const std::string* f : {&l.dst, &l.replacement, &l.src, &l.regex}) {
        params.push_back(Indent(level + 1) + GoQuote(*f));
      }
      return Indent(level) + "label_replace(\n" + Join(params, ",\n") + "\n" + Indent(level) +
             ")";
    }
    default:
      return Indent(level) + whole;
  }
}

}  // namespace

std::string ToString(const LabelFilter& f) {
  switch (f.kind) {
    case LabelFilter::Kind::kMatcher:
      return f.matcher->ToString();
    case LabelFilter::Kind::kNumeric:
      return f.name + std::string(LabelFilterOpText(f.op)) + FormatFloatGo(f.number);
    case LabelFilter::Kind::kDuration:
      return f.name + std::string(LabelFilterOpText(f.op)) + FormatGoDuration(f.duration_ns);
    case LabelFilter::Kind::kBytes:
      return f.name + std::string(LabelFilterOpText(f.op)) + FormatHumanizeBytes(f.bytes);
    case LabelFilter::Kind::kIp:
      return f.name + (f.op == LabelFilterOp::kNeq ? "!=" : "=") + "ip(" + GoQuote(f.ip_pattern) +
             ")";
    case LabelFilter::Kind::kAnd:
      return "( " + ToString(*f.left) + " , " + ToString(*f.right) + " )";
    case LabelFilter::Kind::kOr:
      return "( " + ToString(*f.left) + " or " + ToString(*f.right) + " )";
  }
  return "";
}

std::string ToString(const Stage& s) {
  switch (s.kind()) {
    case StageKind::kLineFilter:
      return LineFilterString(s.As<LineFilterStage>());
    case StageKind::kParser:
      return ParserString(s.As<ParserStage>());
    case StageKind::kLabelFilter:
      return "| " + ToString(*s.As<LabelFilterStage>().filter);
    case StageKind::kLineFormat:
      return "| line_format " + GoQuote(s.As<LineFormatStage>().tmpl);
    case StageKind::kLabelFormat: {
      std::vector<std::string> items;
      for (const auto& i : s.As<LabelFormatStage>().items) {
        items.push_back(i.name + "=" + (i.rename ? i.value : GoQuote(i.value)));
      }
      return "| label_format " + Join(items, ",");
    }
    case StageKind::kDrop:
      return "| drop " + NamedMatchersString(s.As<DropKeepStage>().labels);
    case StageKind::kKeep:
      return "| keep " + NamedMatchersString(s.As<DropKeepStage>().labels);
    case StageKind::kDecolorize:
      return "| decolorize";
  }
  return "";
}

std::string ToString(const Expr& e) {
  switch (e.kind()) {
    case ExprKind::kLogSelector: {
      const auto& s = e.As<LogSelectorExpr>();
      std::string out = SelectorString(s);
      for (const auto& st : s.stages) out += " " + ToString(*st);
      return out;
    }
    case ExprKind::kRangeAggregation: {
      const auto& r = e.As<RangeAggregationExpr>();
      std::string out = std::string(RangeOpName(r.op)) + "(";
      if (r.param) out += FormatFloatGo(*r.param) + ",";
      out += LogRangeString(r.range) + ")";
      if (r.grouping) out += GroupingString(*r.grouping);
      return out;
    }
    case ExprKind::kVectorAggregation:
      return VectorAggString(e.As<VectorAggregationExpr>());
    case ExprKind::kBinary: {
      const auto& b = e.As<BinaryExpr>();
      return "(" + ToString(*b.lhs) + " " + BinaryOpString(b) + " " + ToString(*b.rhs) + ")";
    }
    case ExprKind::kLiteral: {
      // Loki prints -0 as "-0", which its own lexer reads as a duration;
      // we print 0 so the output stays valid LogQL.
      double v = e.As<LiteralExpr>().value;
      return FormatGoFloatV(v == 0 ? 0.0 : v);
    }
    case ExprKind::kVector:
      return "vector(" + GoPercentF(e.As<VectorExpr>().value) + ")";
    case ExprKind::kLabelReplace: {
      const auto& l = e.As<LabelReplaceExpr>();
      return "label_replace(" + ToString(*l.inner) + "," + GoQuote(l.dst) + "," +
             GoQuote(l.replacement) + "," + GoQuote(l.src) + "," + GoQuote(l.regex) + ")";
    }
  }
  return "";
}

std::string FormatQuery(const Expr& e, size_t max_line_chars) {
  return Pretty(e, 0, max_line_chars);
}

}  // namespace skald::common::logql
