// cri: decodes Kubernetes CRI log lines `<RFC3339Nano> <stream> <tags> <log>`.
//
// Like Promtail's `cri: {}`: label stream, timestamp from the first field,
// output <- content. Lines tagged P (partial) are held per stream and joined
// until the F line. Config (Promtail's keys): max_partial_lines (default 100
// held streams; above it everything held is emitted), max_partial_line_size
// (bytes, 0 = kMaxJoinedLineBytes), max_partial_line_size_truncate (cut the
// joined line at the size instead of emitting it early). Skald addition: a
// partial held kPartialIdleNanos without its F is emitted (a container that
// exits mid-line), so it is not held forever. Unparsable lines pass through.
#include "agent/pipeline/stages/partial_lines.h"
#include "agent/pipeline/stages/stages.h"
#include "common/time.h"

namespace skald::agent::pipeline {
namespace {

constexpr int64_t kMaxJoinedLineBytes = 1024 * 1024;

struct CriConfig {
  int64_t max_partial_lines = 100;
  int64_t max_partial_line_size = 0;
  bool truncate = false;
};

class CriStage final : public Stage {
 public:
  explicit CriStage(CriConfig c) : c_(c) {
    if (c_.max_partial_line_size <= 0) c_.max_partial_line_size = kMaxJoinedLineBytes;
  }

  void Process(PipelineEntry entry, std::vector<PipelineEntry>* out) override {
    std::string_view s = entry.line;
    size_t a = s.find(' ');
    size_t b = a == std::string_view::npos ? a : s.find(' ', a + 1);
    size_t c = b == std::string_view::npos ? b : s.find(' ', b + 1);
    if (c == std::string_view::npos) {
      out->push_back(std::move(entry));
      return;
    }
    std::string_view ts = s.substr(0, a), stream = s.substr(a + 1, b - a - 1);
    std::string_view tags = s.substr(b + 1, c - b - 1);
    Result<int64_t> t = common::ParseRFC3339(ts);
    if (!t.ok() || (stream != "stdout" && stream != "stderr")) {
      out->push_back(std::move(entry));
      return;
    }
    bool partial = tags.substr(0, tags.find(':')) == "P";
    std::string content(s.substr(c + 1));
    std::string key(stream);
    if (PipelineEntry* held = partials_.Find(key)) {
      AppendCapped(&held->line, content);
      if (!partial || Full(held->line)) partials_.Emit(key, out);
      return;
    }
    stream_label_.Set(&entry.labels, "stream", key);
    if (!last_) {  // nothing reads `extracted` when no stage follows
      entry.extracted["stream"] = key;
      entry.extracted["timestamp"] = std::string(ts);
      entry.extracted["flags"] = std::string(tags);
    }
    entry.timestamp_ns = *t;
    entry.line.clear();
    AppendCapped(&entry.line, content);
    if (!last_) entry.extracted["content"] = entry.line;
    if (!partial || Full(entry.line)) {
      out->push_back(std::move(entry));
      return;
    }
    if (static_cast<int64_t>(partials_.size()) >= c_.max_partial_lines) Flush(0, true, out);
    partials_.Hold(key, std::move(entry), last_now_);
  }

  void Flush(int64_t now_ns, bool force, std::vector<PipelineEntry>* out) override {
    if (!force) last_now_ = now_ns;
    partials_.Flush(now_ns, force, out);
  }

  std::optional<uint64_t> PendingStart() const override { return partials_.PendingStart(); }

  void SetIsLast(bool last) override { last_ = last; }
  const char* name() const override { return "cri"; }

 private:
  // With truncate, the joined line never grows past the cap (the rest of the
  // fragments are discarded); without it, Full() emits it early.
  void AppendCapped(std::string* line, std::string_view more) const {
    if (c_.truncate) {
      size_t room = static_cast<size_t>(c_.max_partial_line_size) -
                    std::min(line->size(), static_cast<size_t>(c_.max_partial_line_size));
      more = more.substr(0, room);
    }
    line->append(more);
  }
  bool Full(const std::string& line) const {
    return !c_.truncate && static_cast<int64_t>(line.size()) >= c_.max_partial_line_size;
  }

  CriConfig c_;
  PartialLines partials_;
  LabelMemo stream_label_;  // one shared label set per (file labels, stream)
  int64_t last_now_ = 0;
  bool last_ = false;  // no stage follows: `extracted` is not filled
};

}  // namespace

StageResult NewCriStage(YamlMap* cfg) {
  SKALD_RETURN_IF_ERROR(cfg->CheckIsMap());
  CriConfig c;
  SKALD_RETURN_IF_ERROR(cfg->GetInt("max_partial_lines", &c.max_partial_lines));
  SKALD_RETURN_IF_ERROR(cfg->GetBytes("max_partial_line_size", &c.max_partial_line_size));
  SKALD_RETURN_IF_ERROR(cfg->GetBool("max_partial_line_size_truncate", &c.truncate));
  SKALD_RETURN_IF_ERROR(cfg->CheckNoUnknownKeys());
  if (c.max_partial_lines <= 0) {
    return cfg->Error("max_partial_lines", "must be greater than 0");
  }
  return std::unique_ptr<Stage>(std::make_unique<CriStage>(c));
}

}  // namespace skald::agent::pipeline
