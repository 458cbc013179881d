// Process metrics read from /proc at exposition time, with the names the
// Prometheus Go client uses: process_cpu_seconds_total,
// process_resident_memory_bytes, process_virtual_memory_bytes,
// process_open_fds, process_max_fds, process_start_time_seconds.
//
// Concurrency: registration once at start; the callbacks are thread-safe.
#pragma once

#include "common/metrics.h"

namespace skald::common {

// Registers the process_* callbacks in `registry`. Values that cannot be
// read (non-Linux, /proc missing) are exposed as 0.
void RegisterProcessMetrics(MetricsRegistry* registry);

}  // namespace skald::common
