#include "server/chunk/chunk.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <random>

#include "server/chunk/chunk_builder.h"
#include "server/chunk/tokenizer.h"

using namespace skald::server::chunk;
using skald::common::Entry;
using skald::common::Label;
using skald::common::StatusCode;
using skald::server::iter::CollectEntries;
using skald::server::iter::Direction;

namespace {

const std::string kLabels = "{app=\"api\"}";
const Codec kCodecs[] = {Codec::kNone, Codec::kZstd, Codec::kSnappy};

ChunkOptions Options(Codec codec, size_t block_bytes = 1024) {
  ChunkOptions o;
  o.block_bytes = block_bytes;
  o.block.codec = codec;
  return o;
}

std::vector<Entry> MakeEntries(int n) {
  std::vector<Entry> es;
  for (int i = 0; i < n; ++i) {
    Entry e{1000 + i * 10, "level=info msg=\"request " + std::to_string(i) + "\" path=/api/v1/x", {}};
    if (i % 3 == 0) e.metadata = {{"trace_id", "t" + std::to_string(i % 7)}};
    es.push_back(e);
  }
  return es;
}

std::shared_ptr<const Chunk> Build(const std::vector<Entry>& es, ChunkOptions o) {
  ChunkBuilder b(kLabels, o);
  for (const Entry& e : es) REQUIRE(b.Append(e).ok());
  auto bytes = b.Encode();
  REQUIRE(bytes.ok());
  auto c = Chunk::Open(std::move(*bytes), "test.chunks@0");
  REQUIRE(c.ok());
  return *c;
}

std::vector<Entry> ReadAll(const Chunk& c, ChunkIteratorOptions o = {}) {
  auto it = c.NewIterator(o);
  std::vector<Entry> out;
  for (auto& se : CollectEntries(*it)) out.push_back(se.entry);
  CHECK(it->status().ok());
  return out;
}

}  // namespace

TEST_CASE("chunk round trips entries with every codec") {
  auto es = MakeEntries(500);
  for (Codec codec : kCodecs) {
    auto c = Build(es, Options(codec));
    CHECK(c->codec() == codec);
    CHECK(c->BlockCount() > 1);
    CHECK(c->labels() == kLabels);
    CHECK(c->EntryCount() == 500);
    CHECK(ReadAll(*c) == es);
    CHECK(c->VerifyAll().ok());
  }
}

TEST_CASE("chunk iterates backward") {
  auto es = MakeEntries(300);
  auto c = Build(es, Options(Codec::kZstd));
  ChunkIteratorOptions o;
  o.direction = Direction::kBackward;
  auto got = ReadAll(*c, o);
  std::reverse(es.begin(), es.end());
  CHECK(got == es);
}

TEST_CASE("chunk sorts out-of-order appends within a block") {
  ChunkBuilder b(kLabels, Options(Codec::kZstd, 1 << 20));
  for (int64_t ts : {5, 1, 4, 2, 3}) REQUIRE(b.Append(ts, "l" + std::to_string(ts)).ok());
  auto c = Chunk::Open(*b.Encode(), "x");
  REQUIRE(c.ok());
  std::vector<int64_t> ts;
  for (const Entry& e : ReadAll(**c)) ts.push_back(e.timestamp_ns);
  CHECK(ts == std::vector<int64_t>{1, 2, 3, 4, 5});
}

TEST_CASE("chunk merges blocks that overlap in time") {
  ChunkBuilder b(kLabels, Options(Codec::kZstd, 1 << 20));
  REQUIRE(b.Append(10, "a").ok());
  REQUIRE(b.Append(30, "c").ok());
  REQUIRE(b.CutBlock().ok());
  REQUIRE(b.Append(20, "b").ok());  // late entry: a second block overlapping the first
  REQUIRE(b.Append(30, "c").ok());  // duplicate of an entry in the first block
  auto c = Chunk::Open(*b.Encode(), "x");
  REQUIRE(c.ok());
  CHECK((*c)->BlockCount() == 2);
  auto got = ReadAll(**c);
  REQUIRE(got.size() == 3);
  CHECK(got[0].line == "a");
  CHECK(got[1].line == "b");
  CHECK(got[2].line == "c");
}

TEST_CASE("head block stores an exact duplicate once") {
  ChunkBuilder b(kLabels, Options(Codec::kZstd, 1 << 20));
  std::vector<Label> md = {{"trace_id", "abc"}};
  REQUIRE(b.Append(1, "same", md).ok());
  REQUIRE(b.Append(1, "same", md).ok());
  REQUIRE(b.Append(1, "same").ok());       // different metadata: kept
  REQUIRE(b.Append(1, "other", md).ok());  // different line: kept
  auto c = Chunk::Open(*b.Encode(), "x");
  REQUIRE(c.ok());
  CHECK((*c)->EntryCount() == 3);
  CHECK(ReadAll(**c).size() == 3);
}

TEST_CASE("chunk iterator honours [from, through) and skips blocks by time") {
  auto es = MakeEntries(500);  // ts 1000..5990
  auto c = Build(es, Options(Codec::kZstd));
  ChunkIteratorOptions o;
  o.from_ns = 2000;
  o.through_ns = 2100;
  size_t visited = 0;
  o.block_filter = [&](const BlockMeta&, const Bloom&) {
    ++visited;
    return true;
  };
  auto got = ReadAll(*c, o);
  REQUIRE(got.size() == 10);
  CHECK(got.front().timestamp_ns == 2000);
  CHECK(got.back().timestamp_ns == 2090);
  CHECK(visited == c->BlockCount());  // the filter sees all; time pruning happens after
}

TEST_CASE("chunk does not decode blocks outside the time range") {
  auto es = MakeEntries(500);
  ChunkBuilder b(kLabels, Options(Codec::kZstd));
  for (const Entry& e : es) REQUIRE(b.Append(e).ok());
  std::string bytes = *b.Encode();
  auto good = Chunk::Open(bytes, "x");
  REQUIRE(good.ok());
  const BlockMeta last = (*good)->Block((*good)->BlockCount() - 1);
  bytes[last.offset + kBlockHeaderBytes + 1] ^= 0x20;  // damage the last block's columns
  auto c = Chunk::Open(bytes, "x");
  REQUIRE(c.ok());
  ChunkIteratorOptions o;
  o.through_ns = last.min_ts;
  auto it = (*c)->NewIterator(o);
  while (it->Next()) {
  }
  CHECK(it->status().ok());
  o.through_ns = INT64_MAX;
  auto it2 = (*c)->NewIterator(o);
  while (it2->Next()) {
  }
  CHECK(it2->status().code() == StatusCode::kCorruption);
  CHECK(it2->status().message().find("x at offset " + std::to_string(last.offset)) !=
        std::string::npos);
}

TEST_CASE("chunk block filter skips blocks by bloom") {
  std::vector<Entry> es;
  for (int i = 0; i < 200; ++i) {
    es.push_back({i, "GET /item/" + std::to_string(i) + " status=200", {{"trace_id", "tr" + std::to_string(i)}}});
  }
  auto c = Build(es, Options(Codec::kZstd, 512));
  REQUIRE(c->BlockCount() > 3);
  ChunkIteratorOptions o;
  std::string key = MetadataKey("trace_id", "tr150");
  o.block_filter = [&](const BlockMeta&, const Bloom& bloom) { return bloom.MayContain(key); };
  o.line_contains = {"/item/150 "};
  auto got = ReadAll(*c, o);
  REQUIRE(got.size() == 1);
  CHECK(got[0].timestamp_ns == 150);
  size_t kept = 0;
  for (size_t i = 0; i < c->BlockCount(); ++i) kept += c->BlockBloom(i).MayContain(key);
  CHECK(kept < c->BlockCount());
}

TEST_CASE("bloom has no false negatives for line tokens and metadata keys") {
  std::mt19937 rng(42);
  std::vector<Entry> es;
  for (int i = 0; i < 2000; ++i) {
    std::string line = "user-" + std::to_string(rng()) + " did " + std::to_string(rng() % 1000) + "x";
    es.push_back({i, line, {{"span_id", std::to_string(rng())}}});
  }
  auto c = Build(es, Options(Codec::kZstd, 4096));
  size_t block = 0;
  for (const Entry& e : es) {
    while (c->Block(block).max_ts < e.timestamp_ns) ++block;
    const Bloom& bloom = c->BlockBloom(block);
    ForEachLineToken(e.line, [&](std::string_view t) { CHECK(bloom.MayContain(t)); });
    CHECK(bloom.MayContain(MetadataKey("span_id", e.metadata[0].value)));
  }
  size_t fp = 0;
  for (int i = 0; i < 10000; ++i) fp += c->BlockBloom(0).MayContain("absent" + std::to_string(i));
  CHECK(fp < 300);  // ~1% expected
}

TEST_CASE("every single byte flip is reported as corruption, never a crash") {
  auto es = MakeEntries(40);
  for (Codec codec : kCodecs) {
    ChunkBuilder b(kLabels, Options(codec, 600));
    for (const Entry& e : es) REQUIRE(b.Append(e).ok());
    std::string bytes = *b.Encode();
    for (size_t i = 0; i < bytes.size(); ++i) {
      std::string bad = bytes;
      bad[i] ^= 0x01;
      auto c = Chunk::Open(bad, "flip");
      if (c.ok()) {
        auto st = (*c)->VerifyAll();
        CHECK_MESSAGE(st.code() == StatusCode::kCorruption, "offset ", i);
      } else {
        CHECK(c.status().code() == StatusCode::kCorruption);
      }
    }
  }
}

TEST_CASE("truncated chunk is corruption") {
  auto es = MakeEntries(50);
  ChunkBuilder b(kLabels, Options(Codec::kZstd));
  for (const Entry& e : es) REQUIRE(b.Append(e).ok());
  std::string bytes = *b.Encode();
  for (size_t n : {size_t{0}, size_t{5}, bytes.size() / 2, bytes.size() - 1}) {
    auto c = Chunk::Open(bytes.substr(0, n), "trunc");
    REQUIRE_FALSE(c.ok());
    CHECK(c.status().code() == StatusCode::kCorruption);
    CHECK(c.status().message().find("trunc") != std::string::npos);
  }
}

TEST_CASE("empty chunk builder cannot encode") {
  ChunkBuilder b(kLabels, Options(Codec::kZstd));
  CHECK(b.Encode().status().code() == StatusCode::kInvalidArgument);
}

TEST_CASE("chunk builder iterator sees cut blocks and the head block") {
  ChunkBuilder b(kLabels, Options(Codec::kZstd, 200));
  auto es = MakeEntries(30);
  es.push_back({5000, "tail", {}});
  for (const Entry& e : es) REQUIRE(b.Append(e).ok());
  REQUIRE(b.BlockCount() > 0);
  REQUIRE(b.HeadRawBytes() > 0);
  auto it = b.NewIterator(INT64_MIN, INT64_MAX, Direction::kForward);
  std::vector<Entry> got;
  for (auto& se : CollectEntries(*it)) got.push_back(se.entry);
  CHECK(got == es);
}

TEST_CASE("decoded block exposes contiguous lines for memmem") {
  auto c = Build(MakeEntries(20), Options(Codec::kZstd, 1 << 20));
  DecodedBlock d;
  REQUIRE(c->DecodeBlock(0, &d).ok());
  REQUIRE(d.size() == 20);
  size_t pos = d.lines.view().find("request 7\"");
  REQUIRE(pos != std::string::npos);
  size_t i = d.EntryAtLineOffset(pos);
  CHECK(d.timestamps[i] == 1070);
  CHECK(d.Line(i).find("request 7\"") != std::string_view::npos);
}
