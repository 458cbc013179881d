// StageScratch: reusable per-stream buffers for pipeline stages, so stages
// themselves stay immutable (shareable across streams and threads) and the
// per-line path allocates nothing once warmed up.
//
// Concurrency: owned by one LabelsBuilder; one thread at a time.
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace skald::server::logql::log {

// Opaque holder of a simdjson On-Demand parser (defined in json_scratch.cc so
// that only the JSON stages include simdjson).
struct JsonScratch;
struct JsonScratchDeleter {
  void operator()(JsonScratch* p) const;
};

class StageScratch {
 public:
  StageScratch() = default;
  StageScratch(const StageScratch&) = delete;
  StageScratch& operator=(const StageScratch&) = delete;

  // A buffer for a rewritten line that is guaranteed not to back `current`
  // (the line being rewritten), so a stage may read `current` while writing.
  // The returned buffer is cleared.
  std::string& LineBuffer(std::string_view current) {
    std::string& b = (current.data() == line_buf_[0].data()) ? line_buf_[1] : line_buf_[0];
    b.clear();
    return b;
  }

  // The JSON parser state, created on first use.
  JsonScratch& json();

  // General-purpose scratch string for a stage's temporary use within one
  // Process call (never across stages).
  std::string& tmp() { return tmp_; }

 private:
  std::string line_buf_[2];
  std::string tmp_;
  std::unique_ptr<JsonScratch, JsonScratchDeleter> json_;
};

}  // namespace skald::server::logql::log
