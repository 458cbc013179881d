#include "common/otlp_codec.h"

#include <google/protobuf/arena.h>
#include <google/protobuf/stubs/strutil.h>
#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>
#include <unordered_map>
#include <utility>

#include "common/json_writer.h"
#include "common/labels.h"
#include "common/push_codec.h"
#include "otlp_logs_service.pb.h"

namespace skald::common {
namespace {

namespace pb_common = opentelemetry::proto::common::v1;
namespace pb_logs = opentelemetry::proto::logs::v1;
namespace pb_collector = opentelemetry::proto::collector::logs::v1;

constexpr std::string_view kServiceNameAttribute = "service.name";
constexpr std::string_view kUnknownService = "unknown_service";
// OTLP trace and span ids are exactly this many bytes when set.
constexpr size_t kTraceIdBytes = 16;
constexpr size_t kSpanIdBytes = 8;

// ---- AnyValue -> text (pdata's Value.AsString) ----

// Go's ES6-style float formatting used by pdata and encoding/json: shortest
// 'f' form, or 'e' form (exponent without leading zero) for very small or
// large magnitudes.
std::string FloatAsString(double f) {
  if (std::isnan(f)) return "json: unsupported value: NaN";
  if (std::isinf(f))
    return f > 0 ? "json: unsupported value: +Inf" : "json: unsupported value: -Inf";
  const double abs = std::fabs(f);
  if (abs == 0 || (abs >= 1e-6 && abs < 1e21)) return FormatFloatGo(f);
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), f, std::chars_format::scientific);
  std::string s(buf, end);
  const size_t n = s.size();
  if (n >= 4 && s[n - 4] == 'e' && s[n - 3] == '-' && s[n - 2] == '0') s.erase(n - 2, 1);
  return s;
}

std::string Base64(const std::string& bytes) {
  std::string out;
  google::protobuf::Base64Escape(reinterpret_cast<const unsigned char*>(bytes.data()),
                                 static_cast<int>(bytes.size()), &out, /*do_padding=*/true);
  return out;
}

void WriteJson(JsonWriter* w, const pb_common::AnyValue& v);

// A kvlist as a JSON object with sorted keys (Go marshals maps sorted); the
// last of duplicate keys wins, as in a Go map.
void WriteJsonMap(JsonWriter* w, const pb_common::KeyValueList& kvs) {
  std::vector<const pb_common::KeyValue*> sorted;
  for (const pb_common::KeyValue& kv : kvs.values()) sorted.push_back(&kv);
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const auto* a, const auto* b) { return a->key() < b->key(); });
  w->BeginObject();
  for (size_t i = 0; i < sorted.size(); ++i) {
    if (i + 1 < sorted.size() && sorted[i + 1]->key() == sorted[i]->key()) continue;
    w->Key(sorted[i]->key());
    WriteJson(w, sorted[i]->value());
  }
  w->EndObject();
}

void WriteJson(JsonWriter* w, const pb_common::AnyValue& v) {
  switch (v.value_case()) {
    case pb_common::AnyValue::kStringValue:
      w->String(v.string_value());
      break;
    case pb_common::AnyValue::kBoolValue:
      w->Bool(v.bool_value());
      break;
    case pb_common::AnyValue::kIntValue:
      w->Int(v.int_value());
      break;
    case pb_common::AnyValue::kDoubleValue:
      if (std::isfinite(v.double_value())) {
        w->Raw(FloatAsString(v.double_value()));
      } else {
        w->Null();
      }
      break;
    case pb_common::AnyValue::kBytesValue:
      w->String(Base64(v.bytes_value()));
      break;
    case pb_common::AnyValue::kArrayValue:
      w->BeginArray();
      for (const pb_common::AnyValue& e : v.array_value().values()) WriteJson(w, e);
      w->EndArray();
      break;
    case pb_common::AnyValue::kKvlistValue:
      WriteJsonMap(w, v.kvlist_value());
      break;
    case pb_common::AnyValue::VALUE_NOT_SET:
      w->Null();
      break;
  }
}

std::string AsString(const pb_common::AnyValue& v) {
  switch (v.value_case()) {
    case pb_common::AnyValue::kStringValue:
      return v.string_value();
    case pb_common::AnyValue::kBoolValue:
      return v.bool_value() ? "true" : "false";
    case pb_common::AnyValue::kIntValue:
      return std::to_string(v.int_value());
    case pb_common::AnyValue::kDoubleValue:
      return FloatAsString(v.double_value());
    case pb_common::AnyValue::kBytesValue:
      return Base64(v.bytes_value());
    case pb_common::AnyValue::kArrayValue:
    case pb_common::AnyValue::kKvlistValue: {
      std::string out;
      JsonWriter w(&out);
      WriteJson(&w, v);
      return out;
    }
    case pb_common::AnyValue::VALUE_NOT_SET:
      return {};
  }
  return {};
}

// ---- attributes -> labels ----

// Loki's attributeToLabels: maps are flattened with `parent_child` names.
void AppendAttribute(const std::string& key, const pb_common::AnyValue& v, std::string_view prefix,
                     std::vector<Label>* out) {
  std::string name = prefix.empty() ? key : std::string(prefix) + "_" + key;
  name = NormalizeOtlpLabelName(name);
  if (v.value_case() == pb_common::AnyValue::kKvlistValue) {
    for (const pb_common::KeyValue& kv : v.kvlist_value().values()) {
      AppendAttribute(kv.key(), kv.value(), name, out);
    }
    return;
  }
  out->push_back(Label{std::move(name), AsString(v)});
}

std::string LowerHex(const std::string& bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out += kDigits[c >> 4];
    out += kDigits[c & 0xf];
  }
  return out;
}

// The resource's stream label string and its structured-metadata attributes.
struct ResourceMapping {
  std::string labels;
  std::vector<Label> metadata;
};

ResourceMapping MapResource(const pb_logs::ResourceLogs& rl, const OtlpOptions& options) {
  ResourceMapping m;
  std::vector<Label> index;
  bool has_service = false;
  for (const pb_common::KeyValue& kv : rl.resource().attributes()) {
    if (kv.key() == kServiceNameAttribute && !AsString(kv.value()).empty()) has_service = true;
  }
  auto map_one = [&](const std::string& key, const pb_common::AnyValue& value) {
    if (key == kServiceNameAttribute && !has_service) return;  // replaced below
    const auto& idx = options.index_label_attributes;
    const bool is_index = std::find(idx.begin(), idx.end(), key) != idx.end();
    AppendAttribute(key, value, "", is_index ? &index : &m.metadata);
  };
  for (const pb_common::KeyValue& kv : rl.resource().attributes()) map_one(kv.key(), kv.value());
  if (!has_service) {
    pb_common::AnyValue unknown;
    unknown.set_string_value(std::string(kUnknownService));
    has_service = true;
    map_one(std::string(kServiceNameAttribute), unknown);
  }
  // A label set is a map: the last duplicate name wins.
  std::vector<Label> dedup;
  for (auto it = index.rbegin(); it != index.rend(); ++it) {
    const bool seen =
        std::any_of(dedup.begin(), dedup.end(), [&](const Label& l) { return l.name == it->name; });
    if (!seen) dedup.push_back(*it);
  }
  m.labels = Labels(std::move(dedup)).ToString();
  return m;
}

std::vector<Label> MapScope(const pb_common::InstrumentationScope& scope) {
  std::vector<Label> md;
  for (const pb_common::KeyValue& kv : scope.attributes())
    AppendAttribute(kv.key(), kv.value(), "", &md);
  if (!scope.name().empty()) md.push_back(Label{"scope_name", scope.name()});
  if (!scope.version().empty()) md.push_back(Label{"scope_version", scope.version()});
  if (scope.dropped_attributes_count() != 0) {
    md.push_back(
        Label{"scope_dropped_attributes_count", std::to_string(scope.dropped_attributes_count())});
  }
  return md;
}

Entry MapRecord(pb_logs::LogRecord* rec, int64_t now_ns) {
  Entry e;
  for (const pb_common::KeyValue& kv : rec->attributes())
    AppendAttribute(kv.key(), kv.value(), "", &e.metadata);
  const auto time = static_cast<int64_t>(rec->time_unix_nano());
  const auto observed = static_cast<int64_t>(rec->observed_time_unix_nano());
  if (time != 0 && observed != 0)
    e.metadata.push_back(Label{"observed_timestamp", std::to_string(observed)});
  if (rec->severity_number() != 0) {
    e.metadata.push_back(Label{"severity_number", std::to_string(rec->severity_number())});
  }
  if (!rec->severity_text().empty())
    e.metadata.push_back(Label{"severity_text", rec->severity_text()});
  if (rec->dropped_attributes_count() != 0) {
    e.metadata.push_back(
        Label{"dropped_attributes_count", std::to_string(rec->dropped_attributes_count())});
  }
  if (rec->flags() != 0) e.metadata.push_back(Label{"flags", std::to_string(rec->flags())});
  if (!rec->trace_id().empty()) e.metadata.push_back(Label{"trace_id", LowerHex(rec->trace_id())});
  if (!rec->span_id().empty()) e.metadata.push_back(Label{"span_id", LowerHex(rec->span_id())});
  if (!rec->event_name().empty()) e.metadata.push_back(Label{"event_name", rec->event_name()});
  e.timestamp_ns = time != 0 ? time : observed != 0 ? observed : now_ns;
  if (rec->body().value_case() == pb_common::AnyValue::kStringValue) {
    e.line = std::move(*rec->mutable_body()->mutable_string_value());
  } else {
    e.line = AsString(rec->body());
  }
  return e;
}

PushRequest MapRequest(pb_collector::ExportLogsServiceRequest* req, const OtlpOptions& options) {
  const Clock* clock = options.clock != nullptr ? options.clock : Clock::Real();
  const int64_t now_ns = clock->NowNanos();
  PushRequest out;
  std::unordered_map<std::string, size_t> stream_index;
  for (pb_logs::ResourceLogs& rl : *req->mutable_resource_logs()) {
    ResourceMapping res = MapResource(rl, options);
    auto [it, inserted] = stream_index.try_emplace(res.labels, out.streams.size());
    if (inserted) out.streams.push_back(PushStream{res.labels, {}});
    for (pb_logs::ScopeLogs& sl : *rl.mutable_scope_logs()) {
      const std::vector<Label> scope_md = MapScope(sl.scope());
      for (pb_logs::LogRecord& rec : *sl.mutable_log_records()) {
        Entry e = MapRecord(&rec, now_ns);
        e.metadata.insert(e.metadata.end(), res.metadata.begin(), res.metadata.end());
        e.metadata.insert(e.metadata.end(), scope_md.begin(), scope_md.end());
        out.streams[it->second].entries.push_back(std::move(e));
      }
    }
  }
  return out;
}

// ---- OTLP/JSON ids ----

// OTLP/JSON writes trace/span ids as hex, while protobuf's JSON mapping reads
// `bytes` as base64. Hex digits are base64 characters, so the parser turned
// the hex text into base64-decoded bytes; re-encoding them gives the text
// back, which is then decoded as hex. Fails unless it is `want` bytes of hex.
Status FixJsonId(std::string* id, size_t want, const char* field) {
  if (id->empty()) return Status::OK();
  std::string text;
  google::protobuf::Base64Escape(reinterpret_cast<const unsigned char*>(id->data()),
                                 static_cast<int>(id->size()), &text, /*do_padding=*/false);
  std::string bytes;
  bool ok = text.size() == want * 2;
  for (size_t i = 0; ok && i < text.size(); i += 2) {
    int v = 0;
    auto [p, ec] = std::from_chars(text.data() + i, text.data() + i + 2, v, 16);
    ok = ec == std::errc() && p == text.data() + i + 2;
    bytes += static_cast<char>(v);
  }
  if (!ok) {
    return Status::InvalidArgument(std::string("OTLP JSON: ") + field + " must be " +
                                   std::to_string(want * 2) + " hex characters");
  }
  *id = std::move(bytes);
  return Status::OK();
}

Status FixJsonIds(pb_collector::ExportLogsServiceRequest* req) {
  for (pb_logs::ResourceLogs& rl : *req->mutable_resource_logs()) {
    for (pb_logs::ScopeLogs& sl : *rl.mutable_scope_logs()) {
      for (pb_logs::LogRecord& rec : *sl.mutable_log_records()) {
        SKALD_RETURN_IF_ERROR(FixJsonId(rec.mutable_trace_id(), kTraceIdBytes, "traceId"));
        SKALD_RETURN_IF_ERROR(FixJsonId(rec.mutable_span_id(), kSpanIdBytes, "spanId"));
      }
    }
  }
  return Status::OK();
}

Status ParseOtlp(std::string_view media, std::string_view payload,
                 pb_collector::ExportLogsServiceRequest* req) {
  if (media == "application/x-protobuf") {
    if (payload.size() > static_cast<size_t>(std::numeric_limits<int>::max()) ||
        !req->ParseFromArray(payload.data(), static_cast<int>(payload.size()))) {
      return Status::InvalidArgument(
          "OTLP: cannot parse ExportLogsServiceRequest: malformed protobuf");
    }
    return Status::OK();
  }
  google::protobuf::util::JsonParseOptions opts;
  opts.ignore_unknown_fields = true;
  auto st = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(payload.data(), payload.size()), req, opts);
  if (!st.ok()) {
    return Status::InvalidArgument("OTLP JSON: cannot parse ExportLogsServiceRequest: " +
                                   std::string(st.message()));
  }
  return FixJsonIds(req);
}

}  // namespace

const std::vector<std::string>& DefaultOtlpIndexLabelAttributes() {
  static const std::vector<std::string> kDefault = {"service.name",
                                                    "service.namespace",
                                                    "service.instance.id",
                                                    "deployment.environment",
                                                    "deployment.environment.name",
                                                    "cloud.region",
                                                    "cloud.availability_zone",
                                                    "k8s.cluster.name",
                                                    "k8s.namespace.name",
                                                    "k8s.pod.name",
                                                    "k8s.container.name",
                                                    "container.name",
                                                    "k8s.replicaset.name",
                                                    "k8s.deployment.name",
                                                    "k8s.statefulset.name",
                                                    "k8s.daemonset.name",
                                                    "k8s.cronjob.name",
                                                    "k8s.job.name"};
  return kDefault;
}

std::string NormalizeOtlpLabelName(std::string_view name) {
  std::string out;
  out.reserve(name.size() + 4);
  for (size_t i = 0; i < name.size(); ++i) {
    const auto c = static_cast<unsigned char>(name[i]);
    if (std::isalnum(c)) {
      out += static_cast<char>(c);
    } else {
      out += '_';
      // One `_` per UTF-8 character, as Go maps rune by rune.
      if (c >= 0xc0) {
        while (i + 1 < name.size() && (static_cast<unsigned char>(name[i + 1]) & 0xc0) == 0x80) ++i;
      }
    }
  }
  if (out.empty()) return out;
  if (std::isdigit(static_cast<unsigned char>(out[0]))) return "key_" + out;
  if (out[0] == '_' && (out.size() < 2 || out[1] != '_')) return "key" + out;
  return out;
}

Result<PushRequest> DecodeOtlpLogs(std::string_view content_type, std::string_view content_encoding,
                                   std::string_view body, const OtlpOptions& options) {
  if (!content_encoding.empty() && content_encoding != "gzip" && content_encoding != "zstd") {
    return Status::InvalidArgument("unsupported content encoding " + std::string(content_encoding) +
                                   ": only gzip and zstd are supported");
  }
  auto media = ParseMediaType(content_type);
  if (!media.ok() || (*media != "application/x-protobuf" && *media != "application/json")) {
    return Status::InvalidArgument("content type: " + std::string(content_type) +
                                   " is not supported");
  }
  std::string decoded;
  std::string_view payload = body;
  if (!content_encoding.empty()) {
    auto d = DecodeContentEncoding(content_encoding, body, options.max_decompressed_bytes);
    if (!d.ok()) return d.status();
    decoded = std::move(d).value();
    payload = decoded;
  } else if (body.size() > options.max_decompressed_bytes) {
    return Status::TooLarge("request body too large: decompressed size exceeds " +
                            std::to_string(options.max_decompressed_bytes) + " bytes");
  }
  google::protobuf::Arena arena;
  auto* req =
      google::protobuf::Arena::CreateMessage<pb_collector::ExportLogsServiceRequest>(&arena);
  SKALD_RETURN_IF_ERROR(ParseOtlp(*media, payload, req));
  return MapRequest(req, options);
}

}  // namespace skald::common
