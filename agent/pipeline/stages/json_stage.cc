// json: parses the line (or `source`) as JSON and extracts values by
// JMESPath-style expressions into the extracted map (Promtail's `json`).
//
// Supported expression subset: identifiers and quoted keys joined by dots,
// array indices (`a.b[0]`, `"x.y".z`, `items[-1]`). Strings are extracted
// raw; numbers, booleans, objects and arrays as their JSON text; null and
// missing paths are not extracted. With drop_malformed, a line that is not
// JSON is dropped; otherwise it passes on unchanged.
#include <simdjson.h>

#include <variant>

#include "agent/pipeline/stages/stages.h"

namespace skald::agent::pipeline {
namespace {

using Step = std::variant<std::string, int64_t>;  // key or index

Result<std::vector<Step>> ParseExpression(std::string_view e) {
  std::vector<Step> steps;
  size_t i = 0;
  auto bad = [&](const char* why) {
    return Status::InvalidArgument(std::string("invalid expression \"") + std::string(e) +
                                   "\": " + why);
  };
  bool need_key = true;
  while (i < e.size()) {
    if (e[i] == '[') {
      size_t close = e.find(']', i);
      if (close == std::string_view::npos) return bad("unclosed [");
      std::string num(e.substr(i + 1, close - i - 1));
      try {
        size_t used = 0;
        int64_t idx = std::stoll(num, &used);
        if (used != num.size()) return bad("index must be an integer");
        steps.emplace_back(idx);
      } catch (const std::exception&) {
        return bad("index must be an integer");
      }
      i = close + 1;
      need_key = false;
      continue;
    }
    if (e[i] == '.') {
      if (need_key) return bad("unexpected .");
      ++i;
      need_key = true;
      continue;
    }
    if (!need_key) return bad("expected . or [");
    if (e[i] == '"') {
      std::string key;
      ++i;
      while (i < e.size() && e[i] != '"') {
        if (e[i] == '\\' && i + 1 < e.size()) ++i;
        key += e[i++];
      }
      if (i >= e.size()) return bad("unclosed quote");
      ++i;
      steps.emplace_back(std::move(key));
    } else {
      size_t start = i;
      while (i < e.size() && (std::isalnum(static_cast<unsigned char>(e[i])) || e[i] == '_' ||
                              e[i] == '-' || e[i] == '@' || e[i] == '$')) {
        ++i;
      }
      if (i == start) return bad("unexpected character");
      steps.emplace_back(std::string(e.substr(start, i - start)));
    }
    need_key = false;
  }
  if (steps.empty() || need_key) return bad("empty path");
  return steps;
}

struct Expression {
  std::string name;
  std::vector<Step> steps;
};

class JsonStage final : public Stage {
 public:
  JsonStage(std::vector<Expression> exprs, std::string source, bool drop_malformed)
      : exprs_(std::move(exprs)), source_(std::move(source)), drop_malformed_(drop_malformed) {}

  void Process(PipelineEntry e, std::vector<PipelineEntry>* out) override {
    const std::string* input = SourceValue(e, source_);
    if (input == nullptr) {
      out->push_back(std::move(e));
      return;
    }
    simdjson::padded_string padded(*input);
    simdjson::dom::element doc;
    if (parser_.parse(padded).get(doc) != simdjson::SUCCESS) {
      if (!drop_malformed_) out->push_back(std::move(e));
      return;
    }
    for (const Expression& x : exprs_) {
      simdjson::dom::element v = doc;
      bool found = true;
      for (const Step& s : x.steps) {
        if (const std::string* key = std::get_if<std::string>(&s)) {
          simdjson::dom::object obj;
          found = v.get(obj) == simdjson::SUCCESS && obj.at_key(*key).get(v) == simdjson::SUCCESS;
        } else {
          int64_t idx = std::get<int64_t>(s);
          simdjson::dom::array arr;
          found = v.get(arr) == simdjson::SUCCESS;
          if (found && idx < 0) idx += static_cast<int64_t>(arr.size());
          found = found && idx >= 0 &&
                  arr.at(static_cast<size_t>(idx)).get(v) == simdjson::SUCCESS;
        }
        if (!found) break;
      }
      if (!found || v.is_null()) continue;
      std::string_view str;
      if (v.get(str) == simdjson::SUCCESS) {
        e.extracted[x.name] = std::string(str);
      } else {
        e.extracted[x.name] = simdjson::minify(v);
      }
    }
    out->push_back(std::move(e));
  }
  const char* name() const override { return "json"; }

 private:
  std::vector<Expression> exprs_;
  std::string source_;
  bool drop_malformed_;
  simdjson::dom::parser parser_;
};

}  // namespace

StageResult NewJsonStage(YamlMap* cfg) {
  SKALD_RETURN_IF_ERROR(cfg->CheckIsMap());
  std::map<std::string, std::string> exprs;
  std::string source;
  bool drop_malformed = false;
  SKALD_RETURN_IF_ERROR(cfg->GetStringMap("expressions", &exprs));
  SKALD_RETURN_IF_ERROR(cfg->GetString("source", &source));
  SKALD_RETURN_IF_ERROR(cfg->GetBool("drop_malformed", &drop_malformed));
  SKALD_RETURN_IF_ERROR(cfg->CheckNoUnknownKeys());
  if (exprs.empty()) return cfg->Error("expressions", "json stage requires expressions");
  std::vector<Expression> parsed;
  for (const auto& [name, expr] : exprs) {
    Result<std::vector<Step>> steps = ParseExpression(expr.empty() ? name : expr);
    if (!steps.ok()) return cfg->Error("expressions", steps.status().message());
    parsed.push_back({name, std::move(*steps)});
  }
  return std::unique_ptr<Stage>(
      std::make_unique<JsonStage>(std::move(parsed), std::move(source), drop_malformed));
}

}  // namespace skald::agent::pipeline
