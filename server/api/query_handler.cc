#include "server/api/query_handler.h"

#include "common/json_writer.h"
#include "common/logql/parser.h"
#include "common/logql/printer.h"
#include "server/api/error_response.h"
#include "server/api/query_encoder.h"
#include "server/api/query_params.h"

namespace skald::server::api {

using common::Status;
using common::http::Request;
using common::http::Response;

namespace {

iter::Direction ToIterDirection(Direction d) {
  return d == Direction::kForward ? iter::Direction::kForward : iter::Direction::kBackward;
}

Response QueryError(const Status& s) {
  if (s.code() == common::StatusCode::kTimeout) {
    return ErrorResponse(Status::Timeout(kQueryTimeoutMessage));
  }
  return ErrorResponse(s);
}

bool CategorizeLabels(const Request& req) {
  std::string_view flags = req.Header("X-Loki-Response-Encoding-Flags");
  return flags.find("categorize-labels") != std::string_view::npos;
}

Response RunAndEncode(const QueryApi& api, const logql::QueryRequest& q, const Request& req) {
  auto result = api.engine->Query(q);
  if (!result.ok()) return QueryError(result.status());
  EncodeOptions opts;
  opts.categorize_labels = CategorizeLabels(req) && result->type == logql::ResultType::kStreams;
  opts.pool = api.engine->pool();
  return Response::Json(200, EncodeQueryResponse(*result, opts));
}

}  // namespace

Response HandleQueryRange(const QueryApi& api, const Request& req) {
  auto tenant = ReadTenant(req, api.tenants);
  if (!tenant.ok()) return ErrorResponse(tenant.status());
  auto p = ParseRangeQuery(req, api.clock->NowNanos());
  if (!p.ok()) return ErrorResponse(p.status());
  logql::QueryRequest q;
  q.tenant = *tenant;
  q.query = p->query;
  q.start_ns = p->start_ns;
  q.end_ns = p->end_ns;
  q.step_ns = p->step_ns;
  q.interval_ns = p->interval_ns;
  q.limit = p->limit;
  q.direction = ToIterDirection(p->direction);
  q.limits = api.limits(*tenant);
  return RunAndEncode(api, q, req);
}

Response HandleInstantQuery(const QueryApi& api, const Request& req) {
  auto tenant = ReadTenant(req, api.tenants);
  if (!tenant.ok()) return ErrorResponse(tenant.status());
  auto p = ParseInstantQuery(req, api.clock->NowNanos());
  if (!p.ok()) return ErrorResponse(p.status());
  logql::QueryRequest q;
  q.tenant = *tenant;
  q.query = p->query;
  q.start_ns = q.end_ns = p->time_ns;
  q.limit = p->limit;
  q.direction = ToIterDirection(p->direction);
  q.instant = true;
  q.limits = api.limits(*tenant);
  return RunAndEncode(api, q, req);
}

Response HandleLegacyQuery(const QueryApi& api, const Request& req) {
  auto tenant = ReadTenant(req, api.tenants);
  if (!tenant.ok()) return ErrorResponse(tenant.status());
  auto p = ParseRangeQuery(req, api.clock->NowNanos());
  if (!p.ok()) return ErrorResponse(p.status());
  std::string query = p->query;
  if (std::string_view re = req.Param("regexp"); !re.empty()) {
    std::string quoted;
    common::AppendGoQuoted(&quoted, re);
    query += " |~ " + quoted;
  }
  auto parsed = common::logql::ParseExpr(query);
  if (!parsed.ok()) return ErrorResponse(parsed.status());
  if (common::logql::IsMetricQuery(**parsed)) {
    return ErrorResponse(Status::InvalidArgument("legacy endpoints only support streams result type"));
  }
  logql::QueryRequest q;
  q.tenant = *tenant;
  q.query = query;
  q.start_ns = p->start_ns;
  q.end_ns = p->end_ns;
  q.step_ns = p->step_ns;
  q.limit = p->limit;
  q.direction = ToIterDirection(p->direction);
  q.limits = api.limits(*tenant);
  auto result = api.engine->Query(q);
  if (!result.ok()) return QueryError(result.status());
  return Response::Json(200, EncodeLegacyQueryResponse(*result));
}

Response HandleFormatQuery(const Request& req) {
  std::string body;
  common::JsonWriter w(&body);
  auto parsed = common::logql::ParseExpr(req.Param("query"));
  if (!parsed.ok()) {
    w.BeginObject().Key("status").String("invalid-query");
    w.Key("error").String(parsed.status().message()).EndObject();
    return Response::Json(400, std::move(body));
  }
  w.BeginObject().Key("status").String("success");
  w.Key("data").String(common::logql::FormatQuery(**parsed)).EndObject();
  return Response::Json(200, std::move(body));
}

void RegisterQueryRoutes(common::http::Router* router, const QueryApi* api) {
  router->Handle({"GET", "POST"}, "/loki/api/v1/query_range",
                 [api](const Request& r) { return HandleQueryRange(*api, r); });
  router->Handle({"GET", "POST"}, "/loki/api/v1/query",
                 [api](const Request& r) { return HandleInstantQuery(*api, r); });
  router->Handle({"GET", "POST"}, "/api/prom/query",
                 [api](const Request& r) { return HandleLegacyQuery(*api, r); });
  router->Handle({"GET", "POST"}, "/loki/api/v1/format_query",
                 [](const Request& r) { return HandleFormatQuery(r); });
}

}  // namespace skald::server::api
