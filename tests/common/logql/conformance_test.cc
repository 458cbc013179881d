// Every LogQL text in the shared conformance corpus parses (or fails with
// the expected message), and printing it round-trips.
#include <doctest/doctest.h>
#include <simdjson.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "common/logql/parser.h"
#include "common/logql/printer.h"

namespace skald::common::logql {
namespace {

struct QueryCase {
  std::string id;
  std::string feature;
  std::string query;
  bool is_match = false;  // a /series match[] value
  int status = 200;
  std::string error_contains;
};

std::vector<QueryCase> LoadCorpus() {
  const char* shared = std::getenv("SKALD_SHARED_DIR");
  std::string dir = shared != nullptr ? shared : "/work/shared";
  std::ifstream in(dir + "/conformance/cases.jsonl");
  REQUIRE_MESSAGE(in.good(), "cannot open cases.jsonl under " << dir);
  std::vector<QueryCase> out;
  std::string line;
  while (std::getline(in, line)) {
    simdjson::padded_string padded(line);
    simdjson::dom::parser dom;
    simdjson::dom::element doc = dom.parse(padded);
    QueryCase base;
    base.id = std::string(doc["id"].get_string().value());
    base.feature = std::string(doc["feature"].get_string().value());
    auto expect = doc["expect"];
    int64_t status = 200;
    if (expect["status"].get_int64().get(status) == simdjson::SUCCESS) base.status = static_cast<int>(status);
    std::string_view contains;
    if (expect["error_contains"].get_string().get(contains) == simdjson::SUCCESS) {
      base.error_contains = std::string(contains);
    }
    auto params = doc["params"];
    std::string_view q;
    if (params["query"].get_string().get(q) == simdjson::SUCCESS) {
      QueryCase c = base;
      c.query = std::string(q);
      out.push_back(c);
    }
    simdjson::dom::element match;
    if (params["match[]"].get(match) == simdjson::SUCCESS) {
      std::vector<std::string> values;
      if (match.is_string()) {
        values.emplace_back(match.get_string().value());
      } else {
        for (auto v : match.get_array()) values.emplace_back(v.get_string().value());
      }
      for (const auto& v : values) {
        QueryCase c = base;
        c.query = v;
        c.is_match = true;
        out.push_back(c);
      }
    }
  }
  return out;
}

TEST_CASE("every conformance query parses, or fails with the recorded parse error") {
  auto cases = LoadCorpus();
  REQUIRE(cases.size() > 150);
  for (const auto& c : cases) {
    if (c.is_match) continue;
    INFO(c.id << " query: " << c.query);
    auto r = ParseExpr(c.query);
    if (c.feature == "err_parse") {
      REQUIRE_FALSE(r.ok());
      CHECK(r.status().message().find(c.error_contains) != std::string::npos);
      continue;
    }
    REQUIRE_MESSAGE(r.ok(), r.status().message());
    // parse(print(parse(q))) prints like parse(q), for both printers.
    std::string s = ToString(**r);
    auto again = ParseExpr(s);
    REQUIRE_MESSAGE(again.ok(), again.status().message() << " printed: " << s);
    CHECK(ToString(**again) == s);
    auto pretty = ParseExpr(FormatQuery(**r));
    REQUIRE_MESSAGE(pretty.ok(), pretty.status().message());
    CHECK(ToString(**pretty) == s);
  }
}

TEST_CASE("conformance match[] selectors parse as matchers unless the case expects 400") {
  for (const auto& c : LoadCorpus()) {
    if (!c.is_match) continue;
    INFO(c.id << " match[]: " << c.query);
    auto r = ParseMatchers(c.query);
    if (c.status == 200) {
      CHECK_MESSAGE(r.ok(), r.status().message());
    } else if (c.status == 400 && c.error_contains == "parse error") {
      CHECK_FALSE(r.ok());
    }
  }
}

}  // namespace
}  // namespace skald::common::logql
