// Promtail's counters for lines a pipeline stage drops, recorded in
// CustomMetrics::Default() so the agent's /metrics exposes them:
//   logentry_dropped_lines_total{reason}  — drop stage (default reason
//     "drop_stage"), match stage with action drop ("match_stage"), limit
//     stage with drop: true ("ratelimit_drop_stage"); drop_counter_reason
//     overrides the reason of drop and match.
//   logentry_dropped_lines_by_label_total{label_name,label_value} — limit
//     stage with by_label_name, in addition to the above.
// Lines dropped by the client (push failures) are counted separately, as
// promtail_dropped_entries_total{host,tenant,reason}, by agent/client.
//
// Concurrency: thread-safe (CustomMetrics has one mutex).
#pragma once

#include <string>

namespace skald::agent::pipeline {

inline constexpr char kDroppedLinesMetric[] = "logentry_dropped_lines_total";
inline constexpr char kDroppedLinesByLabelMetric[] = "logentry_dropped_lines_by_label_total";
// Promtail's default reasons.
inline constexpr char kDropStageReason[] = "drop_stage";
inline constexpr char kMatchStageReason[] = "match_stage";
inline constexpr char kRateLimitDropReason[] = "ratelimit_drop_stage";

// Adds one line to logentry_dropped_lines_total{reason}.
void CountDroppedLine(const std::string& reason);
// Adds one line to logentry_dropped_lines_by_label_total{label_name,label_value}.
void CountDroppedLineByLabel(const std::string& label_name, const std::string& label_value);

}  // namespace skald::agent::pipeline
