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
    if (!Decode(entry.line, &log, &stream, &time)) {
      out->push_back(std::move(entry));  // not docker JSON: pass through
      return;
    }
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
      stream_label_.Set(&entry.labels, "stream", key);
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
  // Parses `line` as one JSON object with a string `log` (and optional
  // string `stream` and `time`; the first of duplicate keys wins). The views
  // point into the parser and are valid until the next call. False when the
  // line is not such an object (malformed, trailing bytes, `log` missing or
  // not a string).
  bool Decode(const std::string& line, std::string_view* log, std::string_view* stream,
              std::string_view* time) {
    // On-Demand reads up to SIMDJSON_PADDING bytes past the end: the reader
    // reserves that much after each line (tail::kLineSparePadding), so the
    // line is parsed in place; otherwise it is copied into a padded buffer.
    simdjson::padded_string_view view;
    if (line.capacity() >= line.size() + simdjson::SIMDJSON_PADDING) {
      view = simdjson::padded_string_view(line.data(), line.size(), line.capacity());
    } else {
      padded_.assign(line);
      padded_.reserve(line.size() + simdjson::SIMDJSON_PADDING);
      view = simdjson::padded_string_view(padded_.data(), padded_.size(), padded_.capacity());
    }
    simdjson::ondemand::document doc;
    simdjson::ondemand::object obj;
    if (parser_.iterate(view).get(doc) != simdjson::SUCCESS ||
        doc.get_object().get(obj) != simdjson::SUCCESS) {
      return false;
    }
    bool have_log = false, have_stream = false, have_time = false;
    for (auto field : obj) {
      std::string_view key;
      if (field.unescaped_key().get(key) != simdjson::SUCCESS) return false;
      simdjson::ondemand::value v;
      if (field.value().get(v) != simdjson::SUCCESS) return false;
      std::string_view* dst = nullptr;
      bool* have = nullptr;
      if (key == "log" && !have_log) {
        dst = log, have = &have_log;
      } else if (key == "stream" && !have_stream) {
        dst = stream, have = &have_stream;
      } else if (key == "time" && !have_time) {
        dst = time, have = &have_time;
      }
      if (dst != nullptr) {
        *have = true;
        if (v.get_string().get(*dst) == simdjson::SUCCESS) continue;
        if (dst == log) return false;  // `log` must be a string
        *dst = {};
      }
      // Any other value is left unread: the iterator skips it.
    }
    // Nothing may follow the object (current_location is out of bounds at
    // the end of the document).
    const char* rest = nullptr;
    return have_log && doc.current_location().get(rest) == simdjson::OUT_OF_BOUNDS;
  }

  simdjson::ondemand::parser parser_;
  std::string padded_;  // a line without spare capacity, copied with padding
  PartialLines partials_;
  LabelMemo stream_label_;  // one shared label set per (file labels, stream)
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
