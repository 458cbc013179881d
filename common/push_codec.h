// Push codec: Loki push bodies <-> PushRequest.
//
// Wire formats (CONTRACT §1.3, §2.1, §2.5, §2.6):
//   - protobuf: snappy *block* format around a logproto.PushRequest;
//   - v1 JSON:  {"streams":[{"stream":{..},"values":[["<ns>","line",{md}]]}]};
//   - legacy JSON (/api/prom/push): {"streams":[{"labels":"{..}",
//     "entries":[{"ts":"<RFC3339Nano>","line":".."}]}]};
// plus the HTTP dispatch on Content-Type / Content-Encoding that Loki's push
// handler does. Decoders validate the wire only (types, timestamps); label
// syntax and limits are the distributor's job.
//
// Every function is stateless from the caller's view and safe to call from
// any thread concurrently (decoders keep per-thread scratch buffers).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "common/compression.h"
#include "common/entry.h"
#include "common/push_view.h"
#include "common/status.h"

namespace skald::common {

// Protobuf timestamps outside Go's time range [0001-01-01, 10000-01-01) are
// rejected; inside it, values beyond int64 nanoseconds (before 1677 or after
// 2262) are clamped to INT64_MIN / INT64_MAX so validation reports them as
// too old / too new, as Loki does with the equivalent time.Time.
constexpr int64_t kMinProtoTimestampSeconds = -62135596800;  // 0001-01-01T00:00:00Z
constexpr int64_t kMaxProtoTimestampSeconds = 253402300800;  // 10000-01-01T00:00:00Z (exclusive)

// Decodes a snappy-compressed protobuf PushRequest (the body after any
// Content-Encoding was removed) into views over the decompressed bytes,
// which the result owns (a per-thread recycled PushBuffer): no allocation
// or copy per line, label string or metadata pair. Accepts exactly the
// messages protobuf's generated parser accepts.
// Failure: InvalidArgument for bad snappy (`snappy: corrupt input`), malformed
// protobuf, or a timestamp out of range; TooLarge when the snappy header
// announces more than `max_decompressed_bytes`.
Result<PushRequestView> DecodePushProtobufView(
    std::string_view snappy_body, size_t max_decompressed_bytes = kDefaultMaxDecompressedBytes);

// DecodePushProtobufView, copied into owned entries (the agent's tests).
Result<PushRequest> DecodePushProtobuf(
    std::string_view snappy_body, size_t max_decompressed_bytes = kDefaultMaxDecompressedBytes);

// Serializes `req` as snappy(protobuf); the agent's push body. Labels strings
// are sent as given; timestamps as google.protobuf.Timestamp.
std::string EncodePushProtobuf(const PushRequest& req);

// Decodes a v1 JSON push body. Timestamps must be JSON strings holding a
// base-10 int64 of Unix ns; the optional 3rd value element must be an object
// of string values (-> metadata, in document order); 4+ elements are
// rejected; `values: null` and null elements are skipped. The stream object
// becomes a label string `{a="1", b="2"}` (sorted, Go-quoted).
// Failure: InvalidArgument naming the offending element.
Result<PushRequest> DecodePushJson(std::string_view body);

// Decodes a legacy (/api/prom/push) JSON body: `labels` string, `entries`
// with RFC3339Nano `ts` and `line` (keys matched case-insensitively, as Go's
// encoding/json does). Failure: InvalidArgument.
Result<PushRequest> DecodeLegacyPushJson(std::string_view body);

// Writes `req` as a v1 JSON push body. Stream labels are parsed to build the
// `stream` object; a stream whose labels do not parse is written with an
// empty `stream` object (the server then rejects it as missing labels).
std::string EncodePushJson(const PushRequest& req);

// Go's mime.ParseMediaType, media type only: lower-cased `type/subtype`
// with parameters validated and dropped.
// Failure: InvalidArgument with Go's text (`mime: no media type`,
// `mime: expected slash after first token`, `mime: invalid media parameter`, ...).
Result<std::string> ParseMediaType(std::string_view content_type);

// What DecodePushBody needs from the HTTP request.
struct PushBodyInfo {
  // Content-Type header as sent (may be empty: that is an error, as in Loki).
  std::string_view content_type;
  // Content-Encoding header as sent: "", "snappy", "gzip" or "deflate".
  std::string_view content_encoding;
  // True when the request URI contains /loki/api/v1 (v1 JSON); false for
  // /api/prom/push (legacy JSON).
  bool v1_path = true;
  // Cap on the body after Content-Encoding and snappy; beyond it: TooLarge.
  size_t max_decompressed_bytes = kDefaultMaxDecompressedBytes;
};

// Loki's push handler decode step: removes the Content-Encoding, then
// `application/json` -> (legacy) JSON, any other media type -> snappy
// protobuf. Failure: InvalidArgument (`Content-Encoding "<x>" not supported`,
// `mime: no media type`, decode errors) or TooLarge.
Result<PushRequest> DecodePushBody(const PushBodyInfo& info, std::string_view body);
// The same, as views: protobuf bodies through DecodePushProtobufView, JSON
// bodies decoded owned and taken over (PushRequestView::Own).
Result<PushRequestView> DecodePushBodyView(const PushBodyInfo& info, std::string_view body);

}  // namespace skald::common
