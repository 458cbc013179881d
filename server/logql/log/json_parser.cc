#include "server/logql/log/json_parser.h"

#include <algorithm>
#include <array>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

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

// Whether `raw` is its own sanitised form as a leading key part: only
// [A-Za-z0-9_], not empty, no leading digit (the common case).
bool IsCleanKey(std::string_view raw, bool is_prefix) {
  if (raw.empty() || (is_prefix && raw[0] >= '0' && raw[0] <= '9')) return false;
  for (char c : raw) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) {
      return false;
    }
  }
  return true;
}

// Appends the sanitised `raw` key: clean keys whole, others through
// AppendSanitizedKey.
void AppendKey(std::string_view raw, bool is_prefix, std::string* key) {
  if (IsCleanKey(raw, is_prefix)) {
    key->append(raw);
  } else {
    AppendSanitizedKey(raw, is_prefix, key);
  }
}

// The raw text of a string whose (escape-free) JSON token starts at `tok`
// (opening quote) and whose closing quote is the last one in `tok` (the
// token runs to the next structural character, so only whitespace follows).
std::string_view StringBody(std::string_view tok) {
  size_t close = tok.rfind('"');
  if (close == 0 || close == std::string_view::npos) return {};
  return tok.substr(1, close - 1);
}

// Byte classes for scanning a raw key: [A-Za-z0-9_] continue a clean key;
// the quote ends it; anything else (backslash, other bytes) needs a look.
enum KeyByte : uint8_t { kKeyClean = 0, kKeyQuote = 1, kKeyOther = 2 };

constexpr std::array<uint8_t, 256> MakeKeyByteTable() {
  std::array<uint8_t, 256> t{};
  for (int c = 0; c < 256; ++c) {
    bool clean = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    t[c] = clean ? kKeyClean : (c == '"' ? kKeyQuote : kKeyOther);
  }
  return t;
}
constexpr std::array<uint8_t, 256> kKeyByte = MakeKeyByteTable();

// A key's raw bytes (from after its opening quote to the closing quote) when
// it holds no backslash, and whether they are clean (IsCleanKey as a leading
// part); false when it holds a backslash (then it needs unescaping). `raw`
// lies in simdjson's padded input, so 16 bytes past it are readable.
bool RawKey(const char* raw, std::string_view* out, bool* clean) {
  const auto* p = reinterpret_cast<const unsigned char*>(raw);
#if defined(__SSE2__)
  // Keys are short: one 16-byte look finds the quote and classifies the bytes.
  const __m128i c = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  const unsigned quote = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(c, _mm_set1_epi8('"'))));
  if (quote != 0) {
    const unsigned n = static_cast<unsigned>(__builtin_ctz(quote));
    const unsigned before = (1u << n) - 1;
    const unsigned backslash =
        static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(c, _mm_set1_epi8('\\'))));
    if (backslash & before) return false;
    const __m128i lower = _mm_or_si128(c, _mm_set1_epi8(0x20));
    const __m128i alpha = _mm_and_si128(_mm_cmpgt_epi8(lower, _mm_set1_epi8('a' - 1)),
                                        _mm_cmplt_epi8(lower, _mm_set1_epi8('z' + 1)));
    const __m128i digit = _mm_and_si128(_mm_cmpgt_epi8(c, _mm_set1_epi8('0' - 1)),
                                        _mm_cmplt_epi8(c, _mm_set1_epi8('9' + 1)));
    const __m128i under = _mm_cmpeq_epi8(c, _mm_set1_epi8('_'));
    const unsigned ok = static_cast<unsigned>(_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(alpha, digit), under)));
    *out = std::string_view(raw, n);
    *clean = n > 0 && (ok & before) == before && !(p[0] >= '0' && p[0] <= '9');
    return true;
  }
#endif
  size_t n = 0;
  while (kKeyByte[p[n]] == kKeyClean) ++n;
  if (p[n] == '"') {
    *out = std::string_view(raw, n);
    *clean = n > 0 && !(p[0] >= '0' && p[0] <= '9');
    return true;
  }
  while (p[n] != '"') {
    if (p[n] == '\\') return false;
    ++n;
  }
  *out = std::string_view(raw, n);
  *clean = false;
  return true;
}

// Whether `tok` (a token inside simdjson's padded input, so up to 15 bytes
// past its end are readable) holds a backslash.
bool HasBackslash(std::string_view tok) {
#if defined(__SSE2__)
  const __m128i bs = _mm_set1_epi8('\\');
  for (size_t i = 0; i < tok.size(); i += 16) {
    const __m128i c = _mm_loadu_si128(reinterpret_cast<const __m128i*>(tok.data() + i));
    unsigned m = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(c, bs)));
    if (tok.size() - i < 16) m &= (1u << (tok.size() - i)) - 1;
    if (m != 0) return true;
  }
  return false;
#else
  return tok.find('\\') != std::string_view::npos;
#endif
}

struct WalkState {
  LabelsBuilder& lbs;
  const JsonAllowSet* allow;  // null: every key
  std::string* key;           // flattened-key builder (holds the prefix)
};

// Walks an object, setting `prefix_field` labels (only those `allow`ed, when
// restricted); returns the first error. Validation is the same whether a key
// is extracted or not: every key and string value is checked for bad escapes
// (a string without a backslash cannot have one, so it is not unescaped
// unless extracted) and every boolean literal is parsed; numbers, nulls and
// arrays are only delimited, as simdjson's skip does.
simdjson::error_code Walk(od::object obj, int depth, WalkState& st) {
  std::string* key = st.key;
  const size_t prefix_len = key->size();
  for (auto field_r : obj) {
    od::field field;
    if (auto e = std::move(field_r).get(field)) return e;
    std::string_view raw_key;
    bool clean = false;
    if (!RawKey(field.key().raw(), &raw_key, &clean)) {
      if (auto e = field.unescaped_key().get(raw_key)) return e;
      clean = IsCleanKey(raw_key, true);
    }
    // The flattened name: a clean top-level key is itself (no copy).
    std::string_view name;
    if (prefix_len == 0 && clean) {
      name = raw_key;
    } else {
      key->resize(prefix_len);
      if (prefix_len > 0) key->push_back('_');
      AppendKey(raw_key, prefix_len == 0, key);
      name = *key;
    }
    const bool want = st.allow == nullptr || st.allow->Contains(name);
    od::value v = field.value();
    od::json_type t;
    if (auto e = v.type().get(t)) return e;
    switch (t) {
      case od::json_type::object: {
        if (depth >= kMaxJsonDepth) break;
        od::object child;
        if (auto e = v.get_object().get(child)) return e;
        if (name.data() != key->data()) key->assign(name);
        if (auto e = Walk(child, depth + 1, st)) return e;
        break;
      }
      case od::json_type::string: {
        std::string_view tok = v.raw_json_token();
        if (!HasBackslash(tok)) {
          // Nothing to unescape, nothing that can fail: consumed as a raw
          // string (the iteration must step past it exactly as get_string
          // does: an unconsumed value is skipped more leniently).
          od::raw_json_string raw;
          if (auto e = v.get_raw_json_string().get(raw)) return e;
          if (want) st.lbs.SetExtracted(name, StringBody(tok));
          break;
        }
        std::string_view s;
        if (auto e = v.get_string().get(s)) return e;
        if (want) st.lbs.SetExtracted(name, s);
        break;
      }
      case od::json_type::number:
        if (want) st.lbs.SetExtracted(name, TrimRight(v.raw_json_token()));
        break;
      case od::json_type::boolean: {
        bool b;
        if (auto e = v.get_bool().get(b)) return e;
        if (want) st.lbs.SetExtracted(name, b ? "true" : "false");
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

JsonAllowSet::JsonAllowSet(std::vector<std::string> names) {
  for (std::string& a : names) {
    if (a.size() > kExtractedSuffix.size() && a.ends_with(kExtractedSuffix)) {
      Add(a.substr(0, a.size() - kExtractedSuffix.size()));
    }
    Add(std::move(a));
  }
}

void JsonAllowSet::Add(std::string name) {
  if (std::find(names_.begin(), names_.end(), name) != names_.end()) return;
  len_mask_ |= uint64_t{1} << (name.size() & 63);
  names_.push_back(std::move(name));
}

bool JsonAllowSet::Contains(std::string_view name) const {
  if ((len_mask_ & (uint64_t{1} << (name.size() & 63))) == 0) return false;
  for (const std::string& a : names_) {
    if (a.size() == name.size() && std::memcmp(a.data(), name.data(), a.size()) == 0) return true;
  }
  return false;
}

JsonParser::JsonParser(std::vector<std::string> allow) : restricted_(true), allow_(std::move(allow)) {}

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
  WalkState st{lbs, restricted_ ? &allow_ : nullptr, &js.key};
  if (auto e = Walk(obj, 0, st)) SetError(lbs, ErrorText(e));
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
