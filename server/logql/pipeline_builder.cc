#include "server/logql/pipeline_builder.h"

#include "server/logql/log/decolorize.h"
#include "server/logql/log/drop_keep.h"
#include "server/logql/log/json_parser.h"
#include "server/logql/log/label_filter.h"
#include "server/logql/log/line_filter.h"
#include "server/logql/log/logfmt_parser.h"
#include "server/logql/log/regexp_parser.h"
#include "server/logql/log/formatters.h"

namespace skald::server::logql {

namespace ql = common::logql;
using common::Result;
using common::Status;
using StagePtr = std::shared_ptr<const log::Stage>;

namespace {

log::FilterOp ToFilterOp(ql::LineMatchType t) {
  switch (t) {
    case ql::LineMatchType::kContains: return log::FilterOp::kContains;
    case ql::LineMatchType::kNotContains: return log::FilterOp::kNotContains;
    case ql::LineMatchType::kRegex: return log::FilterOp::kRegex;
    case ql::LineMatchType::kNotRegex: return log::FilterOp::kNotRegex;
    case ql::LineMatchType::kPattern: return log::FilterOp::kPattern;
    case ql::LineMatchType::kNotPattern: return log::FilterOp::kNotPattern;
  }
  return log::FilterOp::kContains;
}

log::CompareOp ToCompareOp(ql::LabelFilterOp op) {
  switch (op) {
    case ql::LabelFilterOp::kEq: return log::CompareOp::kEq;
    case ql::LabelFilterOp::kNeq: return log::CompareOp::kNe;
    case ql::LabelFilterOp::kGt: return log::CompareOp::kGt;
    case ql::LabelFilterOp::kGte: return log::CompareOp::kGe;
    case ql::LabelFilterOp::kLt: return log::CompareOp::kLt;
    case ql::LabelFilterOp::kLte: return log::CompareOp::kLe;
  }
  return log::CompareOp::kEq;
}

Result<std::unique_ptr<log::LabelFilter>> BuildFilterTree(const ql::LabelFilter& f) {
  using Kind = ql::LabelFilter::Kind;
  switch (f.kind) {
    case Kind::kMatcher: return log::LabelFilter::String(*f.matcher);
    case Kind::kNumeric: return log::LabelFilter::Numeric(f.name, ToCompareOp(f.op), f.number);
    case Kind::kDuration:
      return log::LabelFilter::Duration(f.name, ToCompareOp(f.op), f.duration_ns);
    case Kind::kBytes: return log::LabelFilter::Bytes(f.name, ToCompareOp(f.op), f.bytes);
    case Kind::kIp: return log::LabelFilter::Ip(f.name, ToCompareOp(f.op), f.ip_pattern);
    case Kind::kAnd:
    case Kind::kOr: {
      auto l = BuildFilterTree(*f.left);
      if (!l.ok()) return l.status();
      auto r = BuildFilterTree(*f.right);
      if (!r.ok()) return r.status();
      return f.kind == Kind::kAnd ? log::LabelFilter::And(std::move(*l), std::move(*r))
                                  : log::LabelFilter::Or(std::move(*l), std::move(*r));
    }
  }
  return Status::Internal("unknown label filter kind");
}

Result<StagePtr> BuildParser(const ql::ParserStage& p, const std::vector<std::string>* allow) {
  switch (p.type) {
    case ql::ParserType::kJson: {
      if (p.params.empty() && allow) return StagePtr(std::make_shared<log::JsonParser>(*allow));
      if (p.params.empty()) return StagePtr(std::make_shared<log::JsonParser>());
      std::vector<log::JsonParam> params;
      for (const auto& e : p.params) params.push_back({e.label, e.expression});
      auto s = log::JsonExpressionParser::Create(std::move(params));
      if (!s.ok()) return s.status();
      return StagePtr(std::move(*s));
    }
    case ql::ParserType::kLogfmt: {
      if (p.params.empty() && allow) {
        return StagePtr(log::LogfmtParser::CreateRestricted({p.strict, p.keep_empty}, *allow));
      }
      std::vector<log::LogfmtParam> params;
      for (const auto& e : p.params) params.push_back({e.label, e.expression});
      auto s = log::LogfmtParser::Create({p.strict, p.keep_empty}, std::move(params));
      if (!s.ok()) return s.status();
      return StagePtr(std::move(*s));
    }
    case ql::ParserType::kRegexp: {
      auto s = log::RegexpParser::Create(p.expression);
      if (!s.ok()) return s.status();
      return StagePtr(std::move(*s));
    }
    case ql::ParserType::kPattern: {
      auto s = log::PatternParser::Create(p.expression);
      if (!s.ok()) return s.status();
      return StagePtr(std::move(*s));
    }
    case ql::ParserType::kUnpack: return StagePtr(std::make_shared<log::UnpackParser>());
  }
  return Status::Internal("unknown parser type");
}

std::vector<log::LabelRef> ToRefs(const std::vector<ql::NamedMatcher>& v) {
  std::vector<log::LabelRef> out;
  for (const auto& m : v) out.push_back({m.name, m.matcher});
  return out;
}

Result<StagePtr> BuildStage(const ql::Stage& st, const std::vector<std::string>* allow) {
  switch (st.kind()) {
    case ql::StageKind::kLineFilter: {
      const auto& lf = st.As<ql::LineFilterStage>();
      std::vector<log::LineFilterTerm> terms;
      for (const auto& t : lf.terms) terms.push_back({t.value, t.is_ip});
      auto s = log::LineFilter::Create(ToFilterOp(lf.op), std::move(terms));
      if (!s.ok()) return s.status();
      return StagePtr(std::move(*s));
    }
    case ql::StageKind::kParser: return BuildParser(st.As<ql::ParserStage>(), allow);
    case ql::StageKind::kLabelFilter: {
      auto s = BuildLabelFilter(*st.As<ql::LabelFilterStage>().filter);
      if (!s.ok()) return s.status();
      return StagePtr(std::move(*s));
    }
    case ql::StageKind::kLineFormat: {
      auto s = log::LineFormatter::Create(st.As<ql::LineFormatStage>().tmpl);
      if (!s.ok()) return s.status();
      return StagePtr(std::move(*s));
    }
    case ql::StageKind::kLabelFormat: {
      std::vector<log::LabelFmt> items;
      for (const auto& it : st.As<ql::LabelFormatStage>().items) {
        items.push_back({it.name, it.value, it.rename});
      }
      auto s = log::LabelsFormatter::Create(std::move(items));
      if (!s.ok()) return s.status();
      return StagePtr(std::move(*s));
    }
    case ql::StageKind::kDrop:
      return StagePtr(std::make_shared<log::DropLabels>(ToRefs(st.As<ql::DropKeepStage>().labels)));
    case ql::StageKind::kKeep:
      return StagePtr(std::make_shared<log::KeepLabels>(ToRefs(st.As<ql::DropKeepStage>().labels)));
    case ql::StageKind::kDecolorize: return StagePtr(std::make_shared<log::Decolorize>());
  }
  return Status::Internal("unknown stage kind");
}

}  // namespace

Result<std::unique_ptr<log::Stage>> BuildLabelFilter(const ql::LabelFilter& f) {
  auto r = BuildFilterTree(f);
  if (!r.ok()) return r.status();
  return std::unique_ptr<log::Stage>(std::move(*r));
}

Result<std::vector<StagePtr>> BuildStages(const std::vector<std::unique_ptr<ql::Stage>>& stages,
                                          const std::vector<std::string>* parser_allow) {
  std::vector<StagePtr> out;
  out.reserve(stages.size());
  for (const auto& st : stages) {
    // Nothing downstream reads any label (not even __error__): a json/logfmt
    // parser without parameters cannot change the result, so it is skipped.
    if (parser_allow && parser_allow->empty() && st->kind() == ql::StageKind::kParser) {
      const auto& p = st->As<ql::ParserStage>();
      if (p.params.empty() && (p.type == ql::ParserType::kJson || p.type == ql::ParserType::kLogfmt)) continue;
    }
    auto s = BuildStage(*st, parser_allow);
    if (!s.ok()) return s.status();
    out.push_back(std::move(*s));
  }
  return out;
}

}  // namespace skald::server::logql
