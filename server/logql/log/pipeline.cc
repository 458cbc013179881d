#include "server/logql/log/pipeline.h"

namespace skald::server::logql::log {

StreamPipeline::StreamPipeline(const std::vector<StagePtr>* stages, const Labels& stream)
    : stages_(stages), builder_(stream) {}

bool StreamPipeline::ProcessNoLabels(int64_t ts_ns, std::string_view* line,
                                     const std::vector<Label>* metadata) {
  builder_.Reset();
  if (metadata != nullptr) builder_.AddMetadata(*metadata);
  for (const StagePtr& s : *stages_) {
    if (!s->Process(ts_ns, *line, builder_)) return false;
  }
  return true;
}

StreamPipeline::ProcessResult StreamPipeline::Process(int64_t ts_ns, std::string_view line,
                                                      const std::vector<Label>* metadata) {
  ProcessResult r;
  r.line = line;
  if (!ProcessNoLabels(ts_ns, &r.line, metadata)) return r;
  r.keep = true;
  r.labels = builder_.Result();
  return r;
}

std::shared_ptr<const LabelsResult> StreamPipeline::BaseLabels() {
  builder_.Reset();
  return builder_.Result();
}

Pipeline::Pipeline(std::vector<StagePtr> stages) : stages_(std::move(stages)) {}

StreamPipeline& Pipeline::ForStream(const Labels& stream) { return ForStream(stream, stream.Fingerprint()); }

StreamPipeline& Pipeline::ForStream(const Labels& stream, uint64_t h) {
  auto& bucket = cache_[h];
  for (auto& [lbls, sp] : bucket) {
    if (lbls == stream) return *sp;
  }
  if (cached_ >= kMaxCachedStreams) {
    cache_.clear();
    cached_ = 0;
  }
  auto& b = cache_[h];
  b.emplace_back(stream, std::make_unique<StreamPipeline>(&stages_, stream));
  ++cached_;
  return *b.back().second;
}

}  // namespace skald::server::logql::log
