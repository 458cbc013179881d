// DecodeBlockEntriesOnly: timestamps and line lengths without the lines and
// metadata columns (count/bytes metric queries), for every codec, and its
// corruption checks.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "common/coding.h"
#include "server/chunk/block.h"
#include "server/chunk/block_builder.h"
#include "server/chunk/head_block.h"
#include "tests/server/chunk/block_test_util.h"

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

// The block as written before kBlockFlagEntriesCrc: no entries crc.
std::string WithoutEntriesCrc(const std::string& block) {
  const uint32_t stored_entries = skald::common::DecodeFixed32(block.data() + 36);
  std::string old = block;
  old.erase(kBlockHeaderBytes + stored_entries, kBlockEntriesCrcBytes);
  old[21] = static_cast<char>(static_cast<uint8_t>(old[21]) & ~kBlockFlagEntriesCrc);
  skald::server::chunk::testing::Recrc(&old);
  return old;
}

TEST_CASE("entries-only decode reads and checks only the block's head") {
  for (Codec c : {Codec::kNone, Codec::kZstd, Codec::kSnappy}) {
    CAPTURE(static_cast<int>(c));
    const std::string block = BuildBlock(c);
    REQUIRE((static_cast<uint8_t>(block[21]) & kBlockFlagEntriesCrc) != 0);
    uint64_t head_len = 0, block_len = 0;
    REQUIRE(ParseBlockHead(std::string_view(block).substr(0, kBlockHeaderBytes), "b", &head_len, &block_len).ok());
    CHECK(block_len == block.size());
    const uint32_t stored_entries = skald::common::DecodeFixed32(block.data() + 36);
    CHECK(head_len == kBlockHeaderBytes + stored_entries + kBlockEntriesCrcBytes);
    REQUIRE(head_len < block.size());
    DecodedBlock full, head;
    REQUIRE(DecodeBlock(block, "b", &full).ok());
    REQUIRE(DecodeBlockEntriesOnly(std::string_view(block).substr(0, head_len), "b", &head).ok());
    CHECK(head.timestamps == full.timestamps);
    CHECK(head.line_offsets == full.line_offsets);
    // A damaged byte after the head is the whole block's concern only.
    std::string bad_lines = block;
    bad_lines[head_len + 1] ^= 1;
    CHECK(DecodeBlock(bad_lines, "b", &full).code() == skald::common::StatusCode::kCorruption);
    CHECK(DecodeBlockEntriesOnly(bad_lines, "b", &head).ok());
    // A damaged byte in the header or the entries column fails the head's crc.
    for (size_t at : {size_t{3}, size_t{kBlockHeaderBytes}, size_t{kBlockHeaderBytes + stored_entries - 1}}) {
      std::string bad = block;
      bad[at] ^= 1;
      auto st = DecodeBlockEntriesOnly(std::string_view(bad).substr(0, head_len), "b", &head);
      CHECK(st.code() == skald::common::StatusCode::kCorruption);
      CHECK(DecodeBlockEntriesOnly(bad, "b", &head).code() == skald::common::StatusCode::kCorruption);
    }
    // A head cut short, or the head of another length, is corruption.
    CHECK(DecodeBlockEntriesOnly(std::string_view(block).substr(0, head_len - 1), "b", &head).code() ==
          skald::common::StatusCode::kCorruption);
    CHECK(DecodeBlockEntriesOnly(std::string_view(block).substr(0, 30), "b", &head).code() ==
          skald::common::StatusCode::kCorruption);
  }
}

TEST_CASE("blocks without an entries crc are read whole and checked whole") {
  const std::string block = WithoutEntriesCrc(BuildBlock(Codec::kZstd));
  uint64_t head_len = 0, block_len = 0;
  REQUIRE(ParseBlockHead(block, "b", &head_len, &block_len).ok());
  CHECK(head_len == block.size());
  CHECK(block_len == block.size());
  DecodedBlock full, sizes;
  REQUIRE(DecodeBlock(block, "b", &full).ok());
  REQUIRE(DecodeBlockEntriesOnly(block, "b", &sizes).ok());
  CHECK(sizes.timestamps == full.timestamps);
  std::string flipped = block;
  flipped[flipped.size() - 1] ^= 1;  // in the metadata column: the checksum covers it
  CHECK(DecodeBlockEntriesOnly(flipped, "b", &sizes).code() == skald::common::StatusCode::kCorruption);
}

}  // namespace
