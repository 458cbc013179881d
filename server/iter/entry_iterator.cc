#include "server/iter/entry_iterator.h"

namespace skald::server::iter {
namespace {

class VectorEntryIterator final : public EntryIterator {
 public:
  VectorEntryIterator(std::string labels, std::vector<common::Entry> entries, Direction direction)
      : labels_(std::move(labels)),
        hash_(common::FingerprintOf(labels_)),
        entries_(std::move(entries)),
        forward_(direction == Direction::kForward) {}

  bool Next() override {
    if (pos_ >= entries_.size()) return false;
    const common::Entry& e = entries_[forward_ ? pos_ : entries_.size() - 1 - pos_];
    ++pos_;
    cur_.timestamp_ns = e.timestamp_ns;
    cur_.line = e.line;
    cur_.metadata = e.metadata;
    return true;
  }
  const EntryRef& At() const override { return cur_; }
  std::string_view Labels() const override { return labels_; }
  uint64_t StreamHash() const override { return hash_; }
  common::Status status() const override { return common::Status::OK(); }

 private:
  const std::string labels_;
  const uint64_t hash_;
  const std::vector<common::Entry> entries_;
  const bool forward_;
  size_t pos_ = 0;
  EntryRef cur_;
};

class ErrorEntryIterator final : public EntryIterator {
 public:
  explicit ErrorEntryIterator(common::Status s) : status_(std::move(s)) {}
  bool Next() override { return false; }
  const EntryRef& At() const override { return cur_; }
  std::string_view Labels() const override { return {}; }
  uint64_t StreamHash() const override { return 0; }
  common::Status status() const override { return status_; }

 private:
  const common::Status status_;
  EntryRef cur_;
};

}  // namespace

std::unique_ptr<EntryIterator> NewVectorEntryIterator(std::string labels,
                                                      std::vector<common::Entry> entries,
                                                      Direction direction) {
  return std::make_unique<VectorEntryIterator>(std::move(labels), std::move(entries), direction);
}

std::unique_ptr<EntryIterator> NewErrorEntryIterator(common::Status status) {
  return std::make_unique<ErrorEntryIterator>(std::move(status));
}

std::vector<StreamEntry> CollectEntries(EntryIterator& it, size_t limit) {
  std::vector<StreamEntry> out;
  while ((limit == 0 || out.size() < limit) && it.Next()) {
    out.push_back(StreamEntry{std::string(it.Labels()), it.At().ToEntry()});
  }
  return out;
}

}  // namespace skald::server::iter
