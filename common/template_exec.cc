// Executor of the text/template subset (see template.h).
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <optional>

#include "common/template.h"
#include "common/template_node.h"

namespace skald::common {

using TemplateFn = Result<TemplateValue> (*)(const TemplateContext&, std::vector<TemplateValue>&);
TemplateFn FindTemplateFunction(std::string_view name);  // template_funcs.cc

std::string FormatFloatG(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v == 0) return std::signbit(v) ? "-0" : "0";
  // Shortest round-trip digits, then Go's 'g' rule: exponent form when
  // exp < -4 || exp >= 6 (eprec for the shortest precision).
  char buf[48];
  int prec = 0;
  for (; prec < 17; ++prec) {
    std::snprintf(buf, sizeof(buf), "%.*e", prec, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  std::string m(buf);
  size_t e = m.find('e');
  int exp = std::atoi(m.c_str() + e + 1);
  std::string mant = m.substr(0, e);
  if (exp < -4 || exp >= 6) {
    char eb[16];
    std::snprintf(eb, sizeof(eb), "e%c%02d", exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
    return mant + eb;
  }
  std::snprintf(buf, sizeof(buf), "%.*f", std::max(prec - exp, 0), v);
  return buf;
}

bool TemplateValue::Truthy() const {
  switch (kind) {
    case Kind::kNil: return false;
    case Kind::kBool: return b;
    case Kind::kInt: return i != 0;
    case Kind::kFloat: return f != 0;
    case Kind::kString: return !s.empty();
    case Kind::kTime: return true;
    case Kind::kList: return list && !list->empty();
    case Kind::kMap: return map && !map->empty();
    case Kind::kRoot: return true;
  }
  return false;
}

std::string FormatGoLayout(const TemplateValue& t, std::string_view layout);  // template_time.cc

void TemplateValue::AppendTo(std::string* out) const {
  switch (kind) {
    case Kind::kNil: out->append("<no value>"); break;
    case Kind::kBool: out->append(b ? "true" : "false"); break;
    case Kind::kInt: out->append(std::to_string(i)); break;
    case Kind::kFloat: out->append(FormatFloatG(f)); break;
    case Kind::kString: out->append(s); break;
    case Kind::kTime: out->append(FormatGoLayout(*this, "2006-01-02 15:04:05.999999999 -0700 MST")); break;
    case Kind::kList: {
      out->push_back('[');
      for (size_t k = 0; list && k < list->size(); ++k) {
        if (k) out->push_back(' ');
        (*list)[k].AppendTo(out);
      }
      out->push_back(']');
      break;
    }
    case Kind::kMap: {
      out->append("map[");
      bool first = true;
      for (const auto& [key, v] : *map) {
        if (!first) out->push_back(' ');
        first = false;
        out->append(key);
        out->push_back(':');
        v.AppendTo(out);
      }
      out->push_back(']');
      break;
    }
    case Kind::kRoot: out->append("map[]"); break;
  }
}

namespace {

struct BreakSignal {};

class Exec {
 public:
  Exec(const TemplateContext& ctx, std::string* out) : ctx_(ctx), out_(out) {}

  // kOk, or 1 = break, 2 = continue (inside range).
  Status Walk(const TemplateNode& n, const TemplateValue& dot, int* ctl) {
    switch (n.kind) {
      case TemplateNode::Kind::kList:
        for (const auto& c : n.list) {
          SKALD_RETURN_IF_ERROR(Walk(*c, dot, ctl));
          if (*ctl) return Status::OK();
        }
        return Status::OK();
      case TemplateNode::Kind::kText:
        out_->append(n.text);
        return Limit();
      case TemplateNode::Kind::kAction: {
        auto v = EvalPipe(*n.pipe, dot);
        if (!v.ok()) return v.status();
        if (n.pipe->decl.empty()) v.value().AppendTo(out_);
        return Limit();
      }
      case TemplateNode::Kind::kIf:
      case TemplateNode::Kind::kWith: {
        size_t mark = vars_.size();
        auto v = EvalPipe(*n.pipe, dot);
        if (!v.ok()) return v.status();
        Status st;
        if (v.value().Truthy()) {
          st = Walk(*n.then_list, n.kind == TemplateNode::Kind::kWith ? v.value() : dot, ctl);
        } else if (n.else_list) {
          st = Walk(*n.else_list, dot, ctl);
        }
        vars_.resize(mark);
        return st;
      }
      case TemplateNode::Kind::kRange: return Range(n, dot, ctl);
      case TemplateNode::Kind::kBreak: *ctl = 1; return Status::OK();
      case TemplateNode::Kind::kContinue: *ctl = 2; return Status::OK();
    }
    return Status::OK();
  }

 private:
  Status Limit() const {
    if (out_->size() > Template::kMaxOutputBytes) {
      return Status::InvalidArgument("template: output exceeds " + std::to_string(Template::kMaxOutputBytes) +
                                     " bytes");
    }
    return Status::OK();
  }

  Status Range(const TemplateNode& n, const TemplateValue& dot, int* ctl) {
    size_t mark = vars_.size();
    TemplatePipeline p = *n.pipe;
    std::vector<std::string> decl = p.decl;
    p.decl.clear();
    auto v = EvalPipe(p, dot);
    if (!v.ok()) return v.status();
    const TemplateValue& coll = v.value();
    auto body = [&](const TemplateValue& key, const TemplateValue& elem) -> Status {
      vars_.resize(mark);
      if (decl.size() == 1) vars_.emplace_back(decl[0], elem);
      if (decl.size() == 2) {
        vars_.emplace_back(decl[0], key);
        vars_.emplace_back(decl[1], elem);
      }
      int c = 0;
      SKALD_RETURN_IF_ERROR(Walk(*n.then_list, elem, &c));
      if (c == 1) return Status::Cancelled("break");
      return Status::OK();
    };
    size_t count = 0;
    Status st;
    if (coll.kind == TemplateValue::Kind::kList && coll.list) {
      for (size_t k = 0; k < coll.list->size() && st.ok(); ++k, ++count) {
        st = body(TemplateValue::Int(static_cast<int64_t>(k)), (*coll.list)[k]);
      }
    } else if (coll.kind == TemplateValue::Kind::kMap && coll.map) {
      for (const auto& [key, elem] : *coll.map) {
        if (!st.ok()) break;
        st = body(TemplateValue::Str(key), elem);
        ++count;
      }
    } else if (coll.kind == TemplateValue::Kind::kInt) {
      for (int64_t k = 0; k < coll.i && st.ok(); ++k, ++count) st = body(TemplateValue::Int(k), TemplateValue::Int(k));
    } else if (coll.kind != TemplateValue::Kind::kNil) {
      return Status::InvalidArgument("template: range can't iterate over " + coll.ToString());
    }
    vars_.resize(mark);
    if (!st.ok() && st.code() != StatusCode::kCancelled) return st;
    if (count == 0 && n.else_list) return Walk(*n.else_list, dot, ctl);
    return Status::OK();
  }

  Result<TemplateValue> EvalPipe(const TemplatePipeline& p, const TemplateValue& dot) {
    std::optional<TemplateValue> v;
    for (const TemplateCommand& c : p.cmds) {
      auto r = EvalCmd(c, dot, v);
      if (!r.ok()) return r.status();
      v = std::move(r.value());
    }
    if (!p.decl.empty()) {
      if (p.assign) {
        for (auto it = vars_.rbegin(); it != vars_.rend(); ++it) {
          if (it->first == p.decl[0]) {
            it->second = *v;
            return *v;
          }
        }
        return Status::InvalidArgument("template: undefined variable: " + p.decl[0]);
      }
      vars_.emplace_back(p.decl.back(), *v);
    }
    return *v;
  }

  Result<TemplateValue> EvalCmd(const TemplateCommand& c, const TemplateValue& dot,
                                const std::optional<TemplateValue>& piped) {
    const TemplateArg& first = c.args[0];
    if (first.kind == TemplateArg::Kind::kFunc) {
      std::vector<TemplateValue> args;
      for (size_t k = 1; k < c.args.size(); ++k) {
        auto a = EvalArg(c.args[k], dot);
        if (!a.ok()) return a.status();
        args.push_back(std::move(a.value()));
      }
      if (piped) args.push_back(*piped);
      TemplateFn fn = FindTemplateFunction(first.name);
      auto r = fn(ctx_, args);
      if (!r.ok()) {
        return Status::InvalidArgument("template: error calling " + first.name + ": " + r.status().message());
      }
      return r;
    }
    if (c.args.size() > 1 || piped) {
      return Status::InvalidArgument("template: can't give argument to non-function");
    }
    return EvalArg(first, dot);
  }

  Result<TemplateValue> Fields(TemplateValue v, const std::vector<std::string>& fields) {
    for (const std::string& f : fields) {
      if (v.kind == TemplateValue::Kind::kRoot) {
        auto s = ctx_.lookup ? ctx_.lookup(f) : std::nullopt;
        v = TemplateValue::Str(std::string(s.value_or("")));
      } else if (v.kind == TemplateValue::Kind::kMap) {
        auto it = v.map->find(f);
        v = it == v.map->end() ? TemplateValue::Nil() : it->second;
      } else if (v.kind == TemplateValue::Kind::kNil) {
        return Status::InvalidArgument("template: nil pointer evaluating interface {}." + f);
      } else {
        return Status::InvalidArgument("template: can't evaluate field " + f + " in type " +
                                       (v.kind == TemplateValue::Kind::kString ? "string" : "value"));
      }
    }
    return v;
  }

  Result<TemplateValue> EvalArg(const TemplateArg& a, const TemplateValue& dot) {
    switch (a.kind) {
      case TemplateArg::Kind::kDot: return dot;
      case TemplateArg::Kind::kField: return Fields(dot, a.fields);
      case TemplateArg::Kind::kVar: {
        if (a.name == "$") return Fields(TemplateValue::Root(), a.fields);
        for (auto it = vars_.rbegin(); it != vars_.rend(); ++it) {
          if (it->first == a.name) return Fields(it->second, a.fields);
        }
        return Status::InvalidArgument("template: undefined variable: " + a.name);
      }
      case TemplateArg::Kind::kLiteral: return a.literal;
      case TemplateArg::Kind::kFunc: {
        TemplateCommand c;
        c.args.push_back(a);
        return EvalCmd(c, dot, std::nullopt);
      }
      case TemplateArg::Kind::kPipe: {
        size_t mark = vars_.size();
        auto r = EvalPipe(*a.pipe, dot);
        vars_.resize(mark);
        return r;
      }
    }
    return TemplateValue::Nil();
  }

  const TemplateContext& ctx_;
  std::string* out_;
  std::vector<std::pair<std::string, TemplateValue>> vars_;
};

}  // namespace

Status Template::Execute(const TemplateContext& ctx, std::string* out) const {
  out->clear();
  Exec e(ctx, out);
  int ctl = 0;
  return e.Walk(*root_, TemplateValue::Root(), &ctl);
}

}  // namespace skald::common
