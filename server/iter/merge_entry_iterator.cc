#include "server/iter/merge_entry_iterator.h"

#include <algorithm>
#include <unordered_set>
#include <xxhash.h>

namespace skald::server::iter {
namespace {

// Hash of the part of an entry that the timestamp and stream do not cover.
uint64_t ContentHash(const EntryRef& e) {
  uint64_t h = XXH3_64bits(e.line.data(), e.line.size());
  for (const common::Label& l : e.metadata) {
    h = XXH3_64bits_withSeed(l.name.data(), l.name.size(), h);
    h = XXH3_64bits_withSeed(l.value.data(), l.value.size(), h ^ 0x9e3779b97f4a7c15ull);
  }
  return h;
}

class MergeEntryIterator final : public EntryIterator {
 public:
  MergeEntryIterator(std::vector<std::unique_ptr<EntryIterator>> children, Direction direction,
                     std::vector<int64_t> bounds, const PauseBound* pause)
      : children_(std::move(children)),
        forward_(direction == Direction::kForward),
        bounds_(std::move(bounds)),
        pause_(pause) {
    order_.resize(children_.size());
    for (size_t i = 0; i < order_.size(); ++i) order_[i] = i;
    if (!bounds_.empty()) {
      std::stable_sort(order_.begin(), order_.end(), [&](size_t a, size_t b) {
        return forward_ ? bounds_[a] < bounds_[b] : bounds_[a] > bounds_[b];
      });
    }
  }

  bool Next() override {
    if (paused_) {  // the bound has moved: the paused children go on
      paused_ = false;
      std::vector<size_t> resume;
      resume.swap(paused_children_);
      for (size_t c : resume) Advance(c);
    }
    while (status_.ok()) {
      if (current_ != kNone) Advance(current_);
      current_ = kNone;
      PrimeNeeded();
      if (!status_.ok()) return false;
      // A paused child's entries all lie beyond the bound: an entry before
      // them must not be yielded ahead of them.
      if (!paused_children_.empty() &&
          (heap_.empty() || pause_ == nullptr ||
           pause_->Beyond(children_[heap_.front()]->At().timestamp_ns))) {
        paused_ = true;
        return false;
      }
      if (heap_.empty()) return false;
      std::pop_heap(heap_.begin(), heap_.end(), Cmp{this});
      current_ = heap_.back();
      heap_.pop_back();
      if (!IsDuplicate(*children_[current_])) return true;
    }
    return false;
  }

  const EntryRef& At() const override { return children_[current_]->At(); }
  std::string_view Labels() const override { return children_[current_]->Labels(); }
  uint64_t StreamHash() const override { return children_[current_]->StreamHash(); }
  common::Status status() const override { return status_; }
  bool Paused() const override { return paused_; }

 private:
  static constexpr size_t kNone = ~size_t{0};

  // Heap order: the "greatest" element per Cmp is the next to yield.
  struct Cmp {
    const MergeEntryIterator* self;
    bool operator()(size_t a, size_t b) const { return self->After(a, b); }
  };

  // True when child a's entry comes after child b's entry.
  bool After(size_t a, size_t b) const {
    const EntryIterator& x = *children_[a];
    const EntryIterator& y = *children_[b];
    int64_t ta = x.At().timestamp_ns, tb = y.At().timestamp_ns;
    if (ta != tb) return forward_ ? ta > tb : ta < tb;
    int c = x.Labels().compare(y.Labels());
    if (c != 0) return c > 0;
    return a > b;
  }

  // Starts every child not started yet that may yield an entry at or before
  // the heap's best one (all of them without bounds, or when the heap is
  // empty), best bound first.
  void PrimeNeeded() {
    while (next_unprimed_ < order_.size()) {
      const size_t c = order_[next_unprimed_];
      if (!bounds_.empty() && !heap_.empty()) {
        const int64_t best = children_[heap_.front()]->At().timestamp_ns;
        if (forward_ ? bounds_[c] > best : bounds_[c] < best) return;
      }
      ++next_unprimed_;
      Advance(c);
    }
  }

  void Advance(size_t i) {
    EntryIterator& child = *children_[i];
    if (child.Next()) {
      heap_.push_back(i);
      std::push_heap(heap_.begin(), heap_.end(), Cmp{this});
    } else if (child.Paused()) {
      paused_children_.push_back(i);
    } else if (!child.status().ok() && status_.ok()) {
      status_ = child.status();
    }
  }

  // Entries of one (timestamp, stream) are consecutive in the output, so a
  // set of content hashes for the current key finds every exact duplicate.
  bool IsDuplicate(const EntryIterator& child) {
    const EntryRef& e = child.At();
    uint64_t h = ContentHash(e);
    if (!seen_.empty() && e.timestamp_ns == key_ts_ && child.StreamHash() == key_stream_) {
      return !seen_.insert(h).second;
    }
    key_ts_ = e.timestamp_ns;
    key_stream_ = child.StreamHash();
    seen_.clear();
    seen_.insert(h);
    return false;
  }

  std::vector<std::unique_ptr<EntryIterator>> children_;
  const bool forward_;
  const std::vector<int64_t> bounds_;  // empty, or one per child
  std::vector<size_t> order_;         // children by bound, best first
  size_t next_unprimed_ = 0;          // into order_
  std::vector<size_t> heap_;
  size_t current_ = kNone;
  const PauseBound* pause_;             // null: children do not pause
  std::vector<size_t> paused_children_;  // neither in the heap nor done
  bool paused_ = false;
  common::Status status_;
  int64_t key_ts_ = 0;
  uint64_t key_stream_ = 0;
  std::unordered_set<uint64_t> seen_;
};

}  // namespace

std::unique_ptr<EntryIterator> NewMergeEntryIterator(
    std::vector<std::unique_ptr<EntryIterator>> children, Direction direction,
    std::vector<int64_t> bounds, const PauseBound* pause) {
  if (!bounds.empty() && bounds.size() != children.size()) bounds.clear();
  return std::make_unique<MergeEntryIterator>(std::move(children), direction, std::move(bounds),
                                              pause);
}

}  // namespace skald::server::iter
