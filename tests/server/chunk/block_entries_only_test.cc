// DecodeBlockEntriesOnly: timestamps and line lengths without the lines and
// metadata columns (count/bytes metric queries), for every codec, and its
// corruption checks.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "server/chunk/block.h"
#include "server/chunk/block_builder.h"
#include "server/chunk/head_block.h"

using namespace skald::server::chunk;
using skald::common::Label;

namespace {

std::string BuildBlock(Codec codec) {
  HeadBlock head;
  for (int i = 0; i < 50; ++i) {
    std::vector<Label> md = {{"trace_id", "t" + std::to_string(i)}};
    head.Append(1000 + i * 3, std::string(static_cast<size_t>(i % 7 + 1), 'x'), md);
  }
  std::string block, bloom;
  BlockMeta meta;
  REQUIRE(BlockBuilder(BlockOptions{codec, kDefaultZstdLevel}).Build(head, &block, &bloom, &meta).ok());
  return block;
}

TEST_CASE("entries-only decode gives the full decode's timestamps and line offsets, for every codec") {
  for (Codec c : {Codec::kNone, Codec::kZstd, Codec::kSnappy}) {
    std::string block = BuildBlock(c);
    DecodedBlock full, sizes;
    REQUIRE(DecodeBlock(block, "b", &full).ok());
    REQUIRE(DecodeBlockEntriesOnly(block, "b", &sizes).ok());
    CHECK(sizes.timestamps == full.timestamps);
    CHECK(sizes.line_offsets == full.line_offsets);
    CHECK(sizes.lines.empty());
    CHECK(sizes.metadata_set_count() == 0);
  }
}

TEST_CASE("entries-only decode rejects a damaged block") {
  std::string block = BuildBlock(Codec::kZstd);
  DecodedBlock out;
  std::string flipped = block;
  flipped[flipped.size() - 1] ^= 1;  // in the metadata column: the checksum covers it
  CHECK(DecodeBlockEntriesOnly(flipped, "b", &out).code() == skald::common::StatusCode::kCorruption);
  CHECK(DecodeBlockEntriesOnly(std::string_view(block).substr(0, 30), "b", &out).code() ==
        skald::common::StatusCode::kCorruption);
}

}  // namespace
