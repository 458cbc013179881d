// docker: decodes Docker json-file lines {"log","stream","time"}.
//
// Like Promtail's `docker: {}`: output <- log, label stream <- stream,
// timestamp <- time (RFC3339Nano). Differences, on purpose:
//  - Docker splits lines longer than 16 KiB into several JSON records and only
//    the last `log` ends in "\n"; we rejoin them per stream (Promtail does not).
//  - The trailing "\n" is removed from the output (Promtail keeps it).
// A line that is not valid Docker JSON passes through unchanged.
#include <simdjson.h>

#include "agent/pipeline/stages/partial_lines.h"
#include "agent/pipeline/stages/stages.h"
#include "common/time.h"

namespace skald::agent::pipeline {
namespace {

// A rejoined line stops growing here: what is held is emitted as one entry
// and the next fragment starts a new one (Docker's API target uses 256 KiB).
constexpr size_t kMaxJoinedLineBytes = 256 * 1024;

class DockerStage final : public Stage {
 public:
  void Process(PipelineEntry entry, std::vector<PipelineEntry>* out) override {
    std::string_view log, stream, time;
    // simdjson reads up to SIMDJSON_PADDING bytes past the end; a reused
    // buffer avoids a padded copy allocated per line.
    padded_.assign(entry.line);
    padded_.reserve(entry.line.size() + simdjson::SIMDJSON_PADDING);
    simdjson::dom::element doc;
    if (parser_.parse(padded_.data(), padded_.size(), false).get(doc) != simdjson::SUCCESS ||
        doc["log"].get(log) != simdjson::SUCCESS) {
      out->push_back(std::move(entry));  // not docker JSON: pass through
      return;
    }
    if (doc["stream"].get(stream) != simdjson::SUCCESS) stream = {};
    if (doc["time"].get(time) != simdjson::SUCCESS) time = {};
    bool complete = !log.empty() && log.back() == '\n';
    if (complete) log.remove_suffix(1);
    std::string key(stream);
    if (PipelineEntry* held = partials_.Find(key)) {
      held->line.append(log);
      if (complete || held->line.size() >= kMaxJoinedLineBytes) partials_.Emit(key, out);
      return;
    }
    entry.line.assign(log);
    if (!stream.empty()) {
      entry.labels["stream"] = key;
      if (!last_) entry.extracted["stream"] = key;
    }
    if (!time.empty()) {
      Result<int64_t> ts = common::ParseRFC3339(time);
      if (ts.ok()) entry.timestamp_ns = *ts;
      if (!last_) entry.extracted["timestamp"] = std::string(time);
    }
    // A second copy of the line: skipped when no stage follows to read it.
    if (!last_) entry.extracted["output"] = entry.line;
    if (complete || entry.line.size() >= kMaxJoinedLineBytes) {
      out->push_back(std::move(entry));
      return;
    }
    partials_.Hold(key, std::move(entry), last_now_);
  }

  void Flush(int64_t now_ns, bool force, std::vector<PipelineEntry>* out) override {
    last_now_ = now_ns;
    partials_.Flush(now_ns, force, out);
  }

  std::optional<uint64_t> PendingStart() const override { return partials_.PendingStart(); }

  void SetIsLast(bool last) override { last_ = last; }
  const char* name() const override { return "docker"; }

 private:
  simdjson::dom::parser parser_;
  std::string padded_;  // the line being parsed, with padding capacity
  PartialLines partials_;
  int64_t last_now_ = 0;
  bool last_ = false;  // no stage follows: `extracted` is not filled
};

}  // namespace

StageResult NewDockerStage(YamlMap* cfg) {
  SKALD_RETURN_IF_ERROR(cfg->CheckIsMap());
  SKALD_RETURN_IF_ERROR(cfg->CheckNoUnknownKeys());
  return std::unique_ptr<Stage>(std::make_unique<DockerStage>());
}

const std::string* SourceValue(const PipelineEntry& entry, const std::string& source) {
  if (source.empty()) return &entry.line;
  auto it = entry.extracted.find(source);
  return it == entry.extracted.end() ? nullptr : &it->second;
}

}  // namespace skald::agent::pipeline
