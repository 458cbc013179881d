#include "server/logql/log/json_parser.h"

#include "common/labels.h"
#include "server/logql/log/json_scratch.h"
#include "server/logql/log/label_key.h"

namespace skald::server::logql::log {

namespace od = simdjson::ondemand;
using common::Result;
using common::Status;

namespace {

// jsonparser's message for a line that is not a complete object.
constexpr std::string_view kMalformedObject = "Value looks like object, but can't find closing '}' symbol";
constexpr std::string_view kUnpackNotObject = "expecting json object(6), but it is not";
// Nesting depth beyond which `| json` stops descending (the rest is skipped).
constexpr int kMaxJsonDepth = 128;

std::string_view TrimRight(std::string_view s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

bool StartsWithObject(std::string_view s) {
  size_t i = 0;
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) ++i;
  return i < s.size() && s[i] == '{';
}

void SetError(LabelsBuilder& lbs, std::string_view details) {
  lbs.SetErr(kJsonParserErr);
  lbs.SetErrDetails(details);
}

std::string_view ErrorText(simdjson::error_code e) {
  if (e == simdjson::INCOMPLETE_ARRAY_OR_OBJECT || e == simdjson::TAPE_ERROR ||
      e == simdjson::INCORRECT_TYPE) {
    return kMalformedObject;
  }
  return simdjson::error_message(e);
}

// Appends the sanitised `raw` key: keys made only of [A-Za-z0-9_] (the
// common case) are appended whole; others go through AppendSanitizedKey.
void AppendKey(std::string_view raw, bool is_prefix, std::string* key) {
  bool clean = !raw.empty() && !(is_prefix && raw[0] >= '0' && raw[0] <= '9');
  for (size_t i = 0; clean && i < raw.size(); ++i) {
    char c = raw[i];
    clean = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  }
  if (clean) {
    key->append(raw);
  } else {
    AppendSanitizedKey(raw, is_prefix, key);
  }
}

// Whether `key` may be extracted (`allow` null: everything).
bool Allowed(const std::vector<std::string>* allow, std::string_view key) {
  if (allow == nullptr) return true;
  for (const std::string& a : *allow) {
    if (a == key) return true;
  }
  return false;
}

// Walks an object, setting `prefix_field` labels (only those in `allow`, when
// non-null); returns the first error.
simdjson::error_code Walk(od::object obj, std::string* key, int depth, LabelsBuilder& lbs,
                          const std::vector<std::string>* allow) {
  size_t prefix_len = key->size();
  for (auto field_r : obj) {
    od::field field;
    if (auto e = std::move(field_r).get(field)) return e;
    std::string_view raw_key;
    if (auto e = field.unescaped_key().get(raw_key)) return e;
    key->resize(prefix_len);
    if (prefix_len > 0) key->push_back('_');
    AppendKey(raw_key, prefix_len == 0, key);
    od::value v = field.value();
    od::json_type t;
    if (auto e = v.type().get(t)) return e;
    switch (t) {
      case od::json_type::object: {
        if (depth >= kMaxJsonDepth) break;
        od::object child;
        if (auto e = v.get_object().get(child)) return e;
        if (auto e = Walk(child, key, depth + 1, lbs, allow)) return e;
        break;
      }
      case od::json_type::string: {
        std::string_view s;
        if (auto e = v.get_string().get(s)) return e;
        if (Allowed(allow, *key)) lbs.SetExtracted(*key, s);
        break;
      }
      case od::json_type::number:
      case od::json_type::boolean: {
        std::string_view tok = TrimRight(v.raw_json_token());
        if (t == od::json_type::boolean) {
          bool b;
          if (auto e = v.get_bool().get(b)) return e;
          tok = b ? "true" : "false";
        }
        if (Allowed(allow, *key)) lbs.SetExtracted(*key, tok);
        break;
      }
      case od::json_type::array:
      case od::json_type::null:
        break;  // skipped, as Loki does
    }
  }
  key->resize(prefix_len);
  return simdjson::SUCCESS;
}

}  // namespace

JsonParser::JsonParser(std::vector<std::string> allow) : restricted_(true) {
  for (std::string& a : allow) {
    if (a.size() > kExtractedSuffix.size() && a.ends_with(kExtractedSuffix)) {
      allow_.push_back(a.substr(0, a.size() - kExtractedSuffix.size()));
    }
    allow_.push_back(std::move(a));
  }
}

bool JsonParser::Process(int64_t, std::string_view& line, LabelsBuilder& lbs) const {
  if (!StartsWithObject(line)) {
    SetError(lbs, kMalformedObject);
    return true;
  }
  JsonScratch& js = lbs.scratch().json();
  od::document doc;
  if (auto e = js.parser.iterate(js.Pad(line)).get(doc)) {
    SetError(lbs, ErrorText(e));
    return true;
  }
  od::object obj;
  if (auto e = doc.get_object().get(obj)) {
    SetError(lbs, ErrorText(e));
    return true;
  }
  js.key.clear();
  if (auto e = Walk(obj, &js.key, 0, lbs, restricted_ ? &allow_ : nullptr)) SetError(lbs, ErrorText(e));
  return true;
}

Result<std::vector<JsonPathPart>> ParseJsonPath(std::string_view expr) {
  auto bad = [&] {
    return Status::InvalidArgument("invalid json path expression: " + std::string(expr));
  };
  std::vector<JsonPathPart> out;
  size_t i = 0;
  auto is_field = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  };
  bool first = true;
  while (i < expr.size()) {
    char c = expr[i];
    if (c == '[') {
      ++i;
      if (i < expr.size() && expr[i] == '"') {
        size_t start = i;
        ++i;
        while (i < expr.size() && expr[i] != '"') i += (expr[i] == '\\') ? 2 : 1;
        if (i >= expr.size()) return bad();
        ++i;
        auto u = common::UnquoteGoString(expr.substr(start + 1, i - start - 2), '"');
        if (!u.ok()) return bad();
        if (i >= expr.size() || expr[i] != ']') return bad();
        ++i;
        out.push_back(JsonPathPart{false, std::move(u.value()), 0});
      } else {
        size_t start = i;
        while (i < expr.size() && expr[i] >= '0' && expr[i] <= '9') ++i;
        if (i == start || i >= expr.size() || expr[i] != ']') return bad();
        out.push_back(JsonPathPart{true, {}, std::stoul(std::string(expr.substr(start, i - start)))});
        ++i;
      }
    } else {
      if (!first) {
        if (c != '.') return bad();
        ++i;
      }
      size_t start = i;
      while (i < expr.size() && is_field(expr[i])) ++i;
      if (i == start) return bad();
      out.push_back(JsonPathPart{false, std::string(expr.substr(start, i - start)), 0});
    }
    first = false;
  }
  if (out.empty()) return bad();
  return out;
}

Result<std::unique_ptr<JsonExpressionParser>> JsonExpressionParser::Create(std::vector<JsonParam> params) {
  std::vector<Compiled> c;
  for (JsonParam& p : params) {
    if (!common::IsValidLabelName(p.label)) {
      return Status::InvalidArgument("invalid extracted label name '" + p.label + "'");
    }
    auto path = ParseJsonPath(p.path);
    if (!path.ok()) return path.status();
    c.push_back(Compiled{std::move(p.label), std::move(path.value())});
  }
  return std::unique_ptr<JsonExpressionParser>(new JsonExpressionParser(std::move(c)));
}

namespace {

// Finds `path` in `doc` and writes its text into *out; false when absent.
bool Lookup(od::document& doc, const std::vector<JsonPathPart>& path, std::string* out) {
  od::value v;
  if (doc.get_value().get(v)) return false;
  for (const JsonPathPart& p : path) {
    if (p.is_index) {
      od::array a;
      if (v.get_array().get(a)) return false;
      size_t i = 0;
      bool found = false;
      for (auto el : a) {
        if (i++ == p.index) {
          if (std::move(el).get(v)) return false;
          found = true;
          break;
        }
      }
      if (!found) return false;
    } else {
      od::object o;
      if (v.get_object().get(o)) return false;
      if (o.find_field_unordered(p.key).get(v)) return false;
    }
  }
  od::json_type t;
  if (v.type().get(t)) return false;
  std::string_view s;
  switch (t) {
    case od::json_type::string:
      if (v.get_string().get(s)) return false;
      break;
    case od::json_type::object: {
      od::object o;
      if (v.get_object().get(o) || o.raw_json().get(s)) return false;
      break;
    }
    case od::json_type::array: {
      od::array a;
      if (v.get_array().get(a) || a.raw_json().get(s)) return false;
      break;
    }
    case od::json_type::null:
      s = "";
      break;
    default:
      s = TrimRight(v.raw_json_token());
  }
  out->assign(s);
  return true;
}

}  // namespace

bool JsonExpressionParser::Process(int64_t, std::string_view& line, LabelsBuilder& lbs) const {
  if (line.empty()) return true;
  size_t i = 0;
  while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\n' || line[i] == '\r')) ++i;
  if (i == line.size() || (line[i] != '{' && line[i] != '[')) {
    lbs.SetErr(kJsonParserErr);
    return true;
  }
  JsonScratch& js = lbs.scratch().json();
  od::document doc;
  if (auto e = js.parser.iterate(js.Pad(line)).get(doc)) {
    SetError(lbs, ErrorText(e));
    return true;
  }
  for (const Compiled& p : params_) {
    doc.rewind();
    if (!Lookup(doc, p.path, &js.value)) js.value.clear();
    lbs.SetExtracted(p.label, js.value);
  }
  return true;
}

bool UnpackParser::Process(int64_t, std::string_view& line, LabelsBuilder& lbs) const {
  if (!StartsWithObject(line)) {
    SetError(lbs, kUnpackNotObject);
    return true;
  }
  JsonScratch& js = lbs.scratch().json();
  od::document doc;
  od::object obj;
  if (auto e = js.parser.iterate(js.Pad(line)).get(doc)) {
    SetError(lbs, simdjson::error_message(e));
    return true;
  }
  if (auto e = doc.get_object().get(obj)) {
    SetError(lbs, simdjson::error_message(e));
    return true;
  }
  bool have_entry = false;
  std::string& entry = js.value;
  for (auto field_r : obj) {
    od::field field;
    std::string_view key, val;
    if (auto e = std::move(field_r).get(field)) {
      SetError(lbs, simdjson::error_message(e));
      return true;
    }
    if (field.unescaped_key().get(key)) {
      SetError(lbs, kMalformedObject);
      return true;
    }
    od::value v = field.value();
    od::json_type t;
    if (v.type().get(t) || t != od::json_type::string) continue;
    if (v.get_string().get(val)) continue;
    if (key == "_entry") {
      entry.assign(val);
      have_entry = true;
      continue;
    }
    lbs.SetExtracted(key, val);
  }
  if (have_entry) {
    std::string& out = lbs.scratch().LineBuffer(line);
    out.assign(entry);
    line = out;
  }
  return true;
}

}  // namespace skald::server::logql::log
