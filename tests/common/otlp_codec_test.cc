#include "common/otlp_codec.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <functional>
#include <string>

#include "common/compression.h"
#include "otlp_logs_service.pb.h"

using namespace skald::common;  // NOLINT: test brevity
namespace pbc = opentelemetry::proto::common::v1;
namespace pbl = opentelemetry::proto::logs::v1;
using opentelemetry::proto::collector::logs::v1::ExportLogsServiceRequest;

namespace {

constexpr int64_t kNow = 1'800'000'000'000'000'000;

void PutStr(google::protobuf::RepeatedPtrField<pbc::KeyValue>* attrs, const std::string& k,
            const std::string& v) {
  auto* kv = attrs->Add();
  kv->set_key(k);
  kv->mutable_value()->set_string_value(v);
}

// One resource (service.name=checkout, k8s.pod.name=pod-1, host.name=h1), one
// scope (name/version/attribute), one record with everything set.
ExportLogsServiceRequest HandBuiltRequest() {
  ExportLogsServiceRequest req;
  auto* rl = req.add_resource_logs();
  PutStr(rl->mutable_resource()->mutable_attributes(), "service.name", "checkout");
  PutStr(rl->mutable_resource()->mutable_attributes(), "k8s.pod.name", "pod-1");
  PutStr(rl->mutable_resource()->mutable_attributes(), "host.name", "h1");
  auto* sl = rl->add_scope_logs();
  sl->mutable_scope()->set_name("my.lib");
  sl->mutable_scope()->set_version("1.2.3");
  PutStr(sl->mutable_scope()->mutable_attributes(), "scope.attr", "s");
  auto* rec = sl->add_log_records();
  rec->set_time_unix_nano(1'700'000'000'000'000'001);
  rec->set_observed_time_unix_nano(1'700'000'000'000'000'002);
  rec->set_severity_number(pbl::SEVERITY_NUMBER_WARN);
  rec->set_severity_text("WARN");
  rec->mutable_body()->set_string_value("disk almost full");
  PutStr(rec->mutable_attributes(), "http.method", "GET");
  auto* count = rec->mutable_attributes()->Add();
  count->set_key("retry-count");
  count->mutable_value()->set_int_value(3);
  auto* nested = rec->mutable_attributes()->Add();
  nested->set_key("user");
  PutStr(nested->mutable_value()->mutable_kvlist_value()->mutable_values(), "id", "u1");
  rec->set_dropped_attributes_count(2);
  rec->set_flags(1);
  rec->set_trace_id(
      std::string("\x5b\x8e\xff\xf7\x98\x03\x81\x03\xd2\x69\xb6\x33\x81\x3f\xc6\x0c", 16));
  rec->set_span_id(std::string("\xee\xe1\x9b\x7e\xc3\xc1\xb1\x74", 8));
  return req;
}

const std::vector<Label> kHandBuiltMetadata = {
    {"http_method", "GET"},
    {"retry_count", "3"},
    {"user_id", "u1"},
    {"observed_timestamp", "1700000000000000002"},
    {"severity_number", "13"},
    {"severity_text", "WARN"},
    {"dropped_attributes_count", "2"},
    {"flags", "1"},
    {"trace_id", "5b8efff798038103d269b633813fc60c"},
    {"span_id", "eee19b7ec3c1b174"},
    {"host_name", "h1"},
    {"scope_attr", "s"},
    {"scope_name", "my.lib"},
    {"scope_version", "1.2.3"},
};

// The same request as OTLP/JSON (hex ids, camelCase, string int64s).
const char* kHandBuiltJson = R"({"resourceLogs":[{
  "resource":{"attributes":[
    {"key":"service.name","value":{"stringValue":"checkout"}},
    {"key":"k8s.pod.name","value":{"stringValue":"pod-1"}},
    {"key":"host.name","value":{"stringValue":"h1"}}]},
  "scopeLogs":[{
    "scope":{"name":"my.lib","version":"1.2.3","attributes":[{"key":"scope.attr","value":{"stringValue":"s"}}]},
    "logRecords":[{
      "timeUnixNano":"1700000000000000001","observedTimeUnixNano":"1700000000000000002",
      "severityNumber":13,"severityText":"WARN",
      "body":{"stringValue":"disk almost full"},
      "attributes":[{"key":"http.method","value":{"stringValue":"GET"}},
                    {"key":"retry-count","value":{"intValue":"3"}},
                    {"key":"user","value":{"kvlistValue":{"values":[{"key":"id","value":{"stringValue":"u1"}}]}}}],
      "droppedAttributesCount":2,"flags":1,
      "traceId":"5B8EFFF798038103D269B633813FC60C","spanId":"eee19b7ec3c1b174",
      "unknownField":true}]}]}]})";

Result<PushRequest> Decode(const std::string& ct, const std::string& enc, const std::string& body) {
  static FakeClock clock(kNow);
  OtlpOptions opts;
  opts.clock = &clock;
  return DecodeOtlpLogs(ct, enc, body, opts);
}

Result<PushRequest> DecodeProto(const ExportLogsServiceRequest& req) {
  return Decode("application/x-protobuf", "", req.SerializeAsString());
}

void CheckHandBuilt(const Result<PushRequest>& got) {
  REQUIRE_MESSAGE(got.ok(), got.status().message());
  REQUIRE(got->streams.size() == 1);
  CHECK(got->streams[0].labels == R"({k8s_pod_name="pod-1", service_name="checkout"})");
  REQUIRE(got->streams[0].entries.size() == 1);
  const Entry& e = got->streams[0].entries[0];
  CHECK(e.timestamp_ns == 1'700'000'000'000'000'001);
  CHECK(e.line == "disk almost full");
  CHECK(e.metadata == kHandBuiltMetadata);
}

struct Encoding {
  const char* name;
  std::string (*encode)(std::string_view);
};
const Encoding kEncodings[] = {
    {"", [](std::string_view b) { return std::string(b); }},
    {"gzip", [](std::string_view b) { return GzipCompress(b); }},
    {"zstd", [](std::string_view b) { return ZstdCompress(b); }},
};

}  // namespace

TEST_CASE("otlp protobuf maps resource, scope and record fields like Loki") {
  CheckHandBuilt(DecodeProto(HandBuiltRequest()));
}

TEST_CASE("otlp JSON maps the same request, reading hex trace and span ids") {
  CheckHandBuilt(Decode("application/json", "", kHandBuiltJson));
}

TEST_CASE("otlp decodes protobuf and JSON under every supported encoding") {
  const std::string pb = HandBuiltRequest().SerializeAsString();
  for (const Encoding& enc : kEncodings) {
    CheckHandBuilt(Decode("application/x-protobuf", enc.name, enc.encode(pb)));
    CheckHandBuilt(Decode("application/json; charset=utf-8", enc.name, enc.encode(kHandBuiltJson)));
  }
}

TEST_CASE("otlp sets service_name to unknown_service when service.name is missing or empty") {
  for (const char* value : {static_cast<const char*>(nullptr), ""}) {
    ExportLogsServiceRequest req;
    auto* rl = req.add_resource_logs();
    PutStr(rl->mutable_resource()->mutable_attributes(), "k8s.namespace.name", "ns");
    if (value != nullptr)
      PutStr(rl->mutable_resource()->mutable_attributes(), "service.name", value);
    rl->add_scope_logs()->add_log_records()->mutable_body()->set_string_value("x");
    auto got = DecodeProto(req);
    REQUIRE(got.ok());
    CHECK(got->streams[0].labels == R"({k8s_namespace_name="ns", service_name="unknown_service"})");
    CHECK(got->streams[0].entries[0].metadata.empty());
  }
}

TEST_CASE("otlp timestamp falls back to observed time, then to the clock") {
  ExportLogsServiceRequest req;
  auto* sl = req.add_resource_logs()->add_scope_logs();
  sl->add_log_records()->set_observed_time_unix_nano(42);
  sl->add_log_records();
  auto got = DecodeProto(req);
  REQUIRE(got.ok());
  const auto& entries = got->streams[0].entries;
  REQUIRE(entries.size() == 2);
  CHECK(entries[0].timestamp_ns == 42);
  CHECK(entries[0].metadata.empty());  // observed_timestamp only when both are set
  CHECK(entries[1].timestamp_ns == kNow);
}

TEST_CASE("otlp body of each value type becomes its string form") {
  struct Case {
    std::function<void(pbc::AnyValue*)> set;
    std::string want;
  };
  const std::vector<Case> cases = {
      {[](pbc::AnyValue* v) { v->set_int_value(-7); }, "-7"},
      {[](pbc::AnyValue* v) { v->set_bool_value(true); }, "true"},
      {[](pbc::AnyValue* v) { v->set_double_value(1.5); }, "1.5"},
      {[](pbc::AnyValue* v) { v->set_double_value(1e21); }, "1e+21"},
      {[](pbc::AnyValue* v) { v->set_double_value(1e-7); }, "1e-7"},
      {[](pbc::AnyValue* v) { v->set_bytes_value("hi"); }, "aGk="},
      {[](pbc::AnyValue*) {}, ""},
      {[](pbc::AnyValue* v) {
         auto* kv = v->mutable_kvlist_value();
         PutStr(kv->mutable_values(), "z", "1");
         PutStr(kv->mutable_values(), "a", "<b>");
         auto* arr = kv->add_values();
         arr->set_key("m");
         arr->mutable_value()->mutable_array_value()->add_values()->set_int_value(1);
         arr->mutable_value()->mutable_array_value()->add_values()->set_bool_value(false);
       },
       R"({"a":"\u003cb\u003e","m":[1,false],"z":"1"})"},
  };
  for (const Case& c : cases) {
    ExportLogsServiceRequest req;
    auto* rec = req.add_resource_logs()->add_scope_logs()->add_log_records();
    c.set(rec->mutable_body());
    auto got = DecodeProto(req);
    REQUIRE(got.ok());
    CHECK(got->streams[0].entries[0].line == c.want);
  }
}

TEST_CASE("otlp groups records by label set across resources") {
  ExportLogsServiceRequest req;
  for (const char* svc : {"a", "b", "a"}) {
    auto* rl = req.add_resource_logs();
    PutStr(rl->mutable_resource()->mutable_attributes(), "service.name", svc);
    rl->add_scope_logs()->add_log_records()->mutable_body()->set_string_value(svc);
  }
  auto got = DecodeProto(req);
  REQUIRE(got.ok());
  REQUIRE(got->streams.size() == 2);
  CHECK(got->streams[0].labels == R"({service_name="a"})");
  CHECK(got->streams[0].entries.size() == 2);
  CHECK(got->streams[1].labels == R"({service_name="b"})");
}

TEST_CASE("otlp honours a custom index label list") {
  ExportLogsServiceRequest req = HandBuiltRequest();
  OtlpOptions opts;
  opts.index_label_attributes = {"host.name"};
  auto got = DecodeOtlpLogs("application/x-protobuf", "", req.SerializeAsString(), opts);
  REQUIRE(got.ok());
  CHECK(got->streams[0].labels == R"({host_name="h1"})");
  const auto& md = got->streams[0].entries[0].metadata;
  CHECK(std::find(md.begin(), md.end(), Label{"service_name", "checkout"}) != md.end());
  CHECK(std::find(md.begin(), md.end(), Label{"k8s_pod_name", "pod-1"}) != md.end());
}

TEST_CASE("otlp rejects unsupported content types with Loki's message") {
  for (const char* ct : {"text/plain", "", "application/x-www-form-urlencoded"}) {
    auto got = Decode(ct, "", "{}");
    REQUIRE_FALSE(got.ok());
    CHECK(got.status().code() == StatusCode::kInvalidArgument);
    CHECK(got.status().message() == std::string("content type: ") + ct + " is not supported");
  }
}

TEST_CASE("otlp rejects unsupported content encodings") {
  for (const char* enc : {"deflate", "snappy", "br"}) {
    auto got = Decode("application/json", enc, "{}");
    REQUIRE_FALSE(got.ok());
    CHECK(got.status().message().find("unsupported content encoding") == 0);
  }
}

TEST_CASE("otlp rejects malformed protobuf, JSON and ids") {
  CHECK_FALSE(Decode("application/x-protobuf", "", "\x0a\xff\xff\xff").ok());
  CHECK_FALSE(Decode("application/json", "", "{not json").ok());
  CHECK_FALSE(Decode("application/json", "", R"({"resourceLogs":5})").ok());
  for (const char* id :
       {"zz8efff798038103d269b633813fc60c", "5b8e", "5b8efff798038103d269b633813fc60c00"}) {
    std::string body =
        std::string(R"({"resourceLogs":[{"scopeLogs":[{"logRecords":[{"traceId":")") + id +
        R"("}]}]}]})";
    auto got = Decode("application/json", "", body);
    CHECK_MESSAGE(got.status().code() == StatusCode::kInvalidArgument, id);
  }
}

TEST_CASE("otlp stops a zip bomb at the cap") {
  OtlpOptions opts;
  opts.max_decompressed_bytes = 1 << 20;
  auto got =
      DecodeOtlpLogs("application/json", "gzip", GzipCompress(std::string(8 << 20, ' ')), opts);
  REQUIRE_FALSE(got.ok());
  CHECK(got.status().code() == StatusCode::kTooLarge);
}

TEST_CASE("otlp label name normalisation") {
  CHECK(NormalizeOtlpLabelName("service.name") == "service_name");
  CHECK(NormalizeOtlpLabelName("k8s.pod-name/x") == "k8s_pod_name_x");
  CHECK(NormalizeOtlpLabelName("2xx") == "key_2xx");
  CHECK(NormalizeOtlpLabelName("_private") == "key_private");
  CHECK(NormalizeOtlpLabelName("__reserved") == "__reserved");
  CHECK(NormalizeOtlpLabelName("caf\xc3\xa9.x") == "caf__x");
  CHECK(NormalizeOtlpLabelName("") == "");
}
