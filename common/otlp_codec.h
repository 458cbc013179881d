// OTLP codec: OTLP/HTTP logs (ExportLogsServiceRequest, protobuf or
// OTLP/JSON) -> PushRequest with Loki's mapping (CONTRACT §1.3
// `POST /otlp/v1/logs`):
//   - resource attributes named in OtlpOptions::index_label_attributes become
//     stream labels after name normalisation (`k8s.pod.name` ->
//     `k8s_pod_name`); a missing/empty `service.name` is set to
//     `unknown_service` first, so every stream has `service_name`;
//   - all other resource, scope and log attributes become structured
//     metadata (map values are flattened to `parent_child` names);
//   - body -> line (strings as is, other values as their string/JSON form);
//   - timestamp = time_unix_nano, else observed_time_unix_nano, else now;
//   - extra metadata: observed_timestamp, severity_number, severity_text,
//     dropped_attributes_count, flags, trace_id, span_id (lower-hex),
//     event_name, scope_name, scope_version, scope_dropped_attributes_count
//     (each only when set / non-zero).
// Entries are grouped into one stream per distinct label set, streams in
// first-seen order.
//
// Stateless functions; safe to call from any thread. OtlpOptions must
// outlive the call (its clock is borrowed).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/compression.h"
#include "common/entry.h"
#include "common/status.h"

namespace skald::common {

// Loki's default list of resource attributes that become index labels.
const std::vector<std::string>& DefaultOtlpIndexLabelAttributes();

struct OtlpOptions {
  // Resource attribute names (OTel spelling, with dots) that become stream
  // labels; every other attribute becomes structured metadata.
  std::vector<std::string> index_label_attributes = DefaultOtlpIndexLabelAttributes();
  // Cap on the body after Content-Encoding; beyond it: TooLarge.
  size_t max_decompressed_bytes = kDefaultMaxDecompressedBytes;
  // Supplies "now" for records without any timestamp; nullptr = Clock::Real().
  const Clock* clock = nullptr;
};

// Decodes an OTLP logs body. `content_type` is the Content-Type header
// (`application/x-protobuf` or `application/json`, parameters allowed);
// `content_encoding` is "", "gzip" or "zstd".
// Failure: InvalidArgument `content type: <ct> is not supported`,
// `unsupported content encoding <x>: only gzip and zstd are supported`, or a
// decode error (malformed protobuf/JSON, bad trace_id/span_id hex);
// TooLarge when the decompressed body passes the cap.
Result<PushRequest> DecodeOtlpLogs(std::string_view content_type, std::string_view content_encoding,
                                   std::string_view body, const OtlpOptions& options);

// The OTel -> Prometheus label namer Loki uses: every character other than
// an ASCII letter or digit becomes `_`; a leading digit gets a `key_`
// prefix and a single leading `_` a `key` prefix. "" stays "".
std::string NormalizeOtlpLabelName(std::string_view name);

}  // namespace skald::common
