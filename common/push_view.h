// PushRequestView: a decoded push whose label strings, lines and metadata
// are string_views into storage the view owns: the decompressed protobuf
// body (DecodePushProtobufView: no allocation or copy per line), or a whole
// PushRequest taken over (JSON, OTLP and tests: Own()).
//
// Moving a PushRequestView keeps every view valid (the storage is on the
// heap and moves with it). Not thread-safe; a value owned by one request.
#pragma once

#include <cstddef>
#include <memory>
#include <string_view>
#include <vector>

#include "common/entry.h"

namespace skald::common {

// A byte buffer for a decompressed body, recycled per thread: taking one
// reuses the calling thread's last released buffer when it is large enough,
// and releasing one (destruction, on any thread) parks it in that thread's
// slot when it is at most kMaxRetainedPushBufferBytes (a larger one is
// freed). So a server thread keeps at most one retained body buffer.
constexpr size_t kMaxRetainedPushBufferBytes = size_t{16} << 20;

class PushBuffer {
 public:
  PushBuffer() = default;
  // A buffer of at least `n` bytes (contents unspecified).
  static PushBuffer Take(size_t n);
  ~PushBuffer();
  PushBuffer(PushBuffer&& o) noexcept : data_(std::move(o.data_)), capacity_(o.capacity_) { o.capacity_ = 0; }
  PushBuffer& operator=(PushBuffer&& o) noexcept;
  PushBuffer(const PushBuffer&) = delete;
  PushBuffer& operator=(const PushBuffer&) = delete;

  char* data() { return data_.get(); }
  const char* data() const { return data_.get(); }
  size_t capacity() const { return capacity_; }

 private:
  void Release();

  std::unique_ptr<char[]> data_;
  size_t capacity_ = 0;
};

struct PushStreamView {
  std::string_view labels;  // the label string as sent
  std::vector<EntryView> entries;
};

class PushRequestView {
 public:
  PushRequestView() = default;
  PushRequestView(PushRequestView&&) = default;
  PushRequestView& operator=(PushRequestView&&) = default;
  PushRequestView(const PushRequestView&) = delete;
  PushRequestView& operator=(const PushRequestView&) = delete;

  // Views over `req`, which the result takes over.
  static PushRequestView Own(PushRequest&& req);

  // An owned copy of the streams (labels, lines and metadata copied).
  PushRequest ToOwned() const;

  std::vector<PushStreamView> streams;

  // For decoders: the storage the views point into. `metadata` holds every
  // entry's pairs back to back (EntryView::metadata spans point into it).
  PushBuffer& body() { return body_; }
  std::vector<LabelView>& metadata() { return metadata_; }

 private:
  std::unique_ptr<PushRequest> owned_;
  PushBuffer body_;
  std::vector<LabelView> metadata_;
};

}  // namespace skald::common
