// Newest-first blocks (FORMAT.md "Block", flag bit 2): the lines column in
// segments from the newest entries to the oldest, each with its own
// metadata, so a backward reader decompresses the newest entries alone.
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <string>
#include <vector>

#include "common/coding.h"
#include "common/crc32c.h"
#include "server/chunk/block.h"
#include "server/chunk/block_builder.h"
#include "server/chunk/block_iterator.h"
#include "server/chunk/chunk.h"
#include "server/chunk/chunk_builder.h"
#include "server/chunk/codec.h"
#include "server/chunk/head_block.h"
#include "tests/server/chunk/block_test_util.h"
#include "server/iter/entry_iterator.h"

using namespace skald::server::chunk;
using skald::server::chunk::testing::Hex32;
using skald::server::chunk::testing::Recrc;
using skald::common::Label;
using skald::common::StatusCode;
using skald::server::iter::Direction;

namespace {

// `n` entries of ~110 bytes; every third has no metadata, the others a
// trace_id that is also in the line, and every 7th a second pair.
void FillTrace(HeadBlock& head, int n) {
  for (int i = 0; i < n; ++i) {
    std::string trace = Hex32(i);
    std::vector<Label> md;
    if (i % 3 != 0) md.push_back({"trace_id", trace});
    if (i % 7 == 0) md.push_back({"tenant", "t" + std::to_string(i % 4)});
    std::sort(md.begin(), md.end(), [](const Label& a, const Label& b) { return a.name < b.name; });
    std::string line = "level=info msg=\"request done\" trace_id=" + trace + " n=" + std::to_string(i);
    if (i % 11 == 0) line += " timeout";
    head.Append(1000 + i * 7, line, md);
  }
}

std::string Build(const HeadBlock& head, bool newest_first) {
  BlockOptions o;
  o.newest_first = newest_first;
  BlockBuilder b(o);
  std::string block, bloom;
  BlockMeta meta;
  REQUIRE(b.Build(head, &block, &bloom, &meta).ok());
  return block;
}

std::vector<Label> Md(const DecodedBlock& d, size_t i) {
  auto s = d.Metadata(i);
  return {s.begin(), s.end()};
}

// Entries [lo, size()) of `d` equal those of `want` (a whole decode).
void CheckSame(const DecodedBlock& d, const DecodedBlock& want, size_t lo) {
  REQUIRE(d.size() == want.size());
  for (size_t i = lo; i < d.size(); ++i) {
    REQUIRE(d.timestamps[i] == want.timestamps[i]);
    REQUIRE(d.Line(i) == want.Line(i));
    REQUIRE(Md(d, i) == Md(want, i));
  }
}

}  // namespace

TEST_CASE("a newest-first block decodes to the same entries as the older layout, at about its size") {
  HeadBlock head;
  FillTrace(head, 6000);  // ~660 KB of lines: several segments
  std::string seg = Build(head, true), old = Build(head, false);
  CHECK((static_cast<uint8_t>(seg[21]) & kBlockFlagNewestFirst) != 0);
  CHECK((static_cast<uint8_t>(seg[21]) & kBlockFlagMetadataLinesPrefix) == 0);
  CHECK((static_cast<uint8_t>(old[21]) & kBlockFlagNewestFirst) == 0);
  DecodedBlock a, b;
  REQUIRE(DecodeBlock(seg, "t", &a).ok());
  REQUIRE(DecodeBlock(old, "t", &b).ok());
  CHECK(a.segments.size() > 3);
  CHECK(a.first_decoded == 0);
  CheckSame(a, b, 0);
  // The trace ids in the metadata are back-references into the lines in
  // both layouts: the segmented block costs at most a few percent more.
  CHECK(seg.size() < old.size() * 103 / 100);
}

TEST_CASE("segments hold the newest entries first and grow towards the oldest") {
  HeadBlock head;
  FillTrace(head, 6000);
  DecodedBlock d;
  REQUIRE(DecodeBlock(Build(head, true), "t", &d).ok());
  REQUIRE(d.segments.size() >= 3);
  CHECK(d.segments.front().end_entry == d.size());
  CHECK(d.segments.back().first_entry == 0);
  auto line_bytes = [&](const BlockSegment& s) { return d.line_offsets[s.end_entry] - d.line_offsets[s.first_entry]; };
  CHECK(line_bytes(d.segments[0]) >= kFirstSegmentBytes);
  CHECK(line_bytes(d.segments[0]) < kFirstSegmentBytes + 200);
  CHECK(line_bytes(d.segments[1]) >= 2 * kFirstSegmentBytes);
  for (size_t k = 1; k < d.segments.size(); ++k) {
    CHECK(d.segments[k].end_entry == d.segments[k - 1].first_entry);
    CHECK(d.segments[k].body_start > d.segments[k - 1].body_start);
    CHECK(d.segments[k].stored_end > d.segments[k - 1].stored_end);
  }
  // Runs of contiguous lines in entry order: the segments reversed.
  REQUIRE(d.runs.size() == d.segments.size() + 1);
  CHECK(d.runs.front() == 0);
  CHECK(d.runs.back() == d.size());
}

TEST_CASE("DecodeBlockNewest decodes the newest segment, DecodeOlderSegment the rest one by one") {
  HeadBlock head;
  FillTrace(head, 6000);
  std::string block = Build(head, true);
  DecodedBlock whole, d;
  REQUIRE(DecodeBlock(block, "t", &whole).ok());
  for (bool with_metadata : {true, false}) {
    CAPTURE(with_metadata);
    REQUIRE(DecodeBlockNewest(block, "t", &d, with_metadata).ok());
    CHECK(d.first_decoded == whole.segments[0].first_entry);
    CHECK(d.first_decoded > d.size() / 2);
    size_t steps = 0;
    std::string_view newest = d.Line(d.size() - 1);
    while (d.first_decoded > 0) {
      const size_t before = d.first_decoded;
      REQUIRE(DecodeOlderSegment(&d).ok());
      CHECK(d.first_decoded < before);
      ++steps;
      CHECK(d.Line(d.size() - 1).data() == newest.data());  // earlier views stay valid
      CHECK(newest == whole.Line(whole.size() - 1));
    }
    CHECK(steps + 1 == whole.segments.size());
    for (size_t i = 0; i < d.size(); ++i) {
      REQUIRE(d.Line(i) == whole.Line(i));
      if (with_metadata) {
        REQUIRE(Md(d, i) == Md(whole, i));
      } else {
        REQUIRE(d.Metadata(i).empty());
      }
    }
    CHECK(DecodeOlderSegment(&d).code() == StatusCode::kInternal);
  }
}

TEST_CASE("a DecodedBlock reused across layouts and partial decodes gives each block's entries") {
  HeadBlock big, small;
  FillTrace(big, 6000);
  FillTrace(small, 40);
  std::string seg = Build(big, true), old = Build(big, false), tiny = Build(small, true);
  DecodedBlock want_big, want_small, d;
  REQUIRE(DecodeBlock(old, "t", &want_big).ok());
  REQUIRE(DecodeBlock(tiny, "t", &want_small).ok());
  CHECK(want_small.segments.size() == 1);
  REQUIRE(DecodeBlockNewest(seg, "t", &d).ok());
  CHECK(d.first_decoded > 0);
  CheckSame(d, want_big, d.first_decoded);
  REQUIRE(DecodeBlockNewest(tiny, "t", &d).ok());  // one segment: whole
  CHECK(d.first_decoded == 0);
  CheckSame(d, want_small, 0);
  REQUIRE(DecodeBlockNewest(old, "t", &d).ok());  // older layout: whole
  CHECK(d.first_decoded == 0);
  CheckSame(d, want_big, 0);
  REQUIRE(DecodeBlockNewest(seg, "t", &d).ok());
  CheckSame(d, want_big, d.first_decoded);
}

TEST_CASE("entries-only decoding of a newest-first block reads the segment table") {
  HeadBlock head;
  FillTrace(head, 3000);
  std::string block = Build(head, true);
  DecodedBlock full, sizes;
  REQUIRE(DecodeBlock(block, "t", &full).ok());
  REQUIRE(DecodeBlockEntriesOnly(block, "t", &sizes).ok());
  CHECK(sizes.timestamps == full.timestamps);
  CHECK(sizes.line_offsets == full.line_offsets);
  CHECK(sizes.lines.empty());
}

TEST_CASE("memmem over a newest-first block finds entries in order across segments") {
  HeadBlock head;
  FillTrace(head, 6000);
  DecodedBlock seg, old;
  REQUIRE(DecodeBlock(Build(head, true), "t", &seg).ok());
  REQUIRE(DecodeBlock(Build(head, false), "t", &old).ok());
  const std::vector<std::string> needles = {"timeout"};
  for (auto [lo, hi] : {std::pair<size_t, size_t>{0, 6000}, {1, 5999}, {2500, 5800}, {5990, 6000}}) {
    std::vector<uint32_t> a, b;
    FindEntriesContaining(seg, lo, hi, needles, &a);
    FindEntriesContaining(old, lo, hi, needles, &b);
    CHECK(a == b);
    CHECK(std::is_sorted(a.begin(), a.end()));
  }
  // A metadata byte is not a line's.
  const BlockSegment& s0 = seg.segments[0];
  const size_t meta_at = s0.body_start + seg.line_offsets[s0.end_entry] - seg.line_offsets[s0.first_entry];
  CHECK(seg.EntryAtLineOffset(meta_at) == seg.size());
  CHECK(seg.EntryAtLineOffset(seg.line_pos[4321] + 3) == 4321);
}

TEST_CASE("a backward iterator over newest-first blocks yields what a forward one does, reversed") {
  HeadBlock head;
  FillTrace(head, 6000);
  auto bytes = std::make_shared<const std::string>(Build(head, true));
  DecodedBlock whole;
  REQUIRE(DecodeBlock(*bytes, "t", &whole).ok());
  BlockMeta meta;
  meta.min_ts = whole.timestamps.front();
  meta.max_ts = whole.timestamps.back();
  meta.entry_count = static_cast<uint32_t>(whole.size());
  struct Case {
    int64_t from, through;
    std::vector<std::string> needles;
    std::vector<Label> metadata;
  };
  const std::vector<Case> cases = {
      {0, INT64_MAX, {}, {}},
      {0, INT64_MAX, {"timeout"}, {}},
      {whole.timestamps[100], whole.timestamps[5000], {"timeout"}, {}},
      {whole.timestamps[5900], whole.timestamps[5990], {}, {}},
      {0, whole.timestamps[200], {}, {}},  // only the oldest segment
      {0, INT64_MAX, {}, {{"tenant", "t2"}}},
  };
  for (const Case& c : cases) {
    int newest_only_calls = 0;
    auto read = [&](skald::server::iter::Direction dir) {
      std::vector<BlockSource> sources = {
          {meta, [&](DecodedBlock* out, DecodeStep step) {
             newest_only_calls += step == DecodeStep::kNewest;
             if (step == DecodeStep::kOlder) return DecodeOlderSegment(out);
             return step == DecodeStep::kNewest ? DecodeBlockNewest(*bytes, "t", out) : DecodeBlock(*bytes, "t", out);
           }}};
      auto it = NewBlocksIterator("{a=\"1\"}", sources, c.from, c.through, dir, c.needles, c.metadata);
      std::vector<std::pair<int64_t, std::string>> got;
      while (it->Next()) got.emplace_back(it->At().timestamp_ns, std::string(it->At().line));
      CHECK(it->status().ok());
      return got;
    };
    auto fwd = read(skald::server::iter::Direction::kForward);
    auto bwd = read(skald::server::iter::Direction::kBackward);
    std::reverse(bwd.begin(), bwd.end());
    CHECK(!fwd.empty());
    CHECK(fwd == bwd);
    CHECK(newest_only_calls == 1);
  }
}

TEST_CASE("damaged segment tables and segment bytes are corruption, never a crash") {
  HeadBlock head;
  FillTrace(head, 3000);
  const std::string good = Build(head, true);
  const uint32_t stored_entries = skald::common::DecodeFixed32(good.data() + 36);
  // Flip each byte of the lines column (with a valid checksum): decoding
  // fails cleanly or, if zstd cannot tell, yields entries of the right shape.
  int failures = 0;
  for (size_t at = kBlockHeaderBytes + stored_entries; at < good.size(); at += 97) {
    std::string bad = good;
    bad[at] = static_cast<char>(bad[at] ^ 0x5a);
    Recrc(&bad);
    DecodedBlock d;
    auto st = DecodeBlock(bad, "file@8", &d);
    if (!st.ok()) {
      CHECK(st.code() == StatusCode::kCorruption);
      ++failures;
    }
    st = DecodeBlockNewest(bad, "file@8", &d);
    while (st.ok() && d.first_decoded > 0) st = DecodeOlderSegment(&d);
    if (!st.ok()) CHECK(st.code() == StatusCode::kCorruption);
  }
  CHECK(failures > 0);
  // The newest-first flag without split entries, or with the lines prefix.
  for (uint8_t flags : {uint8_t{kBlockFlagNewestFirst},
                        uint8_t{kBlockFlagNewestFirst | kBlockFlagSplitEntries | kBlockFlagMetadataLinesPrefix}}) {
    std::string bad = good;
    bad[21] = static_cast<char>(flags);
    Recrc(&bad);
    DecodedBlock d;
    CHECK(DecodeBlock(bad, "file@8", &d).code() == StatusCode::kCorruption);
  }
}

TEST_CASE("a segment table that disagrees with the columns is corruption") {
  HeadBlock head;
  for (int i = 0; i < 3; ++i) head.Append(i, std::string(20000, static_cast<char>('a' + i)), {});
  head.Append(3, "x", std::vector<Label>{{"k", "v"}});
  BlockOptions o;
  o.zstd_level = 1;
  BlockBuilder b(o);
  std::string block, bloom;
  BlockMeta meta;
  REQUIRE(b.Build(head, &block, &bloom, &meta).ok());
  DecodedBlock d;
  REQUIRE(DecodeBlock(block, "t", &d).ok());
  REQUIRE(d.segments.size() == 2);
  // Rebuild the block with a changed entries column (stored uncompressed
  // would change the codec; instead recompress it with zstd at level 1).
  auto with_entries = [&](const std::string& raw_entries) {
    std::string out = block.substr(0, kBlockHeaderBytes);
    std::string col;
    REQUIRE(CompressColumn(Codec::kZstd, 1, raw_entries, &col).ok());
    const uint32_t stored_entries = skald::common::DecodeFixed32(block.data() + 36);
    out += col;
    out += block.substr(kBlockHeaderBytes + stored_entries);
    skald::common::EncodeFixed32(out.data() + 24, static_cast<uint32_t>(raw_entries.size()));
    skald::common::EncodeFixed32(out.data() + 36, static_cast<uint32_t>(col.size()));
    Recrc(&out);
    return out;
  };
  std::string raw;
  {
    const uint32_t stored_entries = skald::common::DecodeFixed32(block.data() + 36);
    REQUIRE(DecompressColumn(Codec::kZstd, std::string_view(block).substr(kBlockHeaderBytes, stored_entries),
                             skald::common::DecodeFixed32(block.data() + 24), &raw, "t")
                .ok());
  }
  REQUIRE(DecodeBlock(with_entries(raw), "t", &d).ok());  // unchanged: fine
  // Runs: 4 ts deltas, 4 lengths (3 bytes each for 20000), 4 set ids, then
  // the table: count 2, (entries, meta raw, stored end) x 2.
  const size_t table = 4 + (3 * 3 + 1) + 4;
  REQUIRE(raw[table] == 2);
  // Every change to the table is corruption to one of the decoders or, if
  // neither can tell (a segment's stored end one byte late still decodes
  // the same lines), yields exactly the block's entries.
  DecodedBlock want;
  REQUIRE(DecodeBlock(block, "t", &want).ok());
  int detected = 0, changes = 0;
  for (size_t at = table; at < raw.size(); ++at) {
    for (int delta : {1, -1}) {
      std::string bad = raw;
      bad[at] = static_cast<char>(bad[at] + delta);
      CAPTURE(at);
      ++changes;
      const std::string damaged = with_entries(bad);
      auto st = DecodeBlock(damaged, "t", &d);
      if (st.ok()) CheckSame(d, want, 0);
      else CHECK(st.code() == StatusCode::kCorruption);
      auto partial = DecodeBlockNewest(damaged, "t", &d);
      while (partial.ok() && d.first_decoded > 0) partial = DecodeOlderSegment(&d);
      if (partial.ok()) CheckSame(d, want, 0);
      else CHECK(partial.code() == StatusCode::kCorruption);
      detected += !st.ok() || !partial.ok();
    }
  }
  CHECK(detected >= changes - 2);
  // The entry with metadata has local set 1 of the newest segment; 2 is past it.
  std::string bad = raw;
  REQUIRE(bad[table - 1] == 2);  // zig-zag +1
  bad[table - 1] = 4;
  CHECK(DecodeBlock(with_entries(bad), "t", &d).code() == StatusCode::kCorruption);
}

TEST_CASE("a backward chunk read decompresses only the newest segments it needs, and says so") {
  ChunkOptions o;
  o.block_bytes = 512 * 1024;  // one block
  ChunkBuilder b("{app=\"api\"}", o);
  uint64_t line_bytes = 0;
  for (int i = 0; i < 4000; ++i) {
    std::string line = "GET /item/" + std::to_string(i) + " status=200 " + Hex32(i) + " took 12ms";
    line_bytes += line.size();
    std::vector<Label> md = {{"trace_id", Hex32(i)}};
    REQUIRE(b.Append(1000 + i, line, md).ok());
  }
  auto bytes = b.Encode();
  REQUIRE(bytes.ok());
  auto c = Chunk::Open(*bytes, "x");
  REQUIRE(c.ok());
  REQUIRE((*c)->BlockCount() == 1);
  for (Direction dir : {Direction::kBackward, Direction::kForward}) {
    uint64_t entries = 0, decompressed = 0;
    ChunkIteratorOptions opts;
    opts.direction = dir;
    opts.on_decompressed = [&](uint64_t n, uint64_t b) {
      entries += n;
      decompressed += b;
    };
    auto it = (*c)->NewIterator(opts);
    for (int i = 0; i < 10; ++i) REQUIRE(it->Next());
    CHECK(it->At().timestamp_ns == (dir == Direction::kBackward ? 4990 : 1009));
    if (dir == Direction::kForward) {
      CHECK(entries == 4000);
      CHECK(decompressed == line_bytes);
    } else {
      CHECK(entries > 10);
      CHECK(decompressed >= kFirstSegmentBytes);
      CHECK(decompressed < kFirstSegmentBytes + 1024);
      // Reading on decodes the older segments one by one, every entry once.
      size_t n = 10;
      while (it->Next()) ++n;
      CHECK(n == 4000);
      CHECK(entries == 4000);
      CHECK(decompressed == line_bytes);
    }
  }
}

TEST_CASE("a header claiming a lines column over the limit is corruption before anything is sized") {
  HeadBlock head;
  FillTrace(head, 3000);
  std::string block = Build(head, true);
  skald::common::EncodeFixed32(block.data() + 28, static_cast<uint32_t>(kMaxColumnRawBytes + 1));
  Recrc(&block);
  DecodedBlock d;
  CHECK(DecodeBlockNewest(block, "file@8", &d).code() == StatusCode::kCorruption);
  CHECK(DecodeBlock(block, "file@8", &d).code() == StatusCode::kCorruption);
  CHECK(DecodeBlockEntriesOnly(block, "file@8", &d).code() == StatusCode::kCorruption);
  CHECK(d.lines.capacity() < (size_t{1} << 20));
}

TEST_CASE("a backward read of a range with no entries in a block decompresses only its newest segment") {
  ChunkOptions o;
  o.block_bytes = 512 * 1024;  // one block
  ChunkBuilder b("{app=\"api\"}", o);
  // Entries at 0..1999 and 100000..101999: the range [50000, 60000) overlaps
  // the block's time span but holds none of them.
  for (int i = 0; i < 4000; ++i) {
    const int64_t ts = i < 2000 ? i : 98000 + i;
    REQUIRE(b.Append(ts, "GET /item/" + std::to_string(i) + " " + Hex32(i), {}).ok());
  }
  auto bytes = b.Encode();
  REQUIRE(bytes.ok());
  auto c = Chunk::Open(*bytes, "x");
  REQUIRE(c.ok());
  uint64_t decompressed = 0;
  ChunkIteratorOptions opts;
  opts.direction = Direction::kBackward;
  opts.from_ns = 50000;
  opts.through_ns = 60000;
  opts.on_decompressed = [&](uint64_t, uint64_t n) { decompressed += n; };
  auto it = (*c)->NewIterator(opts);
  CHECK_FALSE(it->Next());
  CHECK(it->status().ok());
  CHECK(decompressed > 0);
  CHECK(decompressed < kFirstSegmentBytes + 1024);
}

TEST_CASE("a chunk builder's cut blocks read backward give what forward gives, reversed") {
  ChunkOptions o;
  o.block_bytes = 100 * 1024;
  ChunkBuilder b("{app=\"api\"}", o);
  for (int i = 0; i < 5000; ++i) {
    std::vector<Label> md = {{"trace_id", Hex32(i)}};
    REQUIRE(b.Append(1000 + i, "GET /item/" + std::to_string(i) + " " + Hex32(i), md).ok());
  }
  REQUIRE(b.BlockCount() >= 3);
  auto read = [&](Direction dir) {
    std::vector<std::pair<int64_t, std::string>> got;
    auto it = b.NewIterator(0, INT64_MAX, dir);
    while (it->Next()) {
      REQUIRE(it->At().metadata.size() == 1);
      got.emplace_back(it->At().timestamp_ns, std::string(it->At().line) + "|" + it->At().metadata[0].value);
    }
    CHECK(it->status().ok());
    return got;
  };
  auto fwd = read(Direction::kForward);
  auto bwd = read(Direction::kBackward);
  CHECK(fwd.size() == 5000);
  std::reverse(bwd.begin(), bwd.end());
  CHECK(fwd == bwd);
}

TEST_CASE("a backward read stops at the cutoff instead of searching older segments and blocks") {
  ChunkOptions o;
  o.block_bytes = 256 * 1024;
  ChunkBuilder b("{app=\"api\"}", o);
  // "rare" only in the 10 oldest entries: a search for it from the newest end
  // would decompress everything.
  for (int i = 0; i < 16000; ++i) {
    std::string line = "GET /item/" + std::to_string(i) + " " + Hex32(i) + (i < 10 ? " rare" : "");
    REQUIRE(b.Append(1000 + i, line, {}).ok());
  }
  auto bytes = b.Encode();
  REQUIRE(bytes.ok());
  auto c = Chunk::Open(*bytes, "x");
  REQUIRE(c.ok());
  REQUIRE((*c)->BlockCount() >= 3);
  for (bool with_cutoff : {false, true}) {
    CAPTURE(with_cutoff);
    std::atomic<int64_t> cutoff{with_cutoff ? 1000 + 15900 : INT64_MIN};
    uint64_t decompressed = 0;
    ChunkIteratorOptions opts;
    opts.direction = Direction::kBackward;
    opts.line_contains = {"rare"};
    opts.cutoff = &cutoff;
    opts.on_decompressed = [&](uint64_t, uint64_t n) { decompressed += n; };
    auto it = (*c)->NewIterator(opts);
    size_t n = 0;
    while (it->Next()) ++n;
    CHECK(it->status().ok());
    if (with_cutoff) {
      CHECK(n == 0);  // every match is older than the cutoff
      CHECK(decompressed < kFirstSegmentBytes + 1024);
    } else {
      CHECK(n == 10);
      CHECK(decompressed == (*c)->LineBytes());
    }
  }
}

namespace {

// Reads `c` with `opts` in slices: the pause bound starts at bounds[0] and
// moves to the next bound each time the iterator pauses. Entries beyond the
// bound in force are never yielded, and a pause comes only after every entry
// of `whole` (the unpaused read) short of it.
std::vector<std::pair<int64_t, std::string>> ReadInSlices(
    const Chunk& c, ChunkIteratorOptions opts, const std::vector<int64_t>& bounds,
    const std::vector<std::pair<int64_t, std::string>>& whole, int* pauses) {
  skald::server::iter::PauseBound pause(opts.direction);
  opts.pause = &pause;
  size_t k = 0;
  pause.Set(bounds[0]);
  auto it = c.NewIterator(opts);
  std::vector<std::pair<int64_t, std::string>> got;
  *pauses = 0;
  while (true) {
    if (it->Next()) {
      CHECK_FALSE(pause.Beyond(it->At().timestamp_ns));
      got.emplace_back(it->At().timestamp_ns, std::string(it->At().line));
      continue;
    }
    if (!it->Paused()) break;
    CHECK(std::count_if(whole.begin(), whole.end(), [&](const auto& e) { return !pause.Beyond(e.first); }) ==
          static_cast<ptrdiff_t>(got.size()));
    ++*pauses;
    REQUIRE(k + 1 < bounds.size());
    pause.Set(bounds[++k]);
  }
  CHECK(it->status().ok());
  return got;
}

std::shared_ptr<const Chunk> Encoded(ChunkBuilder& b) {
  auto bytes = b.Encode();
  REQUIRE(bytes.ok());
  auto c = Chunk::Open(*bytes, "x");
  REQUIRE(c.ok());
  return std::move(c).value();
}

}  // namespace

TEST_CASE("a read paused at a bound decompresses nothing beyond it and resumes where it stopped") {
  ChunkOptions o;
  o.block_bytes = 256 * 1024;
  ChunkBuilder b("{app=\"api\"}", o);
  // "rare" every 500th entry among the 2000 newest and the 2000 oldest only:
  // a search for the next one past either end's first 2000 entries would
  // decompress nearly everything.
  uint64_t slice_bytes[2] = {0, 0};  // the 2000 oldest, the 2000 newest
  for (int i = 0; i < 16000; ++i) {
    const bool rare = i % 500 == 7 && (i < 2000 || i >= 14000);
    std::string line = "GET /item/" + std::to_string(i) + " " + Hex32(i) + (rare ? " rare" : "");
    if (i < 2000) slice_bytes[0] += line.size();
    if (i >= 14000) slice_bytes[1] += line.size();
    REQUIRE(b.Append(1000 + i, line, {}).ok());
  }
  auto c = Encoded(b);
  REQUIRE(c->BlockCount() >= 3);
  for (Direction dir : {Direction::kBackward, Direction::kForward}) {
    const bool backward = dir == Direction::kBackward;
    CAPTURE(backward);
    uint64_t decompressed = 0;
    ChunkIteratorOptions opts;
    opts.direction = dir;
    opts.line_contains = {"rare"};
    opts.on_decompressed = [&](uint64_t, uint64_t n) { decompressed += n; };
    std::vector<std::pair<int64_t, std::string>> whole;
    {
      auto it = c->NewIterator(opts);
      while (it->Next()) {
        whole.emplace_back(it->At().timestamp_ns, std::string(it->At().line));
        // Without a pause, the 5th match is found only deep in the chunk.
        if (whole.size() == 5) CHECK(decompressed > c->LineBytes() / 2);
      }
    }
    REQUIRE(whole.size() == 8);
    // Slices of 2000 entries from the end the read starts at.
    std::vector<int64_t> bounds;
    for (int k = 1; k <= 8; ++k) bounds.push_back(backward ? 1000 + 16000 - 2000 * k : 1000 + 2000 * k);
    bounds.back() = backward ? INT64_MIN : INT64_MAX;
    // The first slice alone decompresses its entries and at most one
    // segment (backward) or block (forward) more.
    {
      skald::server::iter::PauseBound pause(dir);
      pause.Set(bounds[0]);
      ChunkIteratorOptions first = opts;
      first.pause = &pause;
      decompressed = 0;
      auto it = c->NewIterator(first);
      size_t n = 0;
      while (it->Next()) ++n;
      CHECK(it->Paused());
      CHECK(it->status().ok());
      CHECK(n == 4);  // i = 15507 ... 14007 backward, 7 ... 1507 forward
      if (backward) CHECK(decompressed < slice_bytes[1] + kMaxSegmentBytes);
      else CHECK(decompressed < c->LineBytes() / 2);
    }
    decompressed = 0;
    int pauses = 0;
    CHECK(ReadInSlices(*c, opts, bounds, whole, &pauses) == whole);
    CHECK(pauses == 7);
    // Every line byte decompressed once, none twice, across the pauses.
    if (backward) CHECK(decompressed == c->LineBytes());
  }
}

TEST_CASE("paused reads over blocks that overlap in time merge to the unpaused order") {
  ChunkOptions o;
  o.block_bytes = 64 * 1024;
  ChunkBuilder b("{app=\"api\"}", o);
  // Even timestamps first, then late odd ones at both ends only: the late
  // block overlaps the early ones and is merged with them, and pauses in its
  // gap while they still have entries short of the bound.
  for (int pass = 0; pass < 2; ++pass) {
    for (int i = 0; i < 6000; ++i) {
      if (pass == 1 && i >= 500 && i < 5500) continue;
      const int64_t ts = 1000 + 2 * i + pass;
      std::string line = "GET /item/" + std::to_string(ts) + (i % 40 == 3 ? " rare " : " ") + Hex32(i);
      REQUIRE(b.Append(ts, line, {}).ok());
    }
  }
  auto c = Encoded(b);
  REQUIRE(c->BlockCount() >= 6);
  for (Direction dir : {Direction::kBackward, Direction::kForward}) {
    const bool backward = dir == Direction::kBackward;
    CAPTURE(backward);
    for (bool filtered : {false, true}) {
      CAPTURE(filtered);
      ChunkIteratorOptions opts;
      opts.direction = dir;
      if (filtered) opts.line_contains = {"rare"};
      auto it = c->NewIterator(opts);
      std::vector<std::pair<int64_t, std::string>> whole;
      while (it->Next()) whole.emplace_back(it->At().timestamp_ns, std::string(it->At().line));
      REQUIRE(whole.size() == (filtered ? 175u : 7000u));
      std::vector<int64_t> bounds;
      for (int k = 1; k <= 12; ++k) bounds.push_back(backward ? 13000 - 1000 * k : 1000 + 1000 * k);
      bounds.back() = backward ? INT64_MIN : INT64_MAX;
      int pauses = 0;
      CHECK(ReadInSlices(*c, opts, bounds, whole, &pauses) == whole);
      CHECK(pauses == 11);
    }
  }
}

TEST_CASE("a LineBuffer keeps its bytes and capacity when it grows and shrinks") {
  LineBuffer b;
  CHECK(b.empty());
  std::string want;
  for (int i = 0; i < 1000; ++i) {
    const std::string s = "line " + std::to_string(i) + ";";
    b.append(s);
    want += s;
  }
  CHECK(b.view() == want);
  const size_t cap = b.capacity();
  CHECK(cap >= want.size());
  b.ResizeUninitialized(10);
  CHECK(b.view() == want.substr(0, 10));
  b.ResizeUninitialized(want.size());  // within capacity: no reallocation
  CHECK(b.capacity() == cap);
  CHECK(b.view().substr(0, 10) == want.substr(0, 10));
  b.clear();
  CHECK(b.size() == 0);
  CHECK(b.capacity() == cap);
}
