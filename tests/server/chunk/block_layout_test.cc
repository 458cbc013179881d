// Block layout details written by BlockBuilder (FORMAT.md "Block" flags):
// split entries runs, metadata compressed against the lines, flag checks,
// and the head's duplicate lookups used by the ingester's dedupe.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "common/coding.h"
#include "common/crc32c.h"
#include "server/chunk/block.h"
#include "server/chunk/block_builder.h"
#include "server/chunk/chunk_builder.h"
#include "server/chunk/head_block.h"
#include "tests/server/chunk/block_test_util.h"

using namespace skald::server::chunk;
using skald::server::chunk::testing::Hex32;
using skald::server::chunk::testing::Recrc;
using skald::common::Label;

namespace {

// Builds one block of `n` entries whose trace_id is both in the line and in
// the metadata (set per entry), like the push corpus.
std::string BuildTraceBlock(int n, Codec codec, BlockMeta* meta, bool newest_first = false) {
  HeadBlock head;
  for (int i = 0; i < n; ++i) {
    std::string trace = Hex32(i);
    std::vector<Label> md = {{"trace_id", trace}};
    head.Append(1000 + i * 7, "level=info msg=\"done\" trace_id=" + trace + " n=" + std::to_string(i), md);
  }
  BlockOptions o;
  o.codec = codec;
  o.newest_first = newest_first;
  BlockBuilder b(o);
  std::string block, bloom;
  REQUIRE(b.Build(head, &block, &bloom, meta).ok());
  return block;
}

}  // namespace

TEST_CASE("zstd block in the older layout compresses metadata against its lines and decodes it back") {
  BlockMeta meta;
  std::string block = BuildTraceBlock(500, Codec::kZstd, &meta);
  CHECK((static_cast<uint8_t>(block[21]) & kBlockFlagMetadataLinesPrefix) != 0);
  CHECK((static_cast<uint8_t>(block[21]) & kBlockFlagSplitEntries) != 0);
  // 500 distinct 32-hex values (16 bytes of entropy each) stored again in the
  // metadata would cost >= 8000 bytes; as back-references into the lines far less.
  uint32_t stored_meta = skald::common::DecodeFixed32(block.data() + 44);
  CHECK(stored_meta < 4000);
  DecodedBlock d;
  REQUIRE(DecodeBlock(block, "t", &d).ok());
  REQUIRE(d.size() == 500);
  for (size_t i = 0; i < d.size(); ++i) {
    REQUIRE(d.Metadata(i).size() == 1);
    CHECK(d.Metadata(i)[0].value == Hex32(static_cast<int>(i)));
    CHECK(d.Line(i).find(Hex32(static_cast<int>(i))) != std::string_view::npos);
    CHECK(d.timestamps[i] == 1000 + static_cast<int64_t>(i) * 7);
  }
}

TEST_CASE("non-zstd blocks never use the lines prefix but split their entries") {
  for (Codec c : {Codec::kNone, Codec::kSnappy}) {
    BlockMeta meta;
    std::string block = BuildTraceBlock(50, c, &meta);
    CHECK(static_cast<uint8_t>(block[21]) == (kBlockFlagSplitEntries | kBlockFlagEntriesCrc));
    DecodedBlock d;
    REQUIRE(DecodeBlock(block, "t", &d).ok());
    CHECK(d.size() == 50);
    CHECK(d.Metadata(49)[0].value == Hex32(49));
  }
}

TEST_CASE("a block with an unknown flag bit is corruption") {
  BlockMeta meta;
  std::string block = BuildTraceBlock(10, Codec::kZstd, &meta);
  block[21] = static_cast<char>(static_cast<uint8_t>(block[21]) | 0x80);
  Recrc(&block);
  DecodedBlock d;
  auto st = DecodeBlock(block, "file@8", &d);
  CHECK(st.code() == skald::common::StatusCode::kCorruption);
}

TEST_CASE("the lines-prefix flag on a snappy block is corruption") {
  BlockMeta meta;
  std::string block = BuildTraceBlock(10, Codec::kSnappy, &meta);
  block[21] = static_cast<char>(kKnownBlockFlags);
  Recrc(&block);
  DecodedBlock d;
  CHECK(DecodeBlock(block, "file@8", &d).code() == skald::common::StatusCode::kCorruption);
}

TEST_CASE("a split entries column whose set-id deltas leave the set table is corruption") {
  HeadBlock head;
  head.Append(1, "a", std::vector<Label>{{"k", "v"}});
  head.Append(2, "b", {});
  BlockOptions o;
  o.codec = Codec::kNone;
  BlockBuilder b(o);
  std::string block, bloom;
  BlockMeta meta;
  REQUIRE(b.Build(head, &block, &bloom, &meta).ok());
  // entries column (uncompressed): ts deltas 0,1 | lengths 1,1 | set deltas +1,-1.
  const size_t entries_at = kBlockHeaderBytes;
  REQUIRE(block.substr(entries_at, 6) == std::string("\x00\x02\x01\x01\x02\x01", 6));
  block[entries_at + 5] = 0x04;  // second set delta +2 -> id 3, past the 2 sets
  Recrc(&block);
  DecodedBlock d;
  CHECK(DecodeBlock(block, "file@8", &d).code() == skald::common::StatusCode::kCorruption);
}

TEST_CASE("head block Contains finds exact entries only") {
  HeadBlock head;
  std::vector<Label> md = {{"trace_id", "abc"}};
  head.Append(10, "x", md);
  head.Append(5, "y", {});
  auto has = [&](int64_t ts, std::string_view line, std::span<const Label> m) {
    return head.Contains(ts, line, m, HeadBlock::EntryHash(ts, line, m));
  };
  CHECK(has(10, "x", md));
  CHECK(has(5, "y", {}));
  CHECK_FALSE(has(10, "x", {}));  // other metadata
  CHECK_FALSE(has(10, "y", md));  // other line
  CHECK_FALSE(has(11, "x", md));  // newer than everything
  CHECK_FALSE(has(4, "y", {}));   // older than everything
  CHECK_FALSE(has(7, "x", md));   // inside the range, absent
  // A hash collision alone is not a match: the row is compared exactly.
  CHECK_FALSE(head.Contains(10, "z", md, HeadBlock::EntryHash(10, "x", md)));
}

TEST_CASE("chunk builder Contains looks into cut blocks and the head") {
  ChunkOptions o;
  o.block_bytes = 64;
  ChunkBuilder b("{a=\"1\"}", o);
  std::vector<Label> md = {{"trace_id", "t1"}};
  for (int i = 0; i < 40; ++i) REQUIRE(b.Append(100 + i, "line number " + std::to_string(i), md).ok());
  REQUIRE(b.BlockCount() > 2);
  CHECK(b.Contains(100, "line number 0", md));    // first cut block
  CHECK(b.Contains(120, "line number 20", md));   // a middle block
  CHECK(b.Contains(139, "line number 39", md));   // head or last block
  CHECK_FALSE(b.Contains(120, "line number 21", md));
  CHECK_FALSE(b.Contains(120, "line number 20", {}));
  CHECK_FALSE(b.Contains(500, "line number 20", md));
  b.ReleaseLookupCache();
  CHECK(b.Contains(101, "line number 1", md));
}

TEST_CASE("EncodeBlocks needs an empty head and gives what Encode gives") {
  ChunkOptions o;
  o.block_bytes = 64;
  ChunkBuilder b("{a=\"1\"}", o);
  for (int i = 0; i < 10; ++i) REQUIRE(b.Append(100 + i, "entry " + std::to_string(i), {}).ok());
  if (b.HeadRawBytes() > 0) CHECK_FALSE(b.EncodeBlocks().ok());
  REQUIRE(b.CutBlock().ok());
  auto blocks = b.EncodeBlocks();
  REQUIRE(blocks.ok());
  auto full = b.Encode();
  REQUIRE(full.ok());
  CHECK(*blocks == *full);
}

TEST_CASE("entries whose varints take 1 to 10 bytes decode exactly (fast varint path and its tail)") {
  // Timestamp deltas from 0 to 2^62 (1..9-byte zig-zag varints), line lengths
  // 0..~2^14, metadata sets switching back and forth (negative set deltas).
  HeadBlock head;
  std::vector<int64_t> ts;
  std::vector<std::string> lines;
  int64_t t = -(int64_t{1} << 62);
  for (int i = 0; i < 64; ++i) {
    t += (i % 2 == 0) ? (int64_t{1} << i) - 1 : int64_t{1} << (i / 2);
    ts.push_back(t);
    lines.push_back(std::string(static_cast<size_t>((i * 977) % 17000), static_cast<char>('a' + i % 26)));
    std::vector<Label> md;
    if (i % 3 == 1) md = {{"k", "v" + std::to_string(i % 5)}};
    head.Append(t, lines.back(), md);
  }
  BlockOptions o;
  BlockBuilder b(o);
  std::string block, bloom;
  BlockMeta meta;
  REQUIRE(b.Build(head, &block, &bloom, &meta).ok());
  DecodedBlock d;
  REQUIRE(DecodeBlock(block, "t", &d).ok());
  REQUIRE(d.size() == ts.size());
  for (size_t i = 0; i < ts.size(); ++i) {
    CHECK(d.timestamps[i] == ts[i]);
    CHECK(d.Line(i) == lines[i]);
    if (i % 3 == 1) {
      REQUIRE(d.Metadata(i).size() == 1);
      CHECK(d.Metadata(i)[0].value == "v" + std::to_string(i % 5));
    } else {
      CHECK(d.Metadata(i).empty());
    }
  }
  DecodedBlock sizes;
  REQUIRE(DecodeBlockEntriesOnly(block, "t", &sizes).ok());
  CHECK(sizes.timestamps == d.timestamps);
  CHECK(sizes.line_offsets == d.line_offsets);
}

TEST_CASE("a block decoded without metadata has its lines and entries, and no metadata") {
  BlockMeta meta;
  std::string block = BuildTraceBlock(300, Codec::kZstd, &meta);
  DecodedBlock full, bare;
  REQUIRE(DecodeBlock(block, "t", &full).ok());
  REQUIRE(DecodeBlock(block, "t", &bare, /*with_metadata=*/false).ok());
  REQUIRE(bare.size() == full.size());
  CHECK(bare.timestamps == full.timestamps);
  CHECK(bare.lines.view() == full.lines.view());
  for (size_t i = 0; i < bare.size(); ++i) {
    CHECK(bare.Metadata(i).empty());
    CHECK(full.Metadata(i).size() == 1);
  }
  // Reusing the same DecodedBlock: a full decode after a bare one has metadata again.
  REQUIRE(DecodeBlock(block, "t", &bare).ok());
  CHECK(bare.Metadata(7).size() == 1);
  CHECK(bare.Metadata(7)[0].value == full.Metadata(7)[0].value);
}
