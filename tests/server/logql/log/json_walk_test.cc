// The `| json` walk's shortcuts (raw keys and escape-free strings read in
// place, values outside the allow-set left unconsumed) against a reference
// walker that unescapes every key and string through simdjson, as the
// parser did before them: same labels, same __error__ and details, on
// hand-picked lines and on many deterministic mutations of them.
#include <simdjson.h>

#include <doctest/doctest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "server/logql/log/json_parser.h"
#include "server/logql/log/label_key.h"
#include "tests/server/logql/log/test_util.h"

namespace skald::server::logql::log {
namespace {

namespace od = simdjson::ondemand;
using testing::Run;

constexpr std::string_view kMalformed = "Value looks like object, but can't find closing '}' symbol";

std::string_view RefErrorText(simdjson::error_code e) {
  if (e == simdjson::INCOMPLETE_ARRAY_OR_OBJECT || e == simdjson::TAPE_ERROR || e == simdjson::INCORRECT_TYPE) {
    return kMalformed;
  }
  return simdjson::error_message(e);
}

std::string_view RefTrimRight(std::string_view s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

bool RefAllowed(const std::vector<std::string>* allow, std::string_view key) {
  return allow == nullptr || std::find(allow->begin(), allow->end(), key) != allow->end();
}

// The straightforward walk: every key unescaped, every string unescaped.
simdjson::error_code RefWalk(od::object obj, std::string* key, int depth, LabelsBuilder& lbs,
                             const std::vector<std::string>* allow) {
  size_t prefix_len = key->size();
  for (auto field_r : obj) {
    od::field field;
    if (auto e = std::move(field_r).get(field)) return e;
    std::string_view raw_key;
    if (auto e = field.unescaped_key().get(raw_key)) return e;
    key->resize(prefix_len);
    if (prefix_len > 0) key->push_back('_');
    AppendSanitizedKey(raw_key, prefix_len == 0, key);
    od::value v = field.value();
    od::json_type t;
    if (auto e = v.type().get(t)) return e;
    switch (t) {
      case od::json_type::object: {
        if (depth >= 128) break;
        od::object child;
        if (auto e = v.get_object().get(child)) return e;
        if (auto e = RefWalk(child, key, depth + 1, lbs, allow)) return e;
        break;
      }
      case od::json_type::string: {
        std::string_view s;
        if (auto e = v.get_string().get(s)) return e;
        if (RefAllowed(allow, *key)) lbs.SetExtracted(*key, s);
        break;
      }
      case od::json_type::number:
      case od::json_type::boolean: {
        std::string_view tok = RefTrimRight(v.raw_json_token());
        if (t == od::json_type::boolean) {
          bool b;
          if (auto e = v.get_bool().get(b)) return e;
          tok = b ? "true" : "false";
        }
        if (RefAllowed(allow, *key)) lbs.SetExtracted(*key, tok);
        break;
      }
      default:
        break;
    }
  }
  key->resize(prefix_len);
  return simdjson::SUCCESS;
}

class RefJson final : public Stage {
 public:
  explicit RefJson(const std::vector<std::string>* allow) : allow_(allow) {}
  bool Process(int64_t, std::string_view& line, LabelsBuilder& lbs) const override {
    size_t i = 0;
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\n' || line[i] == '\r')) ++i;
    auto fail = [&](std::string_view d) {
      lbs.SetErr(kJsonParserErr);
      lbs.SetErrDetails(d);
      return true;
    };
    if (i == line.size() || line[i] != '{') return fail(kMalformed);
    simdjson::padded_string padded(line);
    od::parser parser;
    od::document doc;
    if (auto e = parser.iterate(padded).get(doc)) return fail(RefErrorText(e));
    od::object obj;
    if (auto e = doc.get_object().get(obj)) return fail(RefErrorText(e));
    std::string key;
    if (auto e = RefWalk(obj, &key, 0, lbs, allow_)) fail(RefErrorText(e));
    return true;
  }

 private:
  const std::vector<std::string>* allow_;
};

constexpr const char* kStream = R"({job="x", level="s"})";

// Full and restricted extraction agree with the reference on `line`.
void CheckSame(const std::string& line, const std::vector<std::string>& allow) {
  CAPTURE(line);
  CHECK(Run({std::make_shared<JsonParser>()}, kStream, line) ==
        Run({std::make_shared<RefJson>(nullptr)}, kStream, line));
  // The reference gets the allow-set with `_extracted` names also stripped,
  // as JsonParser documents.
  std::vector<std::string> ref_allow = allow;
  for (const auto& a : allow) {
    if (a.ends_with("_extracted")) ref_allow.push_back(a.substr(0, a.size() - 10));
  }
  CHECK(Run({std::make_shared<JsonParser>(allow)}, kStream, line) ==
        Run({std::make_shared<RefJson>(&ref_allow)}, kStream, line));
}

const std::vector<std::string> kAllow = {"__error__", "level_extracted", "msg", "a_b", "n", "sp__x"};

const std::vector<std::string>& Seeds() {
  static const std::vector<std::string> v = {
      R"({"time":"2026-11-22T01:56:55.002Z","level":"info","msg":"user logged in","status":201,"ok":true})",
      R"({"level":"error","msg":"boom \"quoted\" \\ back\nslash","stack":"a\tb\u00e9c"})",
      R"({"a":{"b":"2","c":{"d":false}},"n":-1.5e3,"z":null,"arr":[1,"x",{"y":2}]})",
      R"({"le\u0076el":"warn","m\"sg":"k","sp x":"1","1st":"d","é":"u"})",
      R"({"a_very_long_key_name_beyond_sixteen":"v","another_long_key_with\\escape":"w","msg":"m"})",
      R"(  {"msg" : "spaces" , "n" : 7 , "a" : { "b" : "nested" } }  )",
      R"({"msg":"","n":0,"t":true,"f":false})",
      // Escapes past the first 16 bytes of a value, values of 14-17 bytes.
      R"({"msg":"0123456789abcdefg\"h","a":{"b":"0123456789abcdefghijklmnopqrstuvwxyz0\n"}})",
      R"({"msg":"0123456789abcd","n":"0123456789abcde","level":"0123456789abcdef"})",
  };
  return v;
}

TEST_CASE("json walk matches the reference on hand-picked lines") {
  for (const auto& l : Seeds()) CheckSame(l, kAllow);
  const std::vector<std::string> bad = {
      R"({"a":"\x"})",          R"({"a\q":"1"})",         R"({"a":tru})",       R"({"a":"1" "b":2})",
      R"({"a":"1",})",          R"({"a":{"b":"\uZZZZ"}})", R"({"a":nul})",       R"({"a":1}x)",
      R"({"a":"1"} {"b":2})",   R"({"a":)",               R"({"msg":"ok","a":"\)", R"({"a":"x"yz})",
      R"({"a":[1,2})",          R"({"n":01})",            R"({"n":-})",          R"({"t":truex})",
  };
  for (const auto& l : bad) CheckSame(l, kAllow);
}

TEST_CASE("json walk matches the reference on mutated lines") {
  std::mt19937 rng(42);
  const std::string alphabet = "\"\\{}[]:, tfnu0e.-a\x01\xc3\xa9";
  int errors_seen = 0;
  for (int round = 0; round < 4000; ++round) {
    std::string line = Seeds()[rng() % Seeds().size()];
    const int n_mut = 1 + static_cast<int>(rng() % 3);
    for (int m = 0; m < n_mut && !line.empty(); ++m) {
      const size_t pos = rng() % line.size();
      const char c = alphabet[rng() % alphabet.size()];
      switch (rng() % 3) {
        case 0: line.insert(line.begin() + static_cast<std::ptrdiff_t>(pos), c); break;
        case 1: line.erase(pos, 1); break;
        default: line[pos] = c; break;
      }
    }
    CheckSame(line, kAllow);
    errors_seen += Run({std::make_shared<JsonParser>()}, kStream, line).find("JSONParserErr") != std::string::npos;
  }
  // The mutations exercise both outcomes.
  CHECK(errors_seen > 1000);
  CHECK(errors_seen < 3900);
}

}  // namespace
}  // namespace skald::server::logql::log
