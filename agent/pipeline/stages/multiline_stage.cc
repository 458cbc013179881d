// multiline: joins lines into one entry; a new entry starts at each line
// matching `firstline` (RE2, required). The held entry is emitted when the
// next first line arrives, after `max_lines` lines (default 128), or when
// nothing arrived for `max_wait_time` (default 3s). Lines are joined with
// "\n"; the entry keeps the first line's timestamp and labels. Promtail
// keeps one block per stream; a pipeline here is per file, so one block.
#include <re2/re2.h>

#include "agent/pipeline/stages/stages.h"

namespace skald::agent::pipeline {
namespace {

class MultilineStage final : public Stage {
 public:
  MultilineStage(std::unique_ptr<re2::RE2> re, int64_t max_wait_ns, int64_t max_lines)
      : re_(std::move(re)), max_wait_ns_(max_wait_ns), max_lines_(max_lines) {}

  void Process(PipelineEntry e, std::vector<PipelineEntry>* out) override {
    bool first = re2::RE2::PartialMatch(e.line, *re_);
    if (held_ && (first || lines_ >= max_lines_)) Emit(out);
    if (!held_) {
      held_ = std::make_unique<PipelineEntry>(std::move(e));
      lines_ = 1;
    } else {
      held_->line += '\n';
      held_->line += e.line;
      ++lines_;
    }
    since_ns_ = last_now_;
  }

  void Flush(int64_t now_ns, bool force, std::vector<PipelineEntry>* out) override {
    last_now_ = now_ns;
    if (held_ && (force || now_ns - since_ns_ >= max_wait_ns_)) Emit(out);
  }

  std::optional<uint64_t> PendingStart() const override {
    if (!held_) return std::nullopt;
    return held_->start_offset;
  }

  const char* name() const override { return "multiline"; }

 private:
  void Emit(std::vector<PipelineEntry>* out) {
    out->push_back(std::move(*held_));
    held_.reset();
    lines_ = 0;
  }

  std::unique_ptr<re2::RE2> re_;
  int64_t max_wait_ns_;
  int64_t max_lines_;
  std::unique_ptr<PipelineEntry> held_;
  int64_t lines_ = 0;
  int64_t since_ns_ = 0;
  int64_t last_now_ = 0;
};

}  // namespace

StageResult NewMultilineStage(YamlMap* cfg) {
  SKALD_RETURN_IF_ERROR(cfg->CheckIsMap());
  std::string firstline;
  int64_t max_wait_ns = 3'000'000'000, max_lines = 128;
  SKALD_RETURN_IF_ERROR(cfg->GetString("firstline", &firstline));
  SKALD_RETURN_IF_ERROR(cfg->GetDuration("max_wait_time", &max_wait_ns));
  SKALD_RETURN_IF_ERROR(cfg->GetInt("max_lines", &max_lines));
  SKALD_RETURN_IF_ERROR(cfg->CheckNoUnknownKeys());
  if (firstline.empty()) return cfg->Error("firstline", "multiline stage requires firstline");
  if (max_lines <= 0) return cfg->Error("max_lines", "must be positive");
  re2::RE2::Options o;
  o.set_log_errors(false);
  auto re = std::make_unique<re2::RE2>(firstline, o);
  if (!re->ok()) return cfg->Error("firstline", "invalid regex: " + re->error());
  return std::unique_ptr<Stage>(std::make_unique<MultilineStage>(std::move(re), max_wait_ns, max_lines));
}

}  // namespace skald::agent::pipeline
