#include "common/push_view.h"

#include <algorithm>
#include <utility>

namespace skald::common {
namespace {

// The calling thread's parked buffer (see PushBuffer).
struct ParkedBuffer {
  std::unique_ptr<char[]> data;
  size_t capacity = 0;
};
thread_local ParkedBuffer parked;

// Smallest buffer handed out, so small pushes share one size class.
constexpr size_t kMinPushBufferBytes = size_t{64} << 10;

}  // namespace

PushBuffer PushBuffer::Take(size_t n) {
  PushBuffer b;
  if (parked.data != nullptr && parked.capacity >= n) {
    b.data_ = std::move(parked.data);
    b.capacity_ = parked.capacity;
    parked.capacity = 0;
    return b;
  }
  b.capacity_ = std::max(n, kMinPushBufferBytes);
  b.data_ = std::make_unique_for_overwrite<char[]>(b.capacity_);
  return b;
}

void PushBuffer::Release() {
  if (data_ != nullptr && capacity_ <= kMaxRetainedPushBufferBytes && capacity_ > parked.capacity) {
    parked.data = std::move(data_);
    parked.capacity = capacity_;
  }
  data_.reset();
  capacity_ = 0;
}

PushBuffer::~PushBuffer() { Release(); }

PushBuffer& PushBuffer::operator=(PushBuffer&& o) noexcept {
  if (this != &o) {
    Release();
    data_ = std::move(o.data_);
    capacity_ = o.capacity_;
    o.capacity_ = 0;
  }
  return *this;
}

PushRequestView PushRequestView::Own(PushRequest&& req) {
  PushRequestView v;
  v.owned_ = std::make_unique<PushRequest>(std::move(req));
  size_t pairs = 0;
  for (const PushStream& s : v.owned_->streams) {
    for (const Entry& e : s.entries) pairs += e.metadata.size();
  }
  v.metadata_.reserve(pairs);  // spans below point into it: no reallocation
  v.streams.reserve(v.owned_->streams.size());
  for (const PushStream& s : v.owned_->streams) {
    PushStreamView& sv = v.streams.emplace_back();
    sv.labels = s.labels;
    sv.entries.reserve(s.entries.size());
    for (const Entry& e : s.entries) {
      const size_t begin = v.metadata_.size();
      AppendLabelViews(e.metadata, &v.metadata_);
      sv.entries.push_back(
          EntryView{e.timestamp_ns, e.line, std::span<const LabelView>(v.metadata_.data() + begin, e.metadata.size())});
    }
  }
  return v;
}

PushRequest PushRequestView::ToOwned() const {
  PushRequest out;
  out.streams.reserve(streams.size());
  for (const PushStreamView& s : streams) {
    PushStream& os = out.streams.emplace_back();
    os.labels.assign(s.labels);
    os.entries.reserve(s.entries.size());
    for (const EntryView& e : s.entries) AssignEntry(e, &os.entries.emplace_back());
  }
  return out;
}

}  // namespace skald::common
