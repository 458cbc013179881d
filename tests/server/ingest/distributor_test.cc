#include "server/ingest/distributor.h"

#include <doctest/doctest.h>

#include <string>

using namespace skald::server::ingest;
using skald::common::Entry;
using skald::common::FakeClock;
using skald::common::MetricsRegistry;
using skald::common::PushRequest;
using skald::common::PushStream;
using skald::common::Status;

namespace {
constexpr int64_t kNow = 1'700'000'000'000'000'000;

class RecordingSink : public PushSink {
 public:
  Status Push(std::string_view tenant, std::vector<ValidStream>&& streams) override {
    last_tenant = std::string(tenant);
    for (auto& s : streams) written.push_back(std::move(s));
    return answer;
  }
  std::string last_tenant;
  std::vector<ValidStream> written;
  Status answer;
};

struct Fixture {
  FakeClock clock{kNow};
  MetricsRegistry metrics;
  RecordingSink sink;
  DistributorLimits limits;
  Distributor dist{[this](std::string_view) { return limits; }, &sink, &clock, &metrics};
};

PushRequest Req(std::string labels, std::vector<std::string> lines) {
  PushRequest r;
  PushStream s{std::move(labels), {}};
  for (auto& l : lines) s.entries.push_back(Entry{kNow, std::move(l), {}});
  r.streams.push_back(std::move(s));
  return r;
}

double Metric(MetricsRegistry& m, const std::string& needle) {
  const std::string text = m.Expose();
  auto pos = text.find(needle + " ");
  if (pos == std::string::npos) return -1;
  return std::stod(text.substr(pos + needle.size() + 1));
}
}  // namespace

TEST_CASE("distributor writes a valid push and counts received lines and bytes") {
  Fixture f;
  CHECK(f.dist.Push("t1", Req(R"({a="1"})", {"abc", "de"})).ok());
  CHECK(f.sink.last_tenant == "t1");
  REQUIRE(f.sink.written.size() == 1);
  CHECK(f.sink.written[0].entries.size() == 2);
  CHECK(Metric(f.metrics, R"(loki_distributor_lines_received_total{tenant="t1"})") == 2);
  CHECK(Metric(f.metrics, R"(loki_distributor_bytes_received_total{tenant="t1"})") == 5);
}

TEST_CASE("distributor answers 422 for a push without streams") {
  Fixture f;
  Status s = f.dist.Push("t", PushRequest{});
  CHECK(s.HttpStatus() == 422);
  CHECK(s.message() == "error at least one valid stream is required for ingestion");
}

TEST_CASE("distributor accepts streams that have no entries") {
  Fixture f;
  CHECK(f.dist.Push("t", Req(R"({a="1"})", {})).ok());
  CHECK(f.sink.written.empty());
}

TEST_CASE("distributor writes valid streams and answers 400 for invalid ones") {
  Fixture f;
  PushRequest r = Req(R"({a="1"})", {"ok"});
  r.streams.push_back(PushStream{"{}", {Entry{kNow, "x", {}}}});
  Status s = f.dist.Push("t", std::move(r));
  CHECK(s.HttpStatus() == 400);
  CHECK(s.message() == "error at least one label pair is required per stream");
  CHECK(f.sink.written.size() == 1);
  CHECK(Metric(f.metrics, R"(loki_discarded_samples_total{reason="missing_labels",tenant="t"})") == 1);
  CHECK(Metric(f.metrics, R"(loki_discarded_bytes_total{reason="missing_labels",tenant="t"})") == 1);
}

TEST_CASE("distributor rejects the whole push over the tenant rate with 429") {
  Fixture f;
  f.limits.ingestion_rate_bytes = 10;
  f.limits.ingestion_burst_bytes = 10;
  Status s = f.dist.Push("t", Req(R"({a="1"})", {"123456", "78901"}));
  CHECK(s.HttpStatus() == 429);
  CHECK(s.message() ==
        "ingestion rate limit exceeded for user t (limit: 10 bytes/sec) while attempting to ingest '2' lines "
        "totaling '11' bytes, reduce log volume or contact your Loki administrator to see if the limit can "
        "be increased");
  CHECK(f.sink.written.empty());
  CHECK(Metric(f.metrics, R"(loki_discarded_samples_total{reason="rate_limited",tenant="t"})") == 2);
}

TEST_CASE("distributor rate limits tenants independently and refills over time") {
  Fixture f;
  f.limits.ingestion_rate_bytes = 10;
  f.limits.ingestion_burst_bytes = 10;
  CHECK(f.dist.Push("a", Req(R"({a="1"})", {"0123456789"})).ok());
  CHECK(f.dist.Push("b", Req(R"({a="1"})", {"0123456789"})).ok());
  CHECK(f.dist.Push("a", Req(R"({a="1"})", {"x"})).HttpStatus() == 429);
  f.clock.Advance(1'000'000'000);
  CHECK(f.dist.Push("a", Req(R"({a="1"})", {"0123456789"})).ok());
}

TEST_CASE("distributor passes the sink's error through") {
  Fixture f;
  f.sink.answer = Status::ResourceExhausted("stream limit");
  CHECK(f.dist.Push("t", Req(R"({a="1"})", {"x"})).HttpStatus() == 429);
}
