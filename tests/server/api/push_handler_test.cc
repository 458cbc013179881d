#include "server/api/push_handler.h"

#include <doctest/doctest.h>

#include <string>

#include "common/push_codec.h"

using namespace skald::server;
using skald::common::Entry;
using skald::common::FakeClock;
using skald::common::PushRequest;
using skald::common::PushStream;
using skald::common::Status;
using skald::common::http::Request;
using skald::common::http::Response;

namespace {
constexpr int64_t kNow = 1'700'000'000'000'000'000;

class Sink : public ingest::PushSink {
 public:
  Status Push(std::string_view tenant, std::vector<ingest::ValidStream>&& streams) override {
    tenant_ = std::string(tenant);
    for (auto& s : streams) lines += s.entries.size();
    return answer;
  }
  std::string tenant_;
  size_t lines = 0;
  Status answer;
};

struct Fixture {
  explicit Fixture(bool auth = false) : handler(Options(auth), &dist, Otlp()) {}
  static api::PushHandlerOptions Options(bool auth) {
    api::PushHandlerOptions o;
    o.tenant.auth_enabled = auth;
    return o;
  }
  static api::OtlpDecoder Otlp() {
    return [](std::string_view ct, std::string_view, std::string_view) -> skald::common::Result<PushRequest> {
      if (ct != "application/x-protobuf") return Status::InvalidArgument("content type: " + std::string(ct) + " is not supported");
      PushRequest r;
      r.streams.push_back(PushStream{R"({service_name="svc"})", {Entry{kNow, "otlp line", {}}}});
      return r;
    };
  }
  FakeClock clock{kNow};
  Sink sink;
  ingest::Distributor dist{[](std::string_view) { return ingest::DistributorLimits{}; }, &sink, &clock, nullptr};
  api::PushHandler handler;
};

Request JsonPush(std::string body, std::string path = "/loki/api/v1/push") {
  Request r;
  r.method = "POST";
  r.path = std::move(path);
  r.headers.emplace_back("Content-Type", "application/json");
  r.body = std::move(body);
  return r;
}

std::string OneLine() {
  return R"({"streams":[{"stream":{"job":"api"},"values":[[")" + std::to_string(kNow) + R"(","hello"]]}]})";
}
}  // namespace

TEST_CASE("push handler answers 204 for a valid JSON push") {
  Fixture f;
  Response r = f.handler.Push(JsonPush(OneLine()));
  CHECK(r.status == 204);
  CHECK(r.body.empty());
  CHECK(f.sink.lines == 1);
  CHECK(f.sink.tenant_ == "fake");
}

TEST_CASE("push handler decodes protobuf+snappy bodies") {
  Fixture f;
  PushRequest p;
  p.streams.push_back(PushStream{R"({job="api"})", {Entry{kNow, "a", {}}, Entry{kNow + 1, "b", {}}}});
  Request r;
  r.method = "POST";
  r.path = "/loki/api/v1/push";
  r.headers.emplace_back("Content-Type", "application/x-protobuf");
  r.body = skald::common::EncodePushProtobuf(p);
  CHECK(f.handler.Push(r).status == 204);
  CHECK(f.sink.lines == 2);
}

TEST_CASE("push handler answers 400 with a text body for an undecodable body") {
  Fixture f;
  Response r = f.handler.Push(JsonPush("{not json"));
  CHECK(r.status == 400);
  CHECK(r.content_type.rfind("text/plain", 0) == 0);
  CHECK(r.body.back() == '\n');
  CHECK(f.sink.lines == 0);
}

TEST_CASE("push handler answers 400 for a missing content type") {
  Fixture f;
  Request r = JsonPush(OneLine());
  r.headers.clear();
  Response resp = f.handler.Push(r);
  CHECK(resp.status == 400);
  CHECK(resp.body == "mime: no media type\n");
}

TEST_CASE("push handler answers 422 for a push without streams") {
  Fixture f;
  Response r = f.handler.Push(JsonPush(R"({"streams":[]})"));
  CHECK(r.status == 422);
  CHECK(r.body == "error at least one valid stream is required for ingestion\n");
}

TEST_CASE("push handler requires an org id when auth is enabled") {
  Fixture f(true);
  Response r = f.handler.Push(JsonPush(OneLine()));
  CHECK(r.status == 401);
  CHECK(r.body == "no org id\n");
  Request ok = JsonPush(OneLine());
  ok.headers.emplace_back("X-Scope-OrgID", "tenant-a");
  CHECK(f.handler.Push(ok).status == 204);
  CHECK(f.sink.tenant_ == "tenant-a");
}

TEST_CASE("push handler decodes the legacy JSON shape on /api/prom/push") {
  Fixture f;
  Request r = JsonPush(R"({"streams":[{"labels":"{job=\"x\"}","entries":[{"ts":"2023-11-14T22:13:20Z","line":"l"}]}]})",
                       "/api/prom/push");
  CHECK(f.handler.Push(r).status == 204);
  CHECK(f.sink.lines == 1);
}

TEST_CASE("otlp push answers 204 and rewrites 500 to 503") {
  Fixture f;
  Request r;
  r.method = "POST";
  r.path = "/otlp/v1/logs";
  r.headers.emplace_back("Content-Type", "application/x-protobuf");
  CHECK(f.handler.PushOtlp(r).status == 204);
  f.sink.answer = Status::Internal("disk on fire");
  CHECK(f.handler.PushOtlp(r).status == 503);
}

TEST_CASE("otlp push rejects an unsupported content type with 400") {
  Fixture f;
  Request r;
  r.method = "POST";
  r.path = "/otlp/v1/logs";
  r.headers.emplace_back("Content-Type", "text/csv");
  Response resp = f.handler.PushOtlp(r);
  CHECK(resp.status == 400);
  CHECK(resp.body == "content type: text/csv is not supported\n");
}

TEST_CASE("push handler registers its routes") {
  Fixture f;
  skald::common::http::Router router;
  f.handler.Register(&router);
  CHECK(router.Find("POST", "/loki/api/v1/push").route != nullptr);
  CHECK(router.Find("POST", "/api/prom/push").route != nullptr);
  CHECK(router.Find("POST", "/otlp/v1/logs").route != nullptr);
  CHECK(router.Find("GET", "/loki/api/v1/push").route == nullptr);
}
