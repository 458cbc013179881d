#include "agent/client/client.h"

#include <doctest/doctest.h>

#include <condition_variable>
#include <mutex>

#include "common/push_codec.h"

using namespace skald::agent::client;
using skald::common::Result;
using skald::common::Status;
using skald::common::http::ClientRequest;
using skald::common::http::ClientResponse;

namespace {

// Records pushes and answers with scripted statuses; collects acks.
struct Fake {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<ClientRequest> requests;
  std::vector<int> statuses;  // consumed front to back; then 204
  std::vector<AckRef> acks;

  PushFn Push() {
    return [this](const ClientRequest& r) -> Result<ClientResponse> {
      std::lock_guard<std::mutex> lock(mu);
      requests.push_back(r);
      int st = 204;
      if (!statuses.empty()) {
        st = statuses.front();
        statuses.erase(statuses.begin());
      }
      if (st == 0) return Status::Unavailable("connection refused");
      ClientResponse resp;
      resp.status = st;
      return resp;
    };
  }
  AckFn OnDone() {
    return [this](const std::vector<AckRef>& a) {
      std::lock_guard<std::mutex> lock(mu);
      acks.insert(acks.end(), a.begin(), a.end());
      cv.notify_all();
    };
  }
  void WaitAcks(size_t n) {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return acks.size() >= n; });
  }
};

ClientConfig FastConfig() {
  ClientConfig c;
  c.url = "http://127.0.0.1:1/loki/api/v1/push";
  c.batchwait_ns = 1'000'000;
  c.backoff.min_period_ns = 1'000'000;
  c.backoff.max_period_ns = 2'000'000;
  c.backoff.max_retries = 3;
  return c;
}

ClientEntry MakeEntry(const std::string& tenant, const std::string& line, uint64_t off) {
  ClientEntry e;
  e.tenant = tenant;
  e.labels = std::make_shared<const LabelMap>(LabelMap{{"job", "app"}});
  e.entry.timestamp_ns = 1000 + static_cast<int64_t>(off);
  e.entry.line = line;
  e.ack = AckRef{1, off};
  return e;
}

}  // namespace

TEST_CASE("client pushes snappy protobuf with the tenant header and acks") {
  Fake f;
  ClientConfig cfg = FastConfig();
  cfg.external_labels = {{"host", "h1"}};
  Client c(cfg, f.OnDone(), nullptr, skald::common::Clock::Real(), f.Push());
  REQUIRE(c.Init().ok());
  c.Send(MakeEntry("team-a", "hello", 0));
  f.WaitAcks(1);
  c.Stop(0);
  REQUIRE(f.requests.size() == 1);
  const ClientRequest& r = f.requests[0];
  bool has_tenant = false;
  for (auto& [k, v] : r.headers) has_tenant |= (k == "X-Scope-OrgID" && v == "team-a");
  CHECK(has_tenant);
  auto req = skald::common::DecodePushProtobuf(r.body);
  REQUIRE(req.ok());
  REQUIRE(req->streams.size() == 1);
  CHECK(req->streams[0].labels == R"({host="h1", job="app"})");
  REQUIRE(req->streams[0].entries.size() == 1);
  CHECK(req->streams[0].entries[0].line == "hello");
}

TEST_CASE("client encodes a batch smaller than the one before it exactly (reused buffer)") {
  Fake f;
  ClientConfig cfg = FastConfig();
  cfg.batchsize_bytes = 100;  // the second entry does not fit: two batches
  Client c(cfg, f.OnDone(), nullptr, skald::common::Clock::Real(), f.Push());
  std::vector<ClientEntry> entries;
  entries.push_back(MakeEntry("", std::string(90, 'a'), 0));
  entries.push_back(MakeEntry("", "bbbbbbbbbbbbbbb", 1));  // 90 + 15 > 100
  entries.back().labels = nullptr;
  c.SendAll(&entries);
  f.WaitAcks(2);
  c.Stop(0);
  REQUIRE(f.requests.size() == 2);
  auto first = skald::common::DecodePushProtobuf(f.requests[0].body);
  auto second = skald::common::DecodePushProtobuf(f.requests[1].body);
  REQUIRE(first.ok());
  REQUIRE(second.ok());
  CHECK(first->streams.at(0).entries.at(0).line == std::string(90, 'a'));
  REQUIRE(second->streams.size() == 1);
  REQUIRE(second->streams[0].entries.size() == 1);
  CHECK(second->streams[0].entries[0].line == "bbbbbbbbbbbbbbb");
}

TEST_CASE("client retries 5xx and connection errors, then succeeds") {
  Fake f;
  f.statuses = {500, 0, 429};
  Client c(FastConfig(), f.OnDone(), nullptr, skald::common::Clock::Real(), f.Push());
  c.Send(MakeEntry("", "x", 7));
  f.WaitAcks(1);
  c.Stop(0);
  CHECK(f.requests.size() == 4);
  CHECK(f.acks[0].start_offset == 7);
}

TEST_CASE("client drops a batch rejected with 400 without retrying") {
  Fake f;
  f.statuses = {400};
  Client c(FastConfig(), f.OnDone(), nullptr, skald::common::Clock::Real(), f.Push());
  c.Send(MakeEntry("", "x", 0));
  f.WaitAcks(1);
  c.Stop(0);
  CHECK(f.requests.size() == 1);
}

TEST_CASE("client gives up after max_retries and still reports the entries") {
  Fake f;
  f.statuses = {503, 503, 503, 503, 503, 503};
  Client c(FastConfig(), f.OnDone(), nullptr, skald::common::Clock::Real(), f.Push());
  c.Send(MakeEntry("", "x", 0));
  f.WaitAcks(1);
  c.Stop(0);
  CHECK(f.requests.size() == 4);  // first try + 3 retries
}

TEST_CASE("client splits batches at batchsize") {
  Fake f;
  ClientConfig cfg = FastConfig();
  cfg.batchsize_bytes = 10;
  cfg.batchwait_ns = 60'000'000'000;  // only size or stop sends
  Client c(cfg, f.OnDone(), nullptr, skald::common::Clock::Real(), f.Push());
  for (uint64_t i = 0; i < 3; ++i) c.Send(MakeEntry("", "123456", i));
  c.Stop(0);
  CHECK(f.acks.size() == 3);
  CHECK(f.requests.size() == 3);
}

TEST_CASE("client uses basic auth") {
  Fake f;
  ClientConfig cfg = FastConfig();
  cfg.basic_auth.username = "user";
  cfg.basic_auth.password = "pass";
  Client c(cfg, f.OnDone(), nullptr, skald::common::Clock::Real(), f.Push());
  REQUIRE(c.Init().ok());
  c.Send(MakeEntry("", "x", 0));
  f.WaitAcks(1);
  c.Stop(0);
  bool ok = false;
  for (auto& [k, v] : f.requests[0].headers) ok |= (k == "Authorization" && v == "Basic dXNlcjpwYXNz");
  CHECK(ok);
}

TEST_CASE("client Init fails on an unreadable password file") {
  ClientConfig cfg = FastConfig();
  cfg.basic_auth.username = "u";
  cfg.basic_auth.password_file = "/nonexistent/pw";
  Client c(cfg, nullptr, nullptr, skald::common::Clock::Real(), [](const ClientRequest&) {
    return Result<ClientResponse>(ClientResponse{});
  });
  CHECK_FALSE(c.Init().ok());
}

TEST_CASE("client SendAll: entries with null labels continue the previous entry's stream") {
  Fake f;
  Client c(FastConfig(), f.OnDone(), nullptr, skald::common::Clock::Real(), f.Push());
  REQUIRE(c.Init().ok());
  std::vector<ClientEntry> v;
  v.push_back(MakeEntry("", "a1", 0));
  ClientEntry a2 = MakeEntry("", "a2", 1);
  a2.labels = nullptr;
  v.push_back(std::move(a2));
  ClientEntry b1 = MakeEntry("", "b1", 2);
  b1.labels = std::make_shared<const LabelMap>(LabelMap{{"job", "other"}});
  v.push_back(std::move(b1));
  ClientEntry b2 = MakeEntry("", "b2", 3);
  b2.labels = nullptr;
  v.push_back(std::move(b2));
  c.SendAll(&v);
  CHECK(v.empty());
  f.WaitAcks(4);
  c.Stop(0);
  REQUIRE(f.requests.size() == 1);
  auto req = skald::common::DecodePushProtobuf(f.requests[0].body);
  REQUIRE(req.ok());
  REQUIRE(req->streams.size() == 2);
  std::map<std::string, std::vector<std::string>> lines;
  for (const auto& s : req->streams) {
    for (const auto& e : s.entries) lines[s.labels].push_back(e.line);
  }
  CHECK(lines[R"({job="app"})"] == std::vector<std::string>{"a1", "a2"});
  CHECK(lines[R"({job="other"})"] == std::vector<std::string>{"b1", "b2"});
}
