#include <doctest/doctest.h>

#include "server/chunk/chunk.h"
#include "server/chunk/chunk_builder.h"
#include "server/chunk/tokenizer.h"

using namespace skald::server::chunk;

namespace {
std::shared_ptr<const Chunk> BuildOne(const std::vector<std::string>& lines) {
  ChunkBuilder b(R"({app="api"})", ChunkOptions{});
  int64_t ts = 1;
  for (const auto& l : lines) REQUIRE(b.Append(ts++, l).ok());
  auto bytes = b.Encode();
  REQUIRE(bytes.ok());
  auto c = Chunk::Open(std::move(bytes).value(), "test");
  REQUIRE(c.ok());
  return *c;
}
}  // namespace

TEST_CASE("a block with an escaped line carries the escape key in its bloom") {
  auto c = BuildOne({R"({"trace_id":"4bf\u0039"})", R"({"msg":"ok"})"});
  REQUIRE(c->BlockCount() == 1);
  CHECK(c->BlockBloom(0).MayContain(kEscapedBlockKey));
}

TEST_CASE("a block without backslashes has whole JSON values as tokens") {
  auto c = BuildOne({R"({"trace_id":"4bf92f3577b34da6","status":200})"});
  REQUIRE(c->BlockCount() == 1);
  const Bloom& bloom = c->BlockBloom(0);
  CHECK(bloom.MayContain("4bf92f3577b34da6"));
  CHECK(bloom.MayContain("200"));
  // The escape key is absent (modulo the bloom's false-positive rate, which
  // a one-line block does not reach for this key in practice).
  CHECK_FALSE(bloom.MayContain(kEscapedBlockKey));
}
