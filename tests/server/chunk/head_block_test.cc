// HeadBlock: metadata interning in flat arrays, row order and duplicates,
// Release.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "server/chunk/head_block.h"

namespace skald::server::chunk {
namespace {

using common::Label;

std::vector<Label> Set(std::string trace) { return {Label{"trace_id", std::move(trace)}}; }

TEST_CASE("head block interns equal metadata sets once and keeps distinct ones apart") {
  HeadBlock h;
  h.Append(1, "a", Set("t1"));
  h.Append(2, "b", Set("t2"));
  h.Append(3, "c", Set("t1"));  // not the previous row's set: found through the table
  h.Append(4, "d", {});
  REQUIRE(h.MetadataSetCount() == 3);  // empty, t1, t2
  std::vector<HeadBlock::Row> rows = h.SortedRows();
  REQUIRE(rows.size() == 4);
  CHECK(rows[0].meta_set == rows[2].meta_set);
  CHECK(rows[0].meta_set != rows[1].meta_set);
  CHECK(rows[3].meta_set == 0);
  CHECK(h.MetadataSetCopy(rows[1].meta_set) == Set("t2"));
  const HeadBlock::LabelRef p = h.MetadataPair(rows[0].meta_set, 0);
  CHECK(p.name == "trace_id");
  CHECK(p.value == "t1");
}

TEST_CASE("head block orders equal timestamp and line by metadata and drops exact duplicates") {
  HeadBlock h;
  h.Append(5, "x", Set("b"));
  h.Append(5, "x", Set("a"));
  h.Append(5, "x", Set("b"));  // exact duplicate
  h.Append(5, "x", {});
  std::vector<common::Entry> got = h.Entries(0, 10);
  REQUIRE(got.size() == 3);
  CHECK(got[0].metadata.empty());
  CHECK(got[1].metadata == Set("a"));
  CHECK(got[2].metadata == Set("b"));
}

TEST_CASE("head block finds an appended entry only with the same metadata") {
  HeadBlock h;
  h.Append(7, "line", Set("t1"));
  const std::vector<Label> same = Set("t1"), other = Set("t2");
  CHECK(h.Contains(7, "line", same, HeadBlock::EntryHash(7, "line", same)));
  CHECK_FALSE(h.Contains(7, "line", other, HeadBlock::EntryHash(7, "line", other)));
}

TEST_CASE("head block metadata sets with several pairs compare pair by pair") {
  HeadBlock h;
  const std::vector<Label> ab = {Label{"a", "1"}, Label{"b", "2"}};
  const std::vector<Label> a = {Label{"a", "1"}};
  h.Append(1, "l", ab);
  h.Append(1, "l", a);
  std::vector<common::Entry> got = h.Entries(0, 2);
  REQUIRE(got.size() == 2);
  CHECK(got[0].metadata == a);  // a prefix orders first
  CHECK(got[1].metadata == ab);
}

TEST_CASE("head block is empty after Release and accepts entries again") {
  HeadBlock h;
  h.Reserve(1 << 16);
  h.Append(1, "first", Set("t1"));
  h.Release();
  CHECK(h.empty());
  CHECK(h.MetadataSetCount() == 1);
  CHECK(h.RawBytes() == 0);
  h.Append(2, "second", Set("t2"));
  std::vector<common::Entry> got = h.Entries(0, 10);
  REQUIRE(got.size() == 1);
  CHECK(got[0].line == "second");
  CHECK(got[0].metadata == Set("t2"));
}

}  // namespace
}  // namespace skald::server::chunk
