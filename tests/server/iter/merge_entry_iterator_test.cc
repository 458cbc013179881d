#include "server/iter/merge_entry_iterator.h"

#include <doctest/doctest.h>

using namespace skald::server::iter;
using skald::common::Entry;
using skald::common::Label;
using skald::common::Status;
using skald::common::StatusCode;

namespace {

std::vector<std::unique_ptr<EntryIterator>> Two(std::vector<Entry> a, std::vector<Entry> b,
                                                Direction d, std::string la = "{a=\"1\"}",
                                                std::string lb = "{a=\"1\"}") {
  std::vector<std::unique_ptr<EntryIterator>> v;
  v.push_back(NewVectorEntryIterator(std::move(la), std::move(a), d));
  v.push_back(NewVectorEntryIterator(std::move(lb), std::move(b), d));
  return v;
}

std::vector<int64_t> Timestamps(const std::vector<StreamEntry>& es) {
  std::vector<int64_t> out;
  for (const auto& e : es) out.push_back(e.entry.timestamp_ns);
  return out;
}

}  // namespace

TEST_CASE("vector iterator yields entries forward and backward") {
  std::vector<Entry> es = {{1, "a", {}}, {2, "b", {}}, {3, "c", {}}};
  auto f = NewVectorEntryIterator("{x=\"y\"}", es, Direction::kForward);
  CHECK(Timestamps(CollectEntries(*f)) == std::vector<int64_t>{1, 2, 3});
  auto b = NewVectorEntryIterator("{x=\"y\"}", es, Direction::kBackward);
  auto got = CollectEntries(*b);
  CHECK(Timestamps(got) == std::vector<int64_t>{3, 2, 1});
  CHECK(got[0].labels == "{x=\"y\"}");
}

TEST_CASE("merge interleaves children by timestamp forward") {
  auto m = NewMergeEntryIterator(Two({{1, "a", {}}, {4, "d", {}}}, {{2, "b", {}}, {3, "c", {}}},
                                     Direction::kForward),
                                 Direction::kForward);
  CHECK(Timestamps(CollectEntries(*m)) == std::vector<int64_t>{1, 2, 3, 4});
  CHECK(m->status().ok());
}

TEST_CASE("merge interleaves children by timestamp backward") {
  auto m = NewMergeEntryIterator(Two({{1, "a", {}}, {4, "d", {}}}, {{2, "b", {}}, {3, "c", {}}},
                                     Direction::kBackward),
                                 Direction::kBackward);
  CHECK(Timestamps(CollectEntries(*m)) == std::vector<int64_t>{4, 3, 2, 1});
}

TEST_CASE("merge drops exact duplicates across overlapping children of one stream") {
  auto m = NewMergeEntryIterator(
      Two({{1, "a", {}}, {2, "x", {}}, {2, "y", {}}}, {{2, "y", {}}, {2, "x", {}}, {3, "c", {}}},
          Direction::kForward),
      Direction::kForward);
  auto got = CollectEntries(*m);
  REQUIRE(got.size() == 4);
  CHECK(Timestamps(got) == std::vector<int64_t>{1, 2, 2, 3});
  CHECK(got[1].entry.line != got[2].entry.line);
}

TEST_CASE("merge keeps same timestamp and line when metadata differs") {
  auto m = NewMergeEntryIterator(Two({{2, "x", {{"trace_id", "1"}}}}, {{2, "x", {{"trace_id", "2"}}}},
                                     Direction::kForward),
                                 Direction::kForward);
  CHECK(CollectEntries(*m).size() == 2);
}

TEST_CASE("merge keeps identical entries of different streams, ordered by labels") {
  auto m = NewMergeEntryIterator(
      Two({{5, "x", {}}}, {{5, "x", {}}}, Direction::kForward, "{a=\"2\"}", "{a=\"1\"}"),
      Direction::kForward);
  auto got = CollectEntries(*m);
  REQUIRE(got.size() == 2);
  CHECK(got[0].labels == "{a=\"1\"}");
  CHECK(got[1].labels == "{a=\"2\"}");
}

TEST_CASE("merge reports a child's error and stops") {
  std::vector<std::unique_ptr<EntryIterator>> v;
  v.push_back(NewVectorEntryIterator("{a=\"1\"}", {{1, "a", {}}}, Direction::kForward));
  v.push_back(NewErrorEntryIterator(Status::Corruption("bad block", "chunk 7")));
  auto m = NewMergeEntryIterator(std::move(v), Direction::kForward);
  CHECK_FALSE(m->Next());
  CHECK(m->status().code() == StatusCode::kCorruption);
}

TEST_CASE("merge of no children is empty") {
  auto m = NewMergeEntryIterator({}, Direction::kForward);
  CHECK_FALSE(m->Next());
  CHECK(m->status().ok());
}
