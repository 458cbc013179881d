#include "server/chunk/tokenizer.h"

#include <doctest/doctest.h>

#include <random>
#include <set>
#include <string>

using namespace skald::server::chunk;

namespace {
std::vector<std::string> Tokens(std::string_view line) {
  std::vector<std::string> out;
  ForEachLineToken(line, [&](std::string_view t) { out.emplace_back(t); });
  return out;
}
}  // namespace

TEST_CASE("line tokens are alphanumeric runs of at least three bytes") {
  CHECK(Tokens("trace_id=4bf92f35 user-9f3c GET /a/bc") ==
        std::vector<std::string>{"trace", "4bf92f35", "user", "9f3c", "GET"});
  CHECK(Tokens("héllo wörld").size() == 2);
  CHECK(Tokens("").empty());
}

TEST_CASE("needle tokens are only those delimited inside the needle") {
  CHECK(NeedleTokens("4bf92f35").empty());
  CHECK(NeedleTokens("error").empty());
  CHECK(NeedleTokens("=4bf92f35 ") == std::vector<std::string_view>{"4bf92f35"});
  CHECK(NeedleTokens("a foo barbaz qux") == std::vector<std::string_view>{"barbaz", "foo"});
}

TEST_CASE("metadata key joins name and value with '='") {
  CHECK(MetadataKey("trace_id", "abc") == "trace_id=abc");
}

namespace {

// The keys the writer indexes for one line's tokens (no bloom: exact).
std::set<std::string> IndexedKeys(std::string_view line) {
  std::set<std::string> keys;
  ForEachLineToken(line, [&](std::string_view t) {
    keys.emplace(t);
    if (t.size() >= kGramBytes) ForEachTokenGram(t, [&](std::string_view k) { keys.emplace(k); });
  });
  return keys;
}

// The query-side test of NeedleGramRuns against exact keys.
bool MayHold(const std::set<std::string>& keys, std::string_view needle) {
  for (const auto& alts : NeedleGramRuns(needle)) {
    bool any = false;
    for (const auto& alt : alts) {
      bool all = true;
      for (const auto& k : alt) all = all && keys.count(k) > 0;
      any = any || all;
    }
    if (!any) return false;
  }
  return true;
}

std::string Hex(std::mt19937_64& rng, size_t n) {
  static const char kHex[] = "0123456789abcdef";
  std::string s;
  for (size_t i = 0; i < n; ++i) s.push_back(kHex[rng() % 16]);
  return s;
}

}  // namespace

TEST_CASE("token grams: every substring of a line passes the gram test of that line") {
  std::mt19937_64 rng(42);
  const char* seps[] = {" ", "=", "\"", ":", "-", "/", "\",\""};
  for (int round = 0; round < 300; ++round) {
    std::string line;
    for (int t = 0; t < 8; ++t) {
      line += seps[rng() % 7];
      size_t len = rng() % 3 == 0 ? 32 : 1 + rng() % 20;
      line += Hex(rng, len);
    }
    auto keys = IndexedKeys(line);
    for (int k = 0; k < 40; ++k) {
      size_t a = rng() % line.size();
      size_t n = 1 + rng() % std::min<size_t>(48, line.size() - a);
      std::string_view needle = std::string_view(line).substr(a, n);
      CAPTURE(line);
      CAPTURE(needle);
      CHECK(MayHold(keys, needle));
    }
  }
}

TEST_CASE("token grams prune a bare id absent from the line") {
  std::mt19937_64 rng(7);
  std::string id = Hex(rng, 32);
  std::string line = "{\"msg\":\"ok\",\"trace_id\":\"" + Hex(rng, 32) + "\",\"span\":\"" + Hex(rng, 16) + "\"}";
  auto keys = IndexedKeys(line);
  CHECK(!MayHold(keys, id));
  CHECK(!MayHold(keys, "trace_id\":\"" + id));
  // A needle run under 15 bytes gives no gram constraint.
  CHECK(NeedleGramRuns(id.substr(0, 14)).empty());
  CHECK(NeedleGramRuns(id).size() == 1);
  CHECK(NeedleGramRuns(id)[0].size() == kGramStride);
  // The present id passes, also as part of a longer token in another line.
  std::string other = "x" + id + "yz";
  CHECK(MayHold(IndexedKeys(other), id));
  CHECK(MayHold(IndexedKeys(other), id.substr(3, 20)));
}
