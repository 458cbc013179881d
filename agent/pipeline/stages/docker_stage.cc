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

// Parses Docker's `time` values (RFC3339Nano in UTC, e.g.
// "2019-04-30T02:12:41.8443515Z"). Consecutive records of a container share
// everything up to the seconds, so the value of that part is remembered and
// a time with the same 19-byte prefix and a 1-9 digit fraction + "Z" costs
// only the fraction; anything else goes through common::ParseRFC3339 (the
// same result either way).
class DockerTimeParser {
 public:
  Result<int64_t> Parse(std::string_view t) {
    int64_t frac = 0;
    if (have_prefix_ && t.compare(0, kPrefixLen, prefix_) == 0 && Fraction(t, &frac)) {
      return prefix_ns_ + frac;
    }
    Result<int64_t> r = common::ParseRFC3339(t);
    if (r.ok() && Fraction(t, &frac)) {
      prefix_.assign(t.substr(0, kPrefixLen));
      prefix_ns_ = *r - frac;
      have_prefix_ = true;
    }
    return r;
  }

 private:
  static constexpr size_t kPrefixLen = 19;  // "2006-01-02T15:04:05"

  // The ns of `t`'s fraction when `t` is <prefix>.<1-9 digits>Z.
  static bool Fraction(std::string_view t, int64_t* ns) {
    if (t.size() < kPrefixLen + 3 || t.size() > kPrefixLen + 11 || t[kPrefixLen] != '.' ||
        t.back() != 'Z') {
      return false;
    }
    int64_t v = 0;
    size_t digits = t.size() - kPrefixLen - 2;
    for (size_t i = 0; i < digits; ++i) {
      char c = t[kPrefixLen + 1 + i];
      if (c < '0' || c > '9') return false;
      v = v * 10 + (c - '0');
    }
    for (size_t i = digits; i < 9; ++i) v *= 10;
    *ns = v;
    return true;
  }

  bool have_prefix_ = false;
  std::string prefix_;
  int64_t prefix_ns_ = 0;
};

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
      Result<int64_t> ts = time_.Parse(time);
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
  DockerTimeParser time_;
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
