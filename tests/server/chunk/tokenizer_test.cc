#include "server/chunk/tokenizer.h"

#include <doctest/doctest.h>

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
