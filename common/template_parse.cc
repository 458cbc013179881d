// Parser of the text/template subset (see template.h).
#include <cctype>

#include "common/labels.h"
#include "common/template.h"
#include "common/template_node.h"

namespace skald::common {

bool TemplateFunctionExists(std::string_view name);  // template_funcs.cc

namespace {

struct Tok {
  enum Kind { kEOF, kIdent, kField, kVar, kString, kNumber, kLParen, kRParen, kPipe, kDecl, kAssign, kComma, kDot, kEnd };
  Kind kind = kEOF;
  std::string text;
};

class Parser {
 public:
  explicit Parser(std::string_view src) : src_(src) {}

  Result<std::unique_ptr<TemplateNode>> Run() {
    auto root = std::make_unique<TemplateNode>();
    std::string stop;
    SKALD_RETURN_IF_ERROR(ParseList(root.get(), &stop, 0));
    if (!stop.empty()) return Err("unexpected {{" + stop + "}}");
    return root;
  }

 private:
  Status Err(const std::string& msg) const {
    int line = 1;
    for (size_t i = 0; i < pos_ && i < src_.size(); ++i) line += src_[i] == '\n';
    return Status::InvalidArgument("template: line:" + std::to_string(line) + ": " + msg);
  }

  // Parses text/actions until EOF or a keyword action among end/else, which
  // is returned in *stop ("end", "else", "else if" with pipeline in else_pipe_).
  Status ParseList(TemplateNode* list, std::string* stop, int depth) {
    if (depth > Template::kMaxDepth) return Err("template nested too deeply");
    list->kind = TemplateNode::Kind::kList;
    while (pos_ < src_.size()) {
      size_t open = src_.find("{{", pos_);
      std::string_view text = src_.substr(pos_, open == std::string_view::npos ? std::string_view::npos : open - pos_);
      pos_ = open == std::string_view::npos ? src_.size() : open;
      bool trim_left = open != std::string_view::npos && src_.substr(open, 4) == "{{- ";
      if (trim_left) {
        while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
      }
      if (trim_next_) {
        while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
        trim_next_ = false;
      }
      if (!text.empty()) {
        auto n = std::make_unique<TemplateNode>();
        n->kind = TemplateNode::Kind::kText;
        n->text = std::string(text);
        list->list.push_back(std::move(n));
      }
      if (open == std::string_view::npos) break;
      pos_ = open + (trim_left ? 3 : 2);
      // Comment.
      size_t p = pos_;
      while (p < src_.size() && src_[p] == ' ') ++p;
      if (src_.substr(p, 2) == "/*") {
        size_t end = src_.find("*/", p + 2);
        if (end == std::string_view::npos) return Err("unclosed comment");
        pos_ = end + 2;
        SKALD_RETURN_IF_ERROR(CloseAction());
        continue;
      }
      SKALD_RETURN_IF_ERROR(Lex());
      if (toks_.empty()) return Err("missing value for command");
      const Tok& t0 = toks_[0];
      if (t0.kind == Tok::kIdent && (t0.text == "end" || t0.text == "else")) {
        if (t0.text == "else" && toks_.size() > 1) {
          if (toks_[1].kind != Tok::kIdent || (toks_[1].text != "if" && toks_[1].text != "with")) {
            return Err("unexpected tokens after else");
          }
          *stop = "else " + toks_[1].text;
          toks_.erase(toks_.begin(), toks_.begin() + 2);
          return Status::OK();
        }
        if (toks_.size() > 1) return Err("unexpected tokens after " + t0.text);
        *stop = t0.text;
        return Status::OK();
      }
      if (t0.kind == Tok::kIdent && (t0.text == "if" || t0.text == "with" || t0.text == "range")) {
        auto n = std::make_unique<TemplateNode>();
        SKALD_RETURN_IF_ERROR(ParseControl(t0.text, n.get(), depth));
        list->list.push_back(std::move(n));
        continue;
      }
      if (t0.kind == Tok::kIdent && (t0.text == "break" || t0.text == "continue")) {
        auto n = std::make_unique<TemplateNode>();
        n->kind = t0.text == "break" ? TemplateNode::Kind::kBreak : TemplateNode::Kind::kContinue;
        list->list.push_back(std::move(n));
        continue;
      }
      if (t0.kind == Tok::kIdent && (t0.text == "define" || t0.text == "template" || t0.text == "block")) {
        return Err("{{" + t0.text + "}} is not supported");
      }
      auto n = std::make_unique<TemplateNode>();
      n->kind = TemplateNode::Kind::kAction;
      size_t i = 0;
      auto pipe = ParsePipeline(&i, true);
      if (!pipe.ok()) return pipe.status();
      if (i != toks_.size()) return Err("unexpected " + toks_[i].text + " in command");
      n->pipe = std::move(pipe.value());
      list->list.push_back(std::move(n));
    }
    return Status::OK();
  }

  // `kind pipeline}} body [{{else}} body | {{else if …}}] {{end}}`; toks_
  // holds the opening action.
  Status ParseControl(const std::string& kind, TemplateNode* n, int depth) {
    n->kind = kind == "if" ? TemplateNode::Kind::kIf : kind == "with" ? TemplateNode::Kind::kWith
                                                                       : TemplateNode::Kind::kRange;
    size_t i = 1;
    auto pipe = ParsePipeline(&i, true);
    if (!pipe.ok()) return pipe.status();
    if (i != toks_.size()) return Err("unexpected " + toks_[i].text + " in " + kind);
    if (pipe.value()->cmds.empty()) return Err("missing value for " + kind);
    n->pipe = std::move(pipe.value());
    n->then_list = std::make_unique<TemplateNode>();
    std::string stop;
    SKALD_RETURN_IF_ERROR(ParseList(n->then_list.get(), &stop, depth + 1));
    if (stop.empty()) return Err("unexpected EOF");
    if (stop == "else") {
      n->else_list = std::make_unique<TemplateNode>();
      stop.clear();
      SKALD_RETURN_IF_ERROR(ParseList(n->else_list.get(), &stop, depth + 1));
      if (stop != "end") return Err(stop.empty() ? "unexpected EOF" : "expected end; found " + stop);
      return Status::OK();
    }
    if (stop == "else if" || stop == "else with") {
      // Re-enter with the remaining tokens as the nested control's opener.
      toks_.insert(toks_.begin(), Tok{Tok::kIdent, stop.substr(5)});
      n->else_list = std::make_unique<TemplateNode>();
      auto nested = std::make_unique<TemplateNode>();
      SKALD_RETURN_IF_ERROR(ParseControl(stop.substr(5), nested.get(), depth + 1));
      n->else_list->list.push_back(std::move(nested));
      return Status::OK();
    }
    if (stop != "end") return Err("unexpected " + stop);
    return Status::OK();
  }

  Result<std::shared_ptr<TemplatePipeline>> ParsePipeline(size_t* i, bool allow_decl) {
    auto p = std::make_shared<TemplatePipeline>();
    // Declarations: $x := / $x = / $i, $v :=
    if (allow_decl && *i < toks_.size() && toks_[*i].kind == Tok::kVar) {
      size_t j = *i;
      std::vector<std::string> vars{toks_[j].text};
      if (j + 2 < toks_.size() && toks_[j + 1].kind == Tok::kComma && toks_[j + 2].kind == Tok::kVar) {
        vars.push_back(toks_[j + 2].text);
        j += 2;
      }
      if (j + 1 < toks_.size() && (toks_[j + 1].kind == Tok::kDecl || toks_[j + 1].kind == Tok::kAssign)) {
        p->assign = toks_[j + 1].kind == Tok::kAssign;
        p->decl = vars;
        *i = j + 2;
      }
    }
    while (true) {
      TemplateCommand cmd;
      while (*i < toks_.size() && toks_[*i].kind != Tok::kPipe && toks_[*i].kind != Tok::kRParen) {
        auto a = ParseArg(i);
        if (!a.ok()) return a.status();
        cmd.args.push_back(std::move(a.value()));
      }
      if (cmd.args.empty()) return Err("missing value for command");
      p->cmds.push_back(std::move(cmd));
      if (*i < toks_.size() && toks_[*i].kind == Tok::kPipe) {
        ++*i;
        continue;
      }
      break;
    }
    return p;
  }

  Result<TemplateArg> ParseArg(size_t* i) {
    const Tok& t = toks_[*i];
    TemplateArg a;
    ++*i;
    switch (t.kind) {
      case Tok::kDot: a.kind = TemplateArg::Kind::kDot; return a;
      case Tok::kField:
        a.kind = TemplateArg::Kind::kField;
        a.fields = SplitFields(t.text);
        return a;
      case Tok::kVar: {
        a.kind = TemplateArg::Kind::kVar;
        size_t dot = t.text.find('.');
        a.name = t.text.substr(0, dot);
        if (dot != std::string::npos) a.fields = SplitFields(t.text.substr(dot));
        return a;
      }
      case Tok::kString: a.literal = TemplateValue::Str(t.text); return a;
      case Tok::kNumber: {
        const std::string& s = t.text;
        bool is_float = s.find_first_of(".eE") != std::string::npos && s.find("0x") != 0;
        try {
          if (is_float) {
            a.literal = TemplateValue::Float(std::stod(s));
          } else {
            a.literal = TemplateValue::Int(std::stoll(s, nullptr, 0));
          }
        } catch (...) {
          return Err("illegal number syntax: \"" + s + "\"");
        }
        return a;
      }
      case Tok::kIdent:
        if (t.text == "true" || t.text == "false") {
          a.literal = TemplateValue::Bool(t.text == "true");
          return a;
        }
        if (t.text == "nil") {
          a.literal = TemplateValue::Nil();
          return a;
        }
        if (!TemplateFunctionExists(t.text)) return Err("function \"" + t.text + "\" not defined");
        a.kind = TemplateArg::Kind::kFunc;
        a.name = t.text;
        return a;
      case Tok::kLParen: {
        auto p = ParsePipeline(i, false);
        if (!p.ok()) return p.status();
        if (*i >= toks_.size() || toks_[*i].kind != Tok::kRParen) return Err("unclosed left paren");
        ++*i;
        a.kind = TemplateArg::Kind::kPipe;
        a.pipe = std::move(p.value());
        return a;
      }
      default:
        return Err("unexpected \"" + t.text + "\" in operand");
    }
  }

  static std::vector<std::string> SplitFields(const std::string& s) {
    std::vector<std::string> out;
    size_t i = 0;
    while (i < s.size()) {
      size_t j = s.find('.', i + 1);
      out.push_back(s.substr(i + 1, j == std::string::npos ? std::string::npos : j - i - 1));
      if (j == std::string::npos) break;
      i = j;
    }
    return out;
  }

  // Consumes ` -}}` or `}}` at pos_ (after optional spaces).
  Status CloseAction() {
    while (pos_ < src_.size() && std::isspace(static_cast<unsigned char>(src_[pos_]))) {
      if (src_.substr(pos_, 4) == " -}}") break;
      ++pos_;
    }
    if (src_.substr(pos_, 4) == " -}}") {
      pos_ += 4;
      trim_next_ = true;
      return Status::OK();
    }
    if (src_.substr(pos_, 2) == "}}") {
      pos_ += 2;
      return Status::OK();
    }
    return Err("unclosed action");
  }

  static bool IsIdentChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

  // Tokenises one action into toks_, consuming the closing delimiter.
  Status Lex() {
    toks_.clear();
    while (true) {
      while (pos_ < src_.size() && std::isspace(static_cast<unsigned char>(src_[pos_]))) {
        if (src_.substr(pos_, 4) == " -}}") break;
        ++pos_;
      }
      if (pos_ >= src_.size()) return Err("unclosed action");
      if (src_.substr(pos_, 4) == " -}}" || src_.substr(pos_, 2) == "}}") return CloseAction();
      char c = src_[pos_];
      size_t start = pos_;
      if (c == '"') {
        ++pos_;
        while (pos_ < src_.size() && src_[pos_] != '"') {
          if (src_[pos_] == '\\') ++pos_;
          if (src_[pos_] == '\n') return Err("unterminated quoted string");
          ++pos_;
        }
        if (pos_ >= src_.size()) return Err("unterminated quoted string");
        ++pos_;
        auto u = UnquoteGoString(src_.substr(start + 1, pos_ - start - 2), '"');
        if (!u.ok()) return Err(u.status().message());
        toks_.push_back({Tok::kString, u.value()});
      } else if (c == '`') {
        size_t end = src_.find('`', pos_ + 1);
        if (end == std::string_view::npos) return Err("unterminated raw quoted string");
        toks_.push_back({Tok::kString, std::string(src_.substr(pos_ + 1, end - pos_ - 1))});
        pos_ = end + 1;
      } else if (c == '.' && (pos_ + 1 >= src_.size() || !IsIdentChar(src_[pos_ + 1]))) {
        toks_.push_back({Tok::kDot, "."});
        ++pos_;
      } else if (c == '.' || c == '$') {
        ++pos_;
        while (pos_ < src_.size() && (IsIdentChar(src_[pos_]) || (src_[pos_] == '.' && pos_ + 1 < src_.size() &&
                                                                  IsIdentChar(src_[pos_ + 1])))) {
          ++pos_;
        }
        toks_.push_back({c == '.' ? Tok::kField : Tok::kVar, std::string(src_.substr(start, pos_ - start))});
      } else if (std::isdigit(static_cast<unsigned char>(c)) ||
                 ((c == '-' || c == '+') && pos_ + 1 < src_.size() &&
                  std::isdigit(static_cast<unsigned char>(src_[pos_ + 1])))) {
        ++pos_;
        while (pos_ < src_.size() && (std::isalnum(static_cast<unsigned char>(src_[pos_])) || src_[pos_] == '.' ||
                                      ((src_[pos_] == '-' || src_[pos_] == '+') &&
                                       (src_[pos_ - 1] == 'e' || src_[pos_ - 1] == 'E')))) {
          ++pos_;
        }
        toks_.push_back({Tok::kNumber, std::string(src_.substr(start, pos_ - start))});
      } else if (IsIdentChar(c)) {
        while (pos_ < src_.size() && IsIdentChar(src_[pos_])) ++pos_;
        toks_.push_back({Tok::kIdent, std::string(src_.substr(start, pos_ - start))});
      } else if (c == '(') {
        toks_.push_back({Tok::kLParen, "("});
        ++pos_;
      } else if (c == ')') {
        toks_.push_back({Tok::kRParen, ")"});
        ++pos_;
      } else if (c == '|') {
        toks_.push_back({Tok::kPipe, "|"});
        ++pos_;
      } else if (c == ',') {
        toks_.push_back({Tok::kComma, ","});
        ++pos_;
      } else if (c == ':' && src_.substr(pos_, 2) == ":=") {
        toks_.push_back({Tok::kDecl, ":="});
        pos_ += 2;
      } else if (c == '=') {
        toks_.push_back({Tok::kAssign, "="});
        ++pos_;
      } else {
        return Err(std::string("unexpected \"") + c + "\" in command");
      }
    }
  }

  std::string_view src_;
  size_t pos_ = 0;
  bool trim_next_ = false;
  std::vector<Tok> toks_;
};

}  // namespace

Result<std::unique_ptr<Template>> Template::Parse(std::string_view text) {
  Parser p(text);
  auto root = p.Run();
  if (!root.ok()) return root.status();
  std::unique_ptr<Template> t(new Template());
  t->source_ = std::string(text);
  t->root_ = std::move(root.value());
  return t;
}

Template::~Template() = default;

}  // namespace skald::common
