#include "common/http/http_server.h"

#include <doctest/doctest.h>

#include <chrono>
#include <future>
#include <thread>

#include "common/http/http_client.h"
#include "common/metrics.h"

namespace skald::common::http {
namespace {

struct Fixture {
  Fixture() {
    router.Handle({"GET"}, "/fast", [](const Request&) { return Response::Text(200, "fast"); });
    router.Handle({"POST"}, "/echo", [](const Request& req) {
      return Response::Text(200, req.body + "|" + std::string(req.Param("a")));
    });
    router.Handle({"POST"}, "/small", [](const Request&) { return Response::NoContent(); },
                  RouteOptions{"small", 10});
    router.Handle({"GET"}, "/slow", [this](const Request&) {
      // Blocks its worker until /release runs on another worker.
      auto st = released_future.wait_for(std::chrono::seconds(20));
      return Response::Text(200, st == std::future_status::ready ? "released" : "not released");
    });
    router.Handle({"GET"}, "/release", [this](const Request&) {
      released.set_value();
      return Response::Text(200, "ok");
    });
    HttpServerOptions o;
    o.address = "127.0.0.1";
    o.port = 0;
    o.io_threads = 1;
    o.worker_threads = 2;
    server = std::make_unique<HttpServer>(o, router, &metrics);
    REQUIRE(server->Start().ok());
    REQUIRE(server->port() != 0);
  }
  std::string Url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(server->port()) + path;
  }

  std::promise<void> released;
  std::shared_future<void> released_future = released.get_future().share();
  MetricsRegistry metrics;
  Router router;
  std::unique_ptr<HttpServer> server;
};

TEST_CASE("http server answers over loopback and reuses the keep-alive connection") {
  Fixture f;
  HttpClient client;
  for (int i = 0; i < 3; ++i) {
    auto r = client.Do({"GET", f.Url("/fast"), {}, {}});
    REQUIRE(r.ok());
    CHECK(r->status == 200);
    CHECK(r->body == "fast");
    CHECK(r->Header("content-type") == "text/plain; charset=utf-8");
  }
  CHECK(client.connections_opened() == 1);
}

TEST_CASE("http server passes the body and form params to the handler") {
  Fixture f;
  HttpClient client;
  auto r = client.Do({"POST", f.Url("/echo?x=1"), {{"Content-Type", "application/x-www-form-urlencoded"}}, "a=b%20c"});
  REQUIRE(r.ok());
  CHECK(r->body == "a=b%20c|b c");
}

TEST_CASE("http server rejects a body over the route limit with 413") {
  Fixture f;
  HttpClient client;
  auto r = client.Do({"POST", f.Url("/small"), {}, std::string(100, 'x')});
  REQUIRE(r.ok());
  CHECK(r->status == 413);
  CHECK(r->body.find("10 bytes") != std::string::npos);
  auto ok = client.Do({"POST", f.Url("/small"), {}, "tiny"});
  REQUIRE(ok.ok());
  CHECK(ok->status == 204);
}

TEST_CASE("http server answers unknown paths 404 and wrong methods 405 on the wire") {
  Fixture f;
  HttpClient client;
  auto nf = client.Do({"GET", f.Url("/missing"), {}, {}});
  REQUIRE(nf.ok());
  CHECK(nf->status == 404);
  CHECK(nf->body == "404 page not found\n");
  auto na = client.Do({"DELETE", f.Url("/fast"), {}, {}});
  REQUIRE(na.ok());
  CHECK(na->status == 405);
}

TEST_CASE("a blocking handler does not block another request") {
  Fixture f;
  std::future<Result<ClientResponse>> slow = std::async(std::launch::async, [&f] {
    HttpClient c;
    return c.Do({"GET", f.Url("/slow"), {}, {}});
  });
  HttpClient client;
  auto rel = client.Do({"GET", f.Url("/release"), {}, {}});
  REQUIRE(rel.ok());
  CHECK(rel->status == 200);
  auto r = slow.get();
  REQUIRE(r.ok());
  CHECK(r->body == "released");
}

TEST_CASE("http server records loki_request_duration_seconds per route and status") {
  Fixture f;
  HttpClient client;
  REQUIRE(client.Do({"GET", f.Url("/fast"), {}, {}}).ok());
  // The server records the request after writing the response (the duration
  // includes the write), so the client may see the response first: wait for
  // the sample, bounded.
  const std::string want =
      "loki_request_duration_seconds_count{method=\"GET\",route=\"fast\",status_code=\"200\",ws=\"false\"} 1";
  std::string text;
  for (int i = 0; i < 500; ++i) {
    text = f.metrics.Expose();
    if (text.find(want) != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  CHECK(text.find(want) != std::string::npos);
}

TEST_CASE("http server start fails naming the address when the port is taken") {
  Fixture f;
  Router r;
  HttpServerOptions o;
  o.address = "127.0.0.1";
  o.port = f.server->port();
  HttpServer second(o, r, nullptr);
  Status s = second.Start();
  CHECK_FALSE(s.ok());
  CHECK(s.message().find("127.0.0.1:" + std::to_string(o.port)) != std::string::npos);
}

TEST_CASE("http client reports an unreachable server as unavailable") {
  Fixture f;
  uint16_t port = f.server->port();
  f.server->Stop();
  HttpClient client;
  auto r = client.Do({"GET", "http://127.0.0.1:" + std::to_string(port) + "/fast", {}, {}});
  CHECK_FALSE(r.ok());
}

TEST_CASE("http client rejects a URL without a scheme") {
  HttpClient client;
  auto r = client.Do({"GET", "localhost:3100/ready", {}, {}});
  CHECK_FALSE(r.ok());
  CHECK(r.status().HttpStatus() == 400);
}

}  // namespace
}  // namespace skald::common::http
