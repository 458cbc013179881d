// Pipeline: the ordered stages of a log query (`| json | level="error" ...`),
// and StreamPipeline, its per-stream instance (Loki's pkg/logql/log/pipeline.go).
//
// Usage:
//   Pipeline p(std::move(stages));                 // once per query
//   StreamPipeline& sp = p.ForStream(stream_labels);  // once per stream (cached)
//   auto r = sp.Process(ts, line, &entry.metadata);   // per line
//   if (r.keep) emit(r.line, r.labels);
//
// Concurrency: a Pipeline and its StreamPipelines are used by one thread at a
// time (ForStream mutates the cache). Stages are shared and immutable, so
// several Pipelines (one per worker thread) may be built from the same stages.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/labels.h"
#include "server/logql/log/labels_builder.h"
#include "server/logql/log/stage.h"

namespace skald::server::logql::log {

using StagePtr = std::shared_ptr<const Stage>;

class StreamPipeline {
 public:
  struct ProcessResult {
    bool keep = false;
    // The (possibly rewritten) line. Valid until the next Process call on
    // this StreamPipeline (it may point into the input or into scratch).
    std::string_view line;
    // The line's labels; null when the line was dropped.
    std::shared_ptr<const LabelsResult> labels;
  };

  StreamPipeline(const std::vector<StagePtr>* stages, const Labels& stream);
  StreamPipeline(const StreamPipeline&) = delete;
  StreamPipeline& operator=(const StreamPipeline&) = delete;

  // Runs every stage on `line` (never modified). `metadata` may be null.
  ProcessResult Process(int64_t ts_ns, std::string_view line,
                        const std::vector<Label>* metadata = nullptr);

  // Like Process but leaves the labels in builder() (no Result() call), for
  // sample extraction that continues with Unwrap and post-unwrap stages.
  // Returns false when the line was dropped; `*line` gets the final line.
  bool ProcessNoLabels(int64_t ts_ns, std::string_view* line, const std::vector<Label>* metadata);

  // The builder of the last line processed.
  LabelsBuilder& builder() { return builder_; }
  // The stream's labels with nothing added.
  std::shared_ptr<const LabelsResult> BaseLabels();

 private:
  const std::vector<StagePtr>* stages_;  // owned by the Pipeline
  LabelsBuilder builder_;
};

class Pipeline {
 public:
  // Streams whose state is kept; at the limit the cache is cleared (references
  // returned earlier become invalid: callers hold them only per stream batch).
  static constexpr size_t kMaxCachedStreams = 1 << 16;

  explicit Pipeline(std::vector<StagePtr> stages);
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;

  // The per-stream pipeline for `stream`, built once and cached by the
  // labels' fingerprint. The reference stays valid until the cache is cleared
  // (see kMaxCachedStreams) or the Pipeline is destroyed.
  StreamPipeline& ForStream(const Labels& stream);
  // The same with the labels' Fingerprint() already known (a caller that
  // asks for the same stream again and again).
  StreamPipeline& ForStream(const Labels& stream, uint64_t fingerprint);

  // True when there are no stages (every line passes unchanged).
  bool IsNoop() const { return stages_.empty(); }
  const std::vector<StagePtr>& stages() const { return stages_; }

 private:
  std::vector<StagePtr> stages_;
  std::unordered_map<uint64_t, std::vector<std::pair<Labels, std::unique_ptr<StreamPipeline>>>> cache_;
  size_t cached_ = 0;
};

}  // namespace skald::server::logql::log
