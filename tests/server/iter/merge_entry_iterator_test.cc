#include "server/iter/merge_entry_iterator.h"

#include <doctest/doctest.h>

#include <algorithm>

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

namespace {
// Records whether its first Next() happened.
class StartProbe final : public EntryIterator {
 public:
  StartProbe(std::vector<Entry> es, Direction d, bool* started)
      : in_(NewVectorEntryIterator("{a=\"1\"}", std::move(es), d)), started_(started) {}
  bool Next() override {
    *started_ = true;
    return in_->Next();
  }
  const EntryRef& At() const override { return in_->At(); }
  std::string_view Labels() const override { return in_->Labels(); }
  uint64_t StreamHash() const override { return in_->StreamHash(); }
  Status status() const override { return in_->status(); }

 private:
  std::unique_ptr<EntryIterator> in_;
  bool* started_;
};
}  // namespace

TEST_CASE("merge with bounds starts a child only when the merge reaches its bound") {
  for (auto d : {Direction::kForward, Direction::kBackward}) {
    const bool fwd = d == Direction::kForward;
    bool started[3] = {false, false, false};
    std::vector<std::unique_ptr<EntryIterator>> v;
    // Child 0 spans 10..50, child 1 overlaps it (40..45, with a duplicate of
    // 40), child 2 is far away (100..110).
    v.push_back(std::make_unique<StartProbe>(std::vector<Entry>{{10, "a", {}}, {40, "x", {}}, {50, "b", {}}}, d, &started[0]));
    v.push_back(std::make_unique<StartProbe>(std::vector<Entry>{{40, "x", {}}, {45, "c", {}}}, d, &started[1]));
    v.push_back(std::make_unique<StartProbe>(std::vector<Entry>{{100, "d", {}}, {110, "e", {}}}, d, &started[2]));
    std::vector<int64_t> bounds = fwd ? std::vector<int64_t>{10, 40, 100} : std::vector<int64_t>{50, 45, 110};
    auto m = NewMergeEntryIterator(std::move(v), d, bounds);
    REQUIRE(m->Next());
    CHECK(m->At().timestamp_ns == (fwd ? 10 : 110));
    // Only the child holding the first entry (and none behind it) has started.
    CHECK(started[0] == fwd);
    CHECK(started[1] == false);
    CHECK(started[2] == !fwd);
    std::vector<int64_t> rest{m->At().timestamp_ns};
    while (m->Next()) rest.push_back(m->At().timestamp_ns);
    CHECK(m->status().ok());
    std::vector<int64_t> want{10, 40, 45, 50, 100, 110};  // the duplicate 40 once
    if (!fwd) std::reverse(want.begin(), want.end());
    CHECK(rest == want);
  }
}

namespace {
// A vector iterator that pauses before entries beyond `pause`.
class Pausing final : public EntryIterator {
 public:
  Pausing(std::vector<Entry> es, Direction d, const PauseBound* pause)
      : in_(NewVectorEntryIterator("{a=\"1\"}", std::move(es), d)), pause_(pause) {}
  bool Next() override {
    paused_ = false;
    if (!held_ && !in_->Next()) return false;
    held_ = true;
    if (pause_->Beyond(in_->At().timestamp_ns)) {
      paused_ = true;
      return false;
    }
    held_ = false;
    return true;
  }
  const EntryRef& At() const override { return in_->At(); }
  std::string_view Labels() const override { return in_->Labels(); }
  uint64_t StreamHash() const override { return in_->StreamHash(); }
  Status status() const override { return in_->status(); }
  bool Paused() const override { return paused_; }

 private:
  std::unique_ptr<EntryIterator> in_;
  const PauseBound* pause_;
  bool held_ = false;  // in_->At() is read but not yielded
  bool paused_ = false;
};
}  // namespace

TEST_CASE("merge with a paused child yields only entries short of the bound, then pauses") {
  for (auto d : {Direction::kForward, Direction::kBackward}) {
    const bool fwd = d == Direction::kForward;
    CAPTURE(fwd);
    PauseBound pause(d);
    pause.Set(30);  // forward: < 30 wanted; backward: >= 30
    std::vector<std::unique_ptr<EntryIterator>> v;
    v.push_back(std::make_unique<Pausing>(std::vector<Entry>{{10, "a", {}}, {20, "b", {}}, {40, "c", {}}, {50, "d", {}}},
                                          d, &pause));
    // A child that does not pause: its entries beyond the bound come out
    // only after the paused child resumes, in order.
    v.push_back(NewVectorEntryIterator("{a=\"1\"}", {{15, "x", {}}, {35, "y", {}}, {45, "z", {}}}, d));
    auto m = NewMergeEntryIterator(std::move(v), d, {}, &pause);
    std::vector<int64_t> got;
    while (m->Next()) got.push_back(m->At().timestamp_ns);
    CHECK(m->Paused());
    CHECK(got == (fwd ? std::vector<int64_t>{10, 15, 20} : std::vector<int64_t>{50, 45, 40, 35}));
    pause.Set(fwd ? INT64_MAX : INT64_MIN);
    while (m->Next()) got.push_back(m->At().timestamp_ns);
    CHECK_FALSE(m->Paused());
    CHECK(m->status().ok());
    std::vector<int64_t> want{10, 15, 20, 35, 40, 45, 50};
    if (!fwd) std::reverse(want.begin(), want.end());
    CHECK(got == want);
  }
}
