// TenantLimits: every Loki `limits_config` key Skald supports, with Loki 3.x
// defaults (overridable per tenant through runtime_config). Sizes are stored
// in bytes and durations in nanoseconds; YAML names are the field names.
// Sizes parse like Loki's flagext.ByteSize (go-humanize: "256KB" = 256000,
// "1MiB" = 1048576); durations like Prometheus model.Duration ("7d", "1m").
//
// A plain value type: copy freely, read from any thread.
#pragma once

#include <cstdint>

namespace skald::common {

inline constexpr int64_t kLimitSecond = 1'000'000'000;
inline constexpr int64_t kLimitMinute = 60 * kLimitSecond;
inline constexpr int64_t kLimitHour = 60 * kLimitMinute;
inline constexpr int64_t kLimitDay = 24 * kLimitHour;

struct TenantLimits {
  // Per-tenant ingestion rate in MB/s (local strategy); above it pushes get 429.
  double ingestion_rate_mb = 4;
  // Per-tenant burst size in MB.
  double ingestion_burst_size_mb = 6;
  // Per-stream rate in bytes/s ("3MB"); above it pushes get 429.
  int64_t per_stream_rate_limit = 3 << 20;
  // Per-stream burst in bytes ("15MB").
  int64_t per_stream_rate_limit_burst = 15 << 20;
  // Max active streams per tenant (global, = local in a single binary); 0 = off.
  int64_t max_global_streams_per_user = 5000;
  // Max active streams per tenant in one ingester; 0 = off.
  int64_t max_streams_per_user = 0;
  // Max label names per stream; more -> 400.
  int64_t max_label_names_per_series = 15;
  // Max label name length in bytes; longer -> 400.
  int64_t max_label_name_length = 1024;
  // Max label value length in bytes; longer -> 400.
  int64_t max_label_value_length = 2048;
  // Max line size in bytes ("256KB"); 0 = off. Longer -> 400 or truncated.
  int64_t max_line_size = 256 << 10;
  // Truncate lines over max_line_size instead of rejecting them.
  bool max_line_size_truncate = false;
  // Reject entries older than reject_old_samples_max_age.
  bool reject_old_samples = true;
  // Oldest accepted entry age (Loki 3.x: 1w).
  int64_t reject_old_samples_max_age = 7 * kLimitDay;
  // How far in the future an entry may be.
  int64_t creation_grace_period = 10 * kLimitMinute;
  // Accept structured metadata on entries.
  bool allow_structured_metadata = true;
  // Max structured metadata bytes per entry ("64KB").
  int64_t max_structured_metadata_size = 64 << 10;
  // Max structured metadata pairs per entry.
  int64_t max_structured_metadata_entries_count = 128;
  // Add a service_name label when missing (Loki default on; Skald keeps users'
  // labels untouched by default, see DESIGN "Compatibility decisions").
  bool discover_service_name = false;
  // Add detected_level structured metadata.
  bool discover_log_levels = false;
  // Max `limit` of a log query; larger -> 400.
  int64_t max_entries_limit_per_query = 5000;
  // Max series a metric query may return; more -> 400.
  int64_t max_query_series = 500;
  // Max query time range (721h); longer -> 400. 0 = off.
  int64_t max_query_length = 721 * kLimitHour;
  // Max `[range]` in a query; 0 = off.
  int64_t max_query_range = 0;
  // Query deadline; exceeded -> 504.
  int64_t query_timeout = kLimitMinute;
  // Max concurrent live tail connections per tenant.
  int64_t max_concurrent_tail_requests = 10;
  // Delete data older than this (needs compactor.retention_enabled); 0 = keep forever.
  int64_t retention_period = 0;
  // Serve /index/volume and /index/volume_range.
  bool volume_enabled = true;
  // Store same-timestamp entries with +1ns increments instead of as given.
  bool increment_duplicate_timestamp = false;
};

}  // namespace skald::common
