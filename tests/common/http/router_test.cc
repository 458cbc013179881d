#include "common/http/router.h"

#include <doctest/doctest.h>

#include "common/http/url_encoding.h"

namespace skald::common::http {
namespace {

Response Echo(const Request& req) { return Response::Text(200, req.method + " " + req.path); }

Request Make(std::string method, std::string target, std::string body = {}, KeyValues headers = {}) {
  Request req;
  req.method = std::move(method);
  req.target = std::move(target);
  req.body = std::move(body);
  req.headers = std::move(headers);
  REQUIRE(ParseTargetAndForm(&req).ok());
  return req;
}

TEST_CASE("router dispatches an exact path to its handler") {
  Router r;
  r.Handle({"GET"}, "/ready", Echo);
  Request req = Make("GET", "/ready");
  Response resp = r.Dispatch(&req);
  CHECK(resp.status == 200);
  CHECK(resp.body == "GET /ready");
}

TEST_CASE("router fills {param} segments") {
  Router r;
  r.Handle({"GET", "POST"}, "/loki/api/v1/label/{name}/values",
           [](const Request& req) { return Response::Text(200, std::string(req.PathParam("name"))); });
  Request req = Make("POST", "/loki/api/v1/label/app/values");
  Response resp = r.Dispatch(&req);
  CHECK(resp.status == 200);
  CHECK(resp.body == "app");
}

TEST_CASE("router param segment does not match an empty segment") {
  Router r;
  r.Handle({"GET"}, "/loki/api/v1/label/{name}/values", Echo);
  Request req = Make("GET", "/loki/api/v1/label//values");
  CHECK(r.Dispatch(&req).status == 404);
}

TEST_CASE("router answers an unknown path with Go's 404 text") {
  Router r;
  r.Handle({"GET"}, "/ready", Echo);
  Request req = Make("GET", "/nope");
  Response resp = r.Dispatch(&req);
  CHECK(resp.status == 404);
  CHECK(resp.body == "404 page not found\n");
  CHECK(resp.content_type == "text/plain; charset=utf-8");
}

TEST_CASE("router answers a known path with a wrong method with 405") {
  Router r;
  r.Handle({"GET"}, "/ready", Echo);
  Request req = Make("DELETE", "/ready");
  Response resp = r.Dispatch(&req);
  CHECK(resp.status == 405);
  bool has_allow = false;
  for (const auto& [k, v] : resp.headers) has_allow |= (k == "Allow" && v == "GET");
  CHECK(has_allow);
}

TEST_CASE("router derives Loki-style route names") {
  Router r;
  r.Handle({"POST"}, "/loki/api/v1/push", Echo);
  r.Handle({"GET"}, "/x", Echo, RouteOptions{"custom", 10});
  CHECK(Router::RouteLabel(r.Find("POST", "/loki/api/v1/push")) == "loki_api_v1_push");
  CHECK(Router::RouteLabel(r.Find("GET", "/x")) == "custom");
  CHECK(r.Find("GET", "/x").route->options.body_limit == 10);
  CHECK(Router::RouteLabel(r.Find("GET", "/nope")) == "other");
}

TEST_CASE("router only offers websocket routes to upgrade requests") {
  Router r;
  r.HandleWebSocket("/tail", [](const Request&) -> std::variant<Response, std::unique_ptr<WebSocketStream>> {
    return Response::Text(400, "no");
  });
  CHECK(r.Find("GET", "/tail", true).route != nullptr);
  CHECK(r.Find("GET", "/tail", false).route == nullptr);
}

TEST_CASE("query parameters are decoded in order with repeated keys kept") {
  Request req = Make("GET", "/q?query=%7Bapp%3D%22a%22%7D&x=1&x=2&sp=a+b");
  CHECK(req.path == "/q");
  CHECK(req.Param("query") == "{app=\"a\"}");
  CHECK(req.Params("x") == std::vector<std::string>{"1", "2"});
  CHECK(req.Param("sp") == "a b");
  CHECK(req.HasParam("x"));
  CHECK_FALSE(req.HasParam("y"));
  CHECK(req.Param("y").empty());
}

TEST_CASE("form body params come before query params like Go's ParseForm") {
  Request req = Make("POST", "/q?limit=5", "limit=10&query=%7B%7D",
                     {{"content-type", "application/x-www-form-urlencoded; charset=utf-8"}});
  CHECK(req.Params("limit") == std::vector<std::string>{"10", "5"});
  CHECK(req.Param("limit") == "10");
  CHECK(req.Param("query") == "{}");
}

TEST_CASE("a form body is ignored without the form content type") {
  Request req = Make("POST", "/q", "limit=10", {{"Content-Type", "application/json"}});
  CHECK_FALSE(req.HasParam("limit"));
}

TEST_CASE("a bad escape in the query is a 400 error naming the escape") {
  Request req;
  req.method = "GET";
  req.target = "/q?a=%zz&b=1";
  Status s = ParseTargetAndForm(&req);
  CHECK(s.HttpStatus() == 400);
  CHECK(s.message() == "invalid URL escape \"%zz\"");
  CHECK(req.Param("b") == "1");
}

TEST_CASE("a semicolon in the query is rejected like Go") {
  KeyValues kv;
  Status s = ParseQuery("a=1;b=2&c=3", &kv);
  CHECK(s.message() == "invalid semicolon separator in query");
  REQUIRE(kv.size() == 1);
  CHECK(kv[0].first == "c");
}

TEST_CASE("the path is percent-decoded but keeps plus signs") {
  Request req = Make("GET", "/loki/api/v1/label/a%2Bb+c/values");
  CHECK(req.path == "/loki/api/v1/label/a+b+c/values");
}

TEST_CASE("headers are looked up case-insensitively") {
  Request req = Make("GET", "/", {}, {{"X-Scope-OrgID", "t1"}});
  CHECK(req.Header("x-scope-orgid") == "t1");
  CHECK(req.Header("missing").empty());
}

TEST_CASE("QueryEscape round-trips through QueryUnescape") {
  std::string s = "{app=\"a b\"} |= `x&y`";
  CHECK(QueryUnescape(QueryEscape(s)).value() == s);
}

}  // namespace
}  // namespace skald::common::http
