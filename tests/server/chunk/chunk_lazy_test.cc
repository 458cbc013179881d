// Chunk::OpenLazy (reads the index, blooms and needed blocks only),
// on_decode accounting, and the block-level line search.
#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "common/coding.h"
#include "server/chunk/block_iterator.h"
#include "server/chunk/chunk.h"
#include "server/chunk/chunk_builder.h"
#include "server/chunk/tokenizer.h"

using namespace skald::server::chunk;
using skald::common::Entry;
using skald::common::Result;
using skald::common::Status;
using skald::common::StatusCode;
using skald::server::iter::CollectEntries;
using skald::server::iter::Direction;

namespace {

// A chunk of `n` entries in ~1 KiB blocks, lines "GET /item/<i> status=200"
// with trace_id=tr<i> metadata.
std::string Encode(int n, Codec codec = Codec::kZstd) {
  ChunkOptions o;
  o.block_bytes = 1024;
  o.block.codec = codec;
  ChunkBuilder b("{app=\"api\"}", o);
  for (int i = 0; i < n; ++i) {
    Entry e{1000 + i, "GET /item/" + std::to_string(i) + " status=200", {{"trace_id", "tr" + std::to_string(i)}}};
    REQUIRE(b.Append(e).ok());
  }
  auto bytes = b.Encode();
  REQUIRE(bytes.ok());
  return *bytes;
}

// Serves reads from `bytes` and records them.
struct Reader {
  explicit Reader(std::string b) : bytes(std::move(b)) {}
  std::string bytes;
  std::vector<std::pair<uint64_t, uint64_t>> reads;
  uint64_t total = 0;

  ChunkReadFn Fn() {
    return [this](uint64_t off, uint64_t len, std::string* out) {
      reads.emplace_back(off, len);
      total += len;
      out->assign(bytes, off, len);
      return skald::common::Status::OK();
    };
  }
};

std::vector<Entry> ReadAll(const Chunk& c, ChunkIteratorOptions o = {}) {
  auto it = c.NewIterator(o);
  std::vector<Entry> out;
  for (auto& se : CollectEntries(*it)) out.push_back(se.entry);
  CHECK(it->status().ok());
  return out;
}

DecodedBlock BlockOf(const std::vector<std::string>& lines) {
  DecodedBlock b;
  b.line_offsets.push_back(0);
  for (const auto& l : lines) {
    b.timestamps.push_back(static_cast<int64_t>(b.timestamps.size()));
    b.line_pos.push_back(static_cast<uint32_t>(b.lines.size()));
    b.lines.append(l);
    b.line_offsets.push_back(static_cast<uint32_t>(b.lines.size()));
    b.meta_ids.push_back(0);
  }
  b.runs = {0, static_cast<uint32_t>(lines.size())};  // one run of contiguous lines
  b.meta_set_start = {0, 0};  // one set, the empty one
  b.meta_built.resize(1);
  b.meta_is_built.assign(1, 0);
  return b;
}

std::vector<uint32_t> Find(const DecodedBlock& b, std::vector<std::string> needles, size_t lo = 0,
                           size_t hi = SIZE_MAX) {
  std::vector<uint32_t> out;
  FindEntriesContaining(b, lo, std::min(hi, b.size()), needles, &out);
  return out;
}

}  // namespace

TEST_CASE("a lazily opened chunk yields the same entries as one read whole") {
  Reader r{Encode(300)};
  auto whole = Chunk::Open(r.bytes, "x");
  auto lazy = Chunk::OpenLazy(r.bytes.size(), r.Fn(), "x");
  REQUIRE(whole.ok());
  REQUIRE(lazy.ok());
  REQUIRE((*lazy)->BlockCount() == (*whole)->BlockCount());
  REQUIRE((*lazy)->BlockCount() > 5);
  for (auto dir : {Direction::kForward, Direction::kBackward}) {
    ChunkIteratorOptions o;
    o.direction = dir;
    auto a = ReadAll(**whole, o);
    auto b = ReadAll(**lazy, o);
    REQUIRE(a.size() == 300);
    CHECK(a == b);
  }
}

TEST_CASE("opening a chunk lazily reads the header and the tail, not the blocks") {
  Reader r{Encode(6000, Codec::kNone)};  // > 64 KiB of blocks
  REQUIRE(r.bytes.size() > 200 * 1024);
  auto c = Chunk::OpenLazy(r.bytes.size(), r.Fn(), "x");
  REQUIRE(c.ok());
  const uint64_t first_bloom = (*c)->Block(0).bloom_offset;
  // The header, then tails: the last 64 KiB, extended back to the blooms if needed.
  for (auto [off, len] : r.reads) {
    CHECK((off == 0 ? len == kChunkHeaderBytes : off + len == r.bytes.size()));
  }
  CHECK(r.total <= kChunkHeaderBytes + std::max<uint64_t>(64 * 1024, r.bytes.size() - first_bloom) +
                       64 * 1024);
  CHECK(r.total < r.bytes.size() / 2);
  // A bloom-selected lookup then reads exactly one block more.
  r.reads.clear();
  ChunkIteratorOptions o;
  std::string key = MetadataKey("trace_id", "tr150");
  o.block_filter = [&](const BlockMeta&, const Bloom& bloom) { return bloom.MayContain(key); };
  o.line_contains = {"/item/150 "};
  auto got = ReadAll(**c, o);
  REQUIRE(got.size() == 1);
  CHECK(got[0].timestamp_ns == 1150);
  REQUIRE(r.reads.size() >= 1);
  CHECK(r.reads.size() < 10);
  for (auto [off, len] : r.reads) CHECK(off < first_bloom);
}

TEST_CASE("decoding a block's entries alone reads its head, not its lines") {
  Reader r{Encode(3000)};
  auto c = Chunk::OpenLazy(r.bytes.size(), r.Fn(), "x");
  REQUIRE(c.ok());
  REQUIRE((*c)->BlockCount() > 3);
  for (size_t i = 0; i < (*c)->BlockCount(); ++i) {
    const BlockMeta& m = (*c)->Block(i);
    r.reads.clear();
    DecodedBlock sizes, full;
    REQUIRE((*c)->DecodeBlockEntries(i, &sizes).ok());
    const uint32_t stored_entries = skald::common::DecodeFixed32(r.bytes.data() + m.offset + 36);
    // The header, then the header with the entries column and its crc.
    REQUIRE(r.reads.size() == 2);
    CHECK(r.reads[0] == std::pair<uint64_t, uint64_t>{m.offset, kBlockHeaderBytes});
    CHECK(r.reads[1] == std::pair<uint64_t, uint64_t>{m.offset, kBlockHeaderBytes + stored_entries +
                                                                   kBlockEntriesCrcBytes});
    CHECK(r.reads[1].second < m.length);
    REQUIRE((*c)->DecodeBlock(i, &full).ok());
    CHECK(sizes.timestamps == full.timestamps);
    CHECK(sizes.line_offsets == full.line_offsets);
  }
  // A damaged entries column is still caught.
  const BlockMeta& m = (*c)->Block(1);
  r.bytes[m.offset + kBlockHeaderBytes + 1] ^= 0x10;
  DecodedBlock sizes;
  auto st = (*c)->DecodeBlockEntries(1, &sizes);
  CHECK(st.code() == StatusCode::kCorruption);
  CHECK(st.message().find("checksum") != std::string::npos);
}

TEST_CASE("a small chunk opened lazily keeps only its blooms and index, not the block bytes read with them") {
  Reader r{Encode(600)};  // well under the 64 KiB first read
  REQUIRE(r.bytes.size() < 64 * 1024);
  auto c = Chunk::OpenLazy(r.bytes.size(), r.Fn(), "x");
  REQUIRE(c.ok());
  const uint64_t blooms_and_index = r.bytes.size() - (*c)->Block(0).bloom_offset;
  uint64_t block_bytes = 0;
  for (size_t i = 0; i < (*c)->BlockCount(); ++i) block_bytes += (*c)->Block(i).length;
  REQUIRE(block_bytes > blooms_and_index);
  // What a chunk cache accounts for this chunk: its tail is the blooms, the
  // index and the footer only (plus the parsed index).
  CHECK((*c)->MemoryBytes() < blooms_and_index + block_bytes / 2);
  // The blooms still answer and every entry still reads.
  std::string key = MetadataKey("trace_id", "tr42");
  size_t kept = 0;
  ChunkIteratorOptions o;
  o.block_filter = [&](const BlockMeta&, const Bloom& bloom) { return kept += bloom.MayContain(key), true; };
  CHECK(ReadAll(**c, o).size() == 600);
  CHECK(kept >= 1);
  CHECK(kept < (*c)->BlockCount());
}

TEST_CASE("a lazily opened chunk reports damage in the index and in a block") {
  const std::string good = Encode(100);
  auto g = Chunk::Open(good, "x");
  REQUIRE(g.ok());
  const BlockMeta b0 = (*g)->Block(0);
  {
    Reader r{good};
    r.bytes[r.bytes.size() - kChunkFooterBytes - 6] ^= 0x01;  // inside the index
    auto c = Chunk::OpenLazy(r.bytes.size(), r.Fn(), "x");
    REQUIRE(!c.ok());
    CHECK(c.status().code() == StatusCode::kCorruption);
  }
  {
    Reader r{good};
    r.bytes[b0.offset + kBlockHeaderBytes + 2] ^= 0x40;
    auto c = Chunk::OpenLazy(r.bytes.size(), r.Fn(), "x");
    REQUIRE(c.ok());
    auto it = (*c)->NewIterator({});
    while (it->Next()) {
    }
    CHECK(it->status().code() == StatusCode::kCorruption);
  }
  {
    Reader r{good.substr(0, good.size() - 3)};  // torn end
    auto c = Chunk::OpenLazy(r.bytes.size(), r.Fn(), "x");
    CHECK(c.status().code() == StatusCode::kCorruption);
  }
}

TEST_CASE("a read error while opening lazily passes through") {
  auto c = Chunk::OpenLazy(4096, [](uint64_t, uint64_t, std::string*) {
    return Status::IOError("disk gone", "f");
  }, "x");
  CHECK(c.status().code() == StatusCode::kIOError);
}

TEST_CASE("on_decode is called only for blocks actually decompressed") {
  Reader r{Encode(300)};
  auto c = Chunk::OpenLazy(r.bytes.size(), r.Fn(), "x");
  REQUIRE(c.ok());
  size_t decoded = 0;
  ChunkIteratorOptions o;
  o.direction = Direction::kBackward;
  o.on_decode = [&](const BlockMeta&) { ++decoded; };
  auto it = (*c)->NewIterator(o);
  REQUIRE(it->Next());
  CHECK(it->At().timestamp_ns == 1299);
  CHECK(decoded == 1);
}

TEST_CASE("block search finds lines holding a needle, in entry order") {
  auto b = BlockOf({"alpha timeout", "beta", "timeout gamma timeout", "", "delta", "x timeout"});
  CHECK(Find(b, {"timeout"}) == std::vector<uint32_t>{0, 2, 5});
  CHECK(Find(b, {"nothing"}).empty());
  CHECK(Find(b, {"timeout"}, 1, 5) == std::vector<uint32_t>{2});
}

TEST_CASE("block search ignores a match that spans two lines") {
  auto b = BlockOf({"abc", "def", "abcdef"});
  CHECK(Find(b, {"cd"}) == std::vector<uint32_t>{2});
  CHECK(Find(b, {"abcd"}) == std::vector<uint32_t>{2});
}

TEST_CASE("block search requires every needle in the same line") {
  auto b = BlockOf({"GET /a 500", "GET /b 200", "POST /a 500", "GET /a 200"});
  CHECK(Find(b, {"GET", "500"}) == std::vector<uint32_t>{0});
  CHECK(Find(b, {"/a", "GET"}) == std::vector<uint32_t>{0, 3});
  CHECK(Find(b, {"", "POST"}) == std::vector<uint32_t>{2});
  CHECK(Find(b, {""}) == std::vector<uint32_t>{0, 1, 2, 3});
}

TEST_CASE("block search handles empty lines and an empty range") {
  auto b = BlockOf({"", "", "x", ""});
  CHECK(Find(b, {"x"}) == std::vector<uint32_t>{2});
  CHECK(Find(b, {"x"}, 3, 4).empty());
  CHECK(Find(b, {"x"}, 2, 2).empty());
}

TEST_CASE("blocks overlapping in time are merged run by run, not all at once") {
  ChunkOptions o;
  o.block_bytes = 1024;
  o.block.codec = Codec::kZstd;
  ChunkBuilder b("{app=\"api\"}", o);
  for (int i = 0; i < 300; ++i) REQUIRE(b.Append({1000 + 2 * i, "in order " + std::to_string(i), {}}).ok());
  // Late entries among the oldest ones: a block overlapping the first blocks.
  for (int i = 0; i < 40; ++i) REQUIRE(b.Append({1001 + 2 * i, "late " + std::to_string(i), {}}).ok());
  auto bytes = b.Encode();
  REQUIRE(bytes.ok());
  auto c = Chunk::Open(*bytes, "x");
  REQUIRE(c.ok());
  REQUIRE((*c)->BlockCount() >= 3);
  for (auto dir : {Direction::kForward, Direction::kBackward}) {
    ChunkIteratorOptions opts;
    opts.direction = dir;
    auto got = ReadAll(**c, opts);
    REQUIRE(got.size() == 340);
    for (size_t i = 1; i < got.size(); ++i) {
      if (dir == Direction::kForward) CHECK(got[i - 1].timestamp_ns < got[i].timestamp_ns);
      else CHECK(got[i - 1].timestamp_ns > got[i].timestamp_ns);
    }
  }
  // The newest entry needs only the newest block, although older blocks overlap.
  size_t decoded = 0;
  ChunkIteratorOptions opts;
  opts.direction = Direction::kBackward;
  opts.on_decode = [&](const BlockMeta&) { ++decoded; };
  auto it = (*c)->NewIterator(opts);
  REQUIRE(it->Next());
  CHECK(it->At().timestamp_ns == 1598);
  CHECK(decoded == 1);
}

TEST_CASE("blooms written by blocks are flagged as holding token grams; others are not") {
  auto c = Chunk::Open(Encode(50), "x");
  REQUIRE(c.ok());
  for (size_t i = 0; i < (*c)->BlockCount(); ++i) CHECK((*c)->BlockBloom(i).HasGrams());
  BloomBuilder plain;
  plain.AddKey("abc");
  std::string bytes;
  plain.Finish(&bytes);
  auto b = Bloom::Parse(bytes, "x");
  REQUIRE(b.ok());
  CHECK(!b->HasGrams());
  CHECK(b->MayContain("abc"));
  bytes[0] = static_cast<char>(bytes[0] | 0x20);  // a reserved bit (crc no longer matches either)
  CHECK(Bloom::Parse(bytes, "x").status().code() == StatusCode::kCorruption);
}

TEST_CASE("metadata_equals yields only entries whose metadata holds every pair") {
  auto c = Chunk::Open(Encode(300), "x");
  REQUIRE(c.ok());
  for (auto dir : {Direction::kForward, Direction::kBackward}) {
    ChunkIteratorOptions o;
    o.direction = dir;
    o.metadata_equals = {{"trace_id", "tr150"}};
    auto got = ReadAll(**c, o);
    REQUIRE(got.size() == 1);
    CHECK(got[0].timestamp_ns == 1150);
    CHECK(got[0].line == "GET /item/150 status=200");
    REQUIRE(got[0].metadata.size() == 1);
    CHECK(got[0].metadata[0].value == "tr150");
  }
  ChunkIteratorOptions absent;
  absent.metadata_equals = {{"trace_id", "tr9999"}};
  CHECK(ReadAll(**c, absent).empty());
  ChunkIteratorOptions wrong_name;
  wrong_name.metadata_equals = {{"span_id", "tr150"}};  // the value, under another name
  CHECK(ReadAll(**c, wrong_name).empty());
  ChunkIteratorOptions both;  // with a needle: both must hold
  both.metadata_equals = {{"trace_id", "tr150"}};
  both.line_contains = {"/item/151 "};
  CHECK(ReadAll(**c, both).empty());
  both.line_contains = {"/item/150 "};
  CHECK(ReadAll(**c, both).size() == 1);
}

TEST_CASE("field_equals keeps entries with the value in the line, escapes, or the metadata pair") {
  ChunkOptions co;
  co.block_bytes = 1 << 20;
  ChunkBuilder b("{app=\"api\"}", co);
  // 0: value in the line; 1: escaped line without it; 2: only in metadata;
  // 3: neither (dropped); 4: the value under another metadata name (dropped).
  REQUIRE(b.Append(Entry{1, R"({"trace_id":"abc123","n":0})", {}}).ok());
  REQUIRE(b.Append(Entry{2, R"({"trace_id":"abc\u0031\u0032\u0033","n":1})", {}}).ok());
  REQUIRE(b.Append(Entry{3, R"({"n":2})", {{"trace_id", "abc123"}}}).ok());
  REQUIRE(b.Append(Entry{4, R"({"trace_id":"zzz","n":3})", {}}).ok());
  REQUIRE(b.Append(Entry{5, R"({"n":4})", {{"span_id", "abc123"}}}).ok());
  auto bytes = b.Encode();
  REQUIRE(bytes.ok());
  auto c = Chunk::Open(*bytes, "x");
  REQUIRE(c.ok());
  for (auto dir : {Direction::kForward, Direction::kBackward}) {
    ChunkIteratorOptions o;
    o.direction = dir;
    o.field_equals = {{"trace_id", "abc123"}};
    o.with_metadata = false;  // ignored: the pair may be metadata
    auto got = ReadAll(**c, o);
    std::vector<int64_t> ts;
    for (const auto& e : got) ts.push_back(e.timestamp_ns);
    std::sort(ts.begin(), ts.end());
    CHECK(ts == std::vector<int64_t>{1, 2, 3});
  }
  ChunkIteratorOptions none;
  none.field_equals = {{"trace_id", "nope"}};
  auto got = ReadAll(**c, none);
  REQUIRE(got.size() == 1);  // only the escaped line may still hold it
  CHECK(got[0].timestamp_ns == 2);
}
