// Log selectors, pipeline stages and label filters of the LogQL parser.
#include <re2/re2.h>

#include <set>

#include "common/labels.h"
#include "common/logql/go_format.h"
#include "common/logql/parser_impl.h"

namespace skald::common::logql::internal {

namespace {

bool LineMatchOf(Tok t, LineMatchType* out) {
  switch (t) {
    case Tok::kPipeExact: *out = LineMatchType::kContains; return true;
    case Tok::kNeq: *out = LineMatchType::kNotContains; return true;
    case Tok::kPipeMatch: *out = LineMatchType::kRegex; return true;
    case Tok::kNre: *out = LineMatchType::kNotRegex; return true;
    case Tok::kPipePattern: *out = LineMatchType::kPattern; return true;
    case Tok::kNpa: *out = LineMatchType::kNotPattern; return true;
    default: return false;
  }
}

bool MatchTypeOf(Tok t, MatchType* out) {
  switch (t) {
    case Tok::kEq: *out = MatchType::kEqual; return true;
    case Tok::kNeq: *out = MatchType::kNotEqual; return true;
    case Tok::kRe: *out = MatchType::kRegex; return true;
    case Tok::kNre: *out = MatchType::kNotRegex; return true;
    default: return false;
  }
}

bool LabelFilterOpOf(Tok t, LabelFilterOp* out) {
  switch (t) {
    case Tok::kEq:
    case Tok::kCmpEq: *out = LabelFilterOp::kEq; return true;
    case Tok::kNeq: *out = LabelFilterOp::kNeq; return true;
    case Tok::kGt: *out = LabelFilterOp::kGt; return true;
    case Tok::kGte: *out = LabelFilterOp::kGte; return true;
    case Tok::kLt: *out = LabelFilterOp::kLt; return true;
    case Tok::kLte: *out = LabelFilterOp::kLte; return true;
    default: return false;
  }
}

Status ParseError(const std::string& msg) { return Status::InvalidArgument("parse error : " + msg); }

// Splits a Loki pattern into captures (`<name>`, `<_>`) and literals.
struct PatternNode {
  bool capture;
  std::string text;
};
std::vector<PatternNode> SplitPattern(const std::string& p) {
  std::vector<PatternNode> nodes;
  auto add_literal = [&](char c) {
    if (nodes.empty() || nodes.back().capture) nodes.push_back({false, ""});
    nodes.back().text.push_back(c);
  };
  for (size_t i = 0; i < p.size();) {
    if (p[i] == '<' && i + 1 < p.size() &&
        (std::isalpha(static_cast<unsigned char>(p[i + 1])) || p[i + 1] == '_')) {
      size_t j = i + 1;
      while (j < p.size() && (std::isalnum(static_cast<unsigned char>(p[j])) || p[j] == '_')) ++j;
      if (j < p.size() && p[j] == '>') {
        nodes.push_back({true, p.substr(i + 1, j - i - 1)});
        i = j + 1;
        continue;
      }
    }
    add_literal(p[i]);
    ++i;
  }
  return nodes;
}

}  // namespace

Status CheckPatternParser(const std::string& pattern) {
  auto nodes = SplitPattern(pattern);
  std::vector<std::string> names;
  for (const auto& n : nodes) {
    if (n.capture && n.text != "_") names.push_back(n.text);
  }
  if (names.empty()) return ParseError("invalid pattern parser: at least one capture is required");
  for (size_t i = 0; i + 1 < nodes.size(); i += 2) {
    if (nodes[i].capture && nodes[i + 1].capture) {
      return ParseError("invalid pattern parser: found consecutive capture: invalid expression");
    }
  }
  std::set<std::string> seen;
  for (const auto& n : names) {
    if (!seen.insert(n).second) {
      return ParseError("invalid pattern parser: duplicate capture name (" + n +
                        "): invalid expression");
    }
  }
  return Status::OK();
}

Status CheckPatternFilter(const std::string& pattern) {
  for (const auto& n : SplitPattern(pattern)) {
    if (n.capture && n.text != "_") return ParseError("named captures are not allowed");
  }
  return Status::OK();
}

Status CheckRegexpParser(const std::string& re) {
  // Named groups, found by scanning (RE2 itself rejects duplicates).
  std::vector<std::string> names;
  for (size_t i = 0; i < re.size(); ++i) {
    if (re[i] == '\\') {
      ++i;
      continue;
    }
    size_t start = std::string::npos;
    if (re.compare(i, 4, "(?P<") == 0) start = i + 4;
    else if (re.compare(i, 3, "(?<") == 0) start = i + 3;
    if (start == std::string::npos) continue;
    size_t end = re.find('>', start);
    if (end == std::string::npos) break;
    names.push_back(re.substr(start, end - start));
  }
  std::set<std::string> seen;
  for (const auto& n : names) {
    if (!IsValidLabelName(n)) {
      return ParseError("invalid regexp parser: invalid extracted label name '" + n + "'");
    }
    if (!seen.insert(n).second) {
      return ParseError("invalid regexp parser: duplicate extracted label name '" + n + "'");
    }
  }
  RE2::Options opts;
  opts.set_log_errors(false);
  RE2 compiled(re, opts);
  if (!compiled.ok()) {
    return ParseError("invalid regexp parser: error parsing regexp: " + compiled.error() + ": `" +
                      re + "`");
  }
  if (names.empty()) {
    return ParseError("invalid regexp parser: at least one named capture must be supplied");
  }
  return Status::OK();
}

// ---------------------------------------------------------------- selector

Status Parser::ParseSelector(std::vector<Matcher>* out) {
  SKALD_RETURN_IF_ERROR(Expect(Tok::kOpenBrace));
  if (Accept(Tok::kCloseBrace)) return Status::OK();
  while (true) {
    Matcher m = *Matcher::Create(MatchType::kEqual, "", "");
    SKALD_RETURN_IF_ERROR(ParseMatcher(&m));
    out->push_back(std::move(m));
    if (Accept(Tok::kCloseBrace)) return Status::OK();
    SKALD_RETURN_IF_ERROR(Expect(Tok::kComma));
  }
}

// IDENTIFIER (= | != | =~ | !~) STRING
Status Parser::ParseMatcher(Matcher* out) {
  if (PeekKind() != Tok::kIdentifier) return Unexpected(Peek());
  std::string name = Take().text;
  MatchType type;
  if (!MatchTypeOf(PeekKind(), &type)) return Unexpected(Peek());
  Take();
  if (PeekKind() != Tok::kString) return Unexpected(Peek());
  auto m = Matcher::Create(type, name, Take().text);
  if (!m.ok()) return ParseError(m.status().message());
  *out = std::move(m).value();
  return Status::OK();
}

// ---------------------------------------------------------------- pipeline

Status Parser::ParsePipeline(bool stop_at_unwrap, std::vector<std::unique_ptr<Stage>>* out) {
  LineMatchType lm = LineMatchType::kContains;
  while (true) {
    if (LineMatchOf(PeekKind(), &lm)) {
      SKALD_RETURN_IF_ERROR(ParseLineFilters(out));
    } else if (PeekKind() == Tok::kPipe) {
      if (PeekKind(1) == Tok::kUnwrap) {
        if (stop_at_unwrap) return Status::OK();
        return Unexpected(Peek(1));
      }
      Take();
      SKALD_RETURN_IF_ERROR(ParseStageAfterPipe(out));
    } else {
      return Status::OK();
    }
  }
}

// `op term (or term)*` where term is STRING or ip(STRING).
Status Parser::ParseLineFilters(std::vector<std::unique_ptr<Stage>>* out) {
  LineMatchType op = LineMatchType::kContains;
  LineMatchOf(Take().kind, &op);
  std::vector<LineFilterTerm> terms;
  do {
    LineFilterTerm term;
    if (PeekKind() == Tok::kIp) {
      Take();
      SKALD_RETURN_IF_ERROR(Expect(Tok::kOpenParen));
      if (PeekKind() != Tok::kString) return Unexpected(Peek());
      term.is_ip = true;
      term.value = Take().text;
      SKALD_RETURN_IF_ERROR(Expect(Tok::kCloseParen));
    } else if (PeekKind() == Tok::kString) {
      term.value = Take().text;
    } else {
      return Unexpected(Peek());
    }
    terms.push_back(std::move(term));
  } while (Accept(Tok::kOr));
  // Line-filter regexes are compiled by the pipeline, not here: Loki's
  // parser accepts `|~ "("` and fails when the query runs.
  for (const auto& t : terms) {
    if (t.is_ip) {
      if (op != LineMatchType::kContains && op != LineMatchType::kNotContains) {
        return ParseError("ip: invalid operation");
      }
    } else if (op == LineMatchType::kPattern || op == LineMatchType::kNotPattern) {
      SKALD_RETURN_IF_ERROR(CheckPatternFilter(t.value));
    }
  }
  // A negated or-chain is an AND of negations: one stage per term.
  if (IsNegated(op)) {
    for (auto& t : terms) {
      auto s = std::make_unique<LineFilterStage>();
      s->op = op;
      s->terms.push_back(std::move(t));
      out->push_back(std::move(s));
    }
    return Status::OK();
  }
  auto s = std::make_unique<LineFilterStage>();
  s->op = op;
  s->terms = std::move(terms);
  out->push_back(std::move(s));
  return Status::OK();
}

Status Parser::ParseStageAfterPipe(std::vector<std::unique_ptr<Stage>>* out) {
  switch (PeekKind()) {
    case Tok::kLogfmt:
      return ParseLogfmt(out);
    case Tok::kJson: {
      Take();
      auto s = std::make_unique<ParserStage>();
      s->type = ParserType::kJson;
      if (PeekKind() == Tok::kIdentifier) SKALD_RETURN_IF_ERROR(ParseExtractionParams(&s->params));
      out->push_back(std::move(s));
      return Status::OK();
    }
    case Tok::kRegexp:
    case Tok::kPattern: {
      bool regexp = Take().kind == Tok::kRegexp;
      if (PeekKind() != Tok::kString) return Unexpected(Peek());
      auto s = std::make_unique<ParserStage>();
      s->type = regexp ? ParserType::kRegexp : ParserType::kPattern;
      s->expression = Take().text;
      SKALD_RETURN_IF_ERROR(regexp ? CheckRegexpParser(s->expression)
                                   : CheckPatternParser(s->expression));
      out->push_back(std::move(s));
      return Status::OK();
    }
    case Tok::kUnpack: {
      Take();
      auto s = std::make_unique<ParserStage>();
      s->type = ParserType::kUnpack;
      out->push_back(std::move(s));
      return Status::OK();
    }
    case Tok::kLineFmt: {
      Take();
      if (PeekKind() != Tok::kString) return Unexpected(Peek());
      auto s = std::make_unique<LineFormatStage>();
      s->tmpl = Take().text;
      out->push_back(std::move(s));
      return Status::OK();
    }
    case Tok::kLabelFmt:
      return ParseLabelFormat(out);
    case Tok::kDecolorize:
      Take();
      out->push_back(std::make_unique<DecolorizeStage>());
      return Status::OK();
    case Tok::kDrop:
      return ParseDropKeep(StageKind::kDrop, out);
    case Tok::kKeep:
      return ParseDropKeep(StageKind::kKeep, out);
    default: {
      if (!StartsLabelFilter()) return Unexpected(Peek());
      auto s = std::make_unique<LabelFilterStage>();
      SKALD_RETURN_IF_ERROR(ParseLabelFilter(0, &s->filter));
      out->push_back(std::move(s));
      return Status::OK();
    }
  }
}

// logfmt [flags] [params]
Status Parser::ParseLogfmt(std::vector<std::unique_ptr<Stage>>* out) {
  Take();
  auto s = std::make_unique<ParserStage>();
  s->type = ParserType::kLogfmt;
  while (PeekKind() == Tok::kParserFlag) {
    const std::string& flag = Take().text;
    if (flag == "--strict") s->strict = true;
    if (flag == "--keep-empty") s->keep_empty = true;
  }
  if (PeekKind() == Tok::kIdentifier) SKALD_RETURN_IF_ERROR(ParseExtractionParams(&s->params));
  out->push_back(std::move(s));
  return Status::OK();
}

// name [= STRING] (, name [= STRING])*
Status Parser::ParseExtractionParams(std::vector<ExtractionParam>* out) {
  while (true) {
    if (PeekKind() != Tok::kIdentifier) return Unexpected(Peek());
    ExtractionParam p;
    p.label = Take().text;
    if (Accept(Tok::kEq)) {
      if (PeekKind() != Tok::kString) return Unexpected(Peek());
      p.expression = Take().text;
    } else {
      p.expression = p.label;
    }
    out->push_back(std::move(p));
    if (!Accept(Tok::kComma)) return Status::OK();
  }
}

// label_format dst=src | dst="tmpl" (, ...)*
Status Parser::ParseLabelFormat(std::vector<std::unique_ptr<Stage>>* out) {
  Take();
  auto s = std::make_unique<LabelFormatStage>();
  std::set<std::string> names;
  do {
    if (PeekKind() != Tok::kIdentifier) return Unexpected(Peek());
    LabelFormatItem item;
    item.name = Take().text;
    SKALD_RETURN_IF_ERROR(Expect(Tok::kEq));
    if (PeekKind() == Tok::kIdentifier) {
      item.rename = true;
    } else if (PeekKind() != Tok::kString) {
      return Unexpected(Peek());
    }
    item.value = Take().text;
    if (!names.insert(item.name).second) {
      return ParseError("multiple label name '" + item.name +
                        "' not allowed in a single format operation");
    }
    s->items.push_back(std::move(item));
  } while (Accept(Tok::kComma));
  out->push_back(std::move(s));
  return Status::OK();
}

// drop|keep name | matcher (, ...)*
Status Parser::ParseDropKeep(StageKind kind, std::vector<std::unique_ptr<Stage>>* out) {
  Take();
  auto s = std::make_unique<DropKeepStage>(kind);
  do {
    if (PeekKind() != Tok::kIdentifier) return Unexpected(Peek());
    NamedMatcher nm;
    MatchType type;
    if (MatchTypeOf(PeekKind(1), &type)) {
      Matcher m = *Matcher::Create(MatchType::kEqual, "", "");
      SKALD_RETURN_IF_ERROR(ParseMatcher(&m));
      nm.matcher = std::move(m);
    } else {
      nm.name = Take().text;
    }
    s->labels.push_back(std::move(nm));
  } while (Accept(Tok::kComma));
  out->push_back(std::move(s));
  return Status::OK();
}

// ------------------------------------------------------------ label filters

bool Parser::StartsLabelFilter() const {
  return PeekKind() == Tok::kIdentifier || PeekKind() == Tok::kOpenParen;
}

// Mirrors how yacc resolves Loki's ambiguous labelFilter rules: `and`
// binds tighter than `or` (both left-associative), while `,` and
// juxtaposition have no precedence, so yacc always shifts and their right
// operand extends over the rest of the filter.
Status Parser::ParseLabelFilter(int min_prec, std::unique_ptr<LabelFilter>* out) {
  DepthGuard guard(&depth_);
  SKALD_RETURN_IF_ERROR(Enter());
  std::unique_ptr<LabelFilter> left;
  SKALD_RETURN_IF_ERROR(ParseLabelFilterPrimary(&left));
  while (true) {
    bool comma = PeekKind() == Tok::kComma;
    if (comma || StartsLabelFilter()) {
      if (comma) Take();
      auto node = std::make_unique<LabelFilter>();
      node->kind = LabelFilter::Kind::kAnd;
      node->left = std::move(left);
      SKALD_RETURN_IF_ERROR(ParseLabelFilter(0, &node->right));
      left = std::move(node);
      continue;
    }
    int prec = PeekKind() == Tok::kOr ? 1 : PeekKind() == Tok::kAnd ? 2 : 0;
    if (prec == 0 || prec < min_prec) break;
    Take();
    auto node = std::make_unique<LabelFilter>();
    node->kind = prec == 1 ? LabelFilter::Kind::kOr : LabelFilter::Kind::kAnd;
    node->left = std::move(left);
    SKALD_RETURN_IF_ERROR(ParseLabelFilter(prec + 1, &node->right));
    left = std::move(node);
  }
  *out = std::move(left);
  return Status::OK();
}

Status Parser::ParseLabelFilterPrimary(std::unique_ptr<LabelFilter>* out) {
  if (Accept(Tok::kOpenParen)) {
    SKALD_RETURN_IF_ERROR(ParseLabelFilter(0, out));
    return Expect(Tok::kCloseParen);
  }
  if (PeekKind() != Tok::kIdentifier) return Unexpected(Peek());
  auto f = std::make_unique<LabelFilter>();
  f->name = Take().text;
  Tok op_tok = PeekKind();
  LabelFilterOp op = LabelFilterOp::kEq;
  if (!LabelFilterOpOf(op_tok, &op) && op_tok != Tok::kRe && op_tok != Tok::kNre) {
    return Unexpected(Peek());
  }
  Take();
  f->op = op;
  bool eq_or_neq = op_tok == Tok::kEq || op_tok == Tok::kNeq;
  const Token& v = Peek();
  if (v.kind == Tok::kString && (eq_or_neq || op_tok == Tok::kRe || op_tok == Tok::kNre)) {
    MatchType mt;
    MatchTypeOf(op_tok, &mt);
    auto m = Matcher::Create(mt, f->name, Take().text);
    if (!m.ok()) return ParseError(m.status().message());
    f->kind = LabelFilter::Kind::kMatcher;
    f->matcher = std::move(m).value();
  } else if (op_tok == Tok::kRe || op_tok == Tok::kNre) {
    return Unexpected(v);
  } else if (v.kind == Tok::kIp && eq_or_neq) {
    Take();
    SKALD_RETURN_IF_ERROR(Expect(Tok::kOpenParen));
    if (PeekKind() != Tok::kString) return Unexpected(Peek());
    f->kind = LabelFilter::Kind::kIp;
    f->ip_pattern = Take().text;
    SKALD_RETURN_IF_ERROR(Expect(Tok::kCloseParen));
  } else if (v.kind == Tok::kDuration) {
    f->kind = LabelFilter::Kind::kDuration;
    f->duration_ns = Take().duration_ns;
  } else if (v.kind == Tok::kBytes) {
    f->kind = LabelFilter::Kind::kBytes;
    f->bytes = Take().bytes;
  } else if (v.kind == Tok::kNumber || v.kind == Tok::kAdd || v.kind == Tok::kSub) {
    bool negate = false;
    if (v.kind != Tok::kNumber) {
      negate = Take().kind == Tok::kSub;
      if (PeekKind() != Tok::kNumber) return Unexpected(Peek());
    }
    auto num = ParseGoFloat(Take().text);
    if (!num.ok()) return ParseError("unable to parse literal as a float: " + num.status().message());
    f->kind = LabelFilter::Kind::kNumeric;
    f->number = negate ? -*num : *num;
  } else {
    return Unexpected(v);
  }
  *out = std::move(f);
  return Status::OK();
}

}  // namespace skald::common::logql::internal
