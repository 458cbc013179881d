#include "server/iter/sample_iterator.h"

#include <algorithm>
#include <unordered_set>

namespace skald::server::iter {
namespace {

class VectorSampleIterator final : public SampleIterator {
 public:
  VectorSampleIterator(std::string labels, std::vector<Sample> samples)
      : labels_(std::move(labels)),
        hash_(common::FingerprintOf(labels_)),
        samples_(std::move(samples)) {}

  bool Next() override {
    if (next_ >= samples_.size()) return false;
    cur_ = next_++;
    return true;
  }
  const Sample& At() const override { return samples_[cur_]; }
  std::string_view Labels() const override { return labels_; }
  uint64_t SeriesHash() const override { return hash_; }
  common::Status status() const override { return common::Status::OK(); }

 private:
  const std::string labels_;
  const uint64_t hash_;
  const std::vector<Sample> samples_;
  size_t next_ = 0;
  size_t cur_ = 0;
};

class MergeSampleIterator final : public SampleIterator {
 public:
  explicit MergeSampleIterator(std::vector<std::unique_ptr<SampleIterator>> children)
      : children_(std::move(children)) {}

  bool Next() override {
    if (!primed_) {
      primed_ = true;
      for (size_t i = 0; i < children_.size(); ++i) Advance(i);
    }
    while (status_.ok()) {
      if (current_ != kNone) Advance(current_);
      current_ = kNone;
      if (heap_.empty() || !status_.ok()) return false;
      std::pop_heap(heap_.begin(), heap_.end(), Cmp{this});
      current_ = heap_.back();
      heap_.pop_back();
      if (!IsDuplicate(*children_[current_])) return true;
    }
    return false;
  }

  const Sample& At() const override { return children_[current_]->At(); }
  std::string_view Labels() const override { return children_[current_]->Labels(); }
  uint64_t SeriesHash() const override { return children_[current_]->SeriesHash(); }
  common::Status status() const override { return status_; }

 private:
  static constexpr size_t kNone = ~size_t{0};

  struct Cmp {
    const MergeSampleIterator* self;
    bool operator()(size_t a, size_t b) const { return self->After(a, b); }
  };

  bool After(size_t a, size_t b) const {
    const SampleIterator& x = *children_[a];
    const SampleIterator& y = *children_[b];
    if (x.At().timestamp_ns != y.At().timestamp_ns) return x.At().timestamp_ns > y.At().timestamp_ns;
    int c = x.Labels().compare(y.Labels());
    if (c != 0) return c > 0;
    return a > b;
  }

  void Advance(size_t i) {
    SampleIterator& child = *children_[i];
    if (child.Next()) {
      heap_.push_back(i);
      std::push_heap(heap_.begin(), heap_.end(), Cmp{this});
    } else if (!child.status().ok() && status_.ok()) {
      status_ = child.status();
    }
  }

  bool IsDuplicate(const SampleIterator& child) {
    const Sample& s = child.At();
    if (!seen_.empty() && s.timestamp_ns == key_ts_ && child.SeriesHash() == key_series_) {
      return !seen_.insert(s.hash).second;
    }
    key_ts_ = s.timestamp_ns;
    key_series_ = child.SeriesHash();
    seen_.clear();
    seen_.insert(s.hash);
    return false;
  }

  std::vector<std::unique_ptr<SampleIterator>> children_;
  bool primed_ = false;
  std::vector<size_t> heap_;
  size_t current_ = kNone;
  common::Status status_;
  int64_t key_ts_ = 0;
  uint64_t key_series_ = 0;
  std::unordered_set<uint64_t> seen_;
};

}  // namespace

std::unique_ptr<SampleIterator> NewVectorSampleIterator(std::string labels,
                                                        std::vector<Sample> samples) {
  return std::make_unique<VectorSampleIterator>(std::move(labels), std::move(samples));
}

std::unique_ptr<SampleIterator> NewMergeSampleIterator(
    std::vector<std::unique_ptr<SampleIterator>> children) {
  return std::make_unique<MergeSampleIterator>(std::move(children));
}

}  // namespace skald::server::iter
