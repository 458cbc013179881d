// Metadata check keys (kBloomHasMetadataCheckKeys): written for every pair,
// probed only where the flag says they exist, and the flag byte's rules.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "common/coding.h"
#include "common/crc32c.h"
#include "common/labels.h"
#include "server/chunk/block_builder.h"
#include "server/chunk/bloom.h"
#include "server/chunk/head_block.h"
#include "server/chunk/tokenizer.h"

using namespace skald::server::chunk;
using skald::common::Label;

TEST_CASE("a block's bloom holds both keys of every metadata pair and says so") {
  HeadBlock head;
  for (int i = 0; i < 200; ++i) {
    head.Append(1000 + i, "line " + std::to_string(i), std::vector<Label>{{"trace_id", "t" + std::to_string(i)}});
  }
  BlockBuilder b(BlockOptions{});
  std::string block, bloom_bytes;
  BlockMeta meta;
  REQUIRE(b.Build(head, &block, &bloom_bytes, &meta).ok());
  auto bloom = Bloom::Parse(bloom_bytes, "t");
  REQUIRE(bloom.ok());
  CHECK(bloom->HasMetadataCheckKeys());
  CHECK(bloom->HasGrams());
  size_t both_absent_hits = 0;
  for (int i = 0; i < 200; ++i) {
    const std::string v = "t" + std::to_string(i);
    CHECK(bloom->MayContain(MetadataKey("trace_id", v)));
    CHECK(bloom->MayContain(MetadataCheckKey("trace_id", v)));
    CHECK(bloom->MayContainMetadata(MetadataKey("trace_id", v), MetadataCheckKey("trace_id", v)));
    const std::string absent = "x" + std::to_string(i);
    both_absent_hits += bloom->MayContainMetadata(MetadataKey("trace_id", absent),
                                                  MetadataCheckKey("trace_id", absent));
  }
  CHECK(both_absent_hits <= 2);  // ~0.8%^2 per probe; 2 of 200 is already far above it
}

TEST_CASE("without the flag a reader tests only the plain metadata key") {
  BloomBuilder b;
  b.AddKey(MetadataKey("trace_id", "abc"));  // an older writer: no check key
  std::string bytes;
  b.Finish(&bytes, kBloomHasGrams);
  auto bloom = Bloom::Parse(bytes, "t");
  REQUIRE(bloom.ok());
  CHECK_FALSE(bloom->HasMetadataCheckKeys());
  CHECK(bloom->MayContainMetadata(MetadataKey("trace_id", "abc"), MetadataCheckKey("trace_id", "abc")));
}

TEST_CASE("bloom flag byte: bit 6 is the check-key flag, bit 5 must be zero") {
  BloomBuilder b;
  b.AddKey("k");
  std::string bytes;
  b.Finish(&bytes, kBloomHasMetadataCheckKeys);
  auto ok = Bloom::Parse(bytes, "t");
  REQUIRE(ok.ok());
  CHECK(ok->HasMetadataCheckKeys());
  CHECK_FALSE(ok->HasGrams());
  std::string bad = bytes;
  bad[0] = static_cast<char>(static_cast<uint8_t>(bad[0]) | 0x20);
  // Re-seal the crc (it covers the first byte) so the flag check is what fails.
  const size_t body = bad.size() - 4;
  skald::common::EncodeFixed32(bad.data() + body,
                               skald::common::crc32c::Mask(skald::common::crc32c::Value(bad.data(), body)));
  CHECK(Bloom::Parse(bad, "t").status().message().find("probe count") != std::string::npos);
  CHECK_FALSE(Bloom::Parse(bad, "t").ok());
}

TEST_CASE("metadata check keys collide with no line token, gram or plain metadata key") {
  const std::string k = MetadataCheckKey("a", "b");
  CHECK(k == std::string("\x03" "a=b"));
  CHECK(k != MetadataKey("a", "b"));
  CHECK(k[0] != '\x02');
}
