#include "server/api/push_handler.h"

#include <utility>

#include "common/push_codec.h"
#include "server/api/error_response.h"

namespace skald::server::api {

using common::Status;
using common::http::Request;
using common::http::Response;

PushHandler::PushHandler(PushHandlerOptions options, ingest::Distributor* distributor, OtlpDecoder otlp)
    : options_(std::move(options)), distributor_(distributor), otlp_(std::move(otlp)) {}

Status PushHandler::Ingest(common::Result<common::PushRequestView> decoded, const std::string& tenant) const {
  if (!decoded.ok()) return decoded.status();
  return distributor_->Push(tenant, std::move(decoded).value());
}

Response PushHandler::Push(const Request& req) const {
  auto tenant = WriteTenant(req, options_.tenant);
  if (!tenant.ok()) return ErrorResponse(tenant.status());
  common::PushBodyInfo info;
  info.content_type = req.Header("Content-Type");
  info.content_encoding = req.Header("Content-Encoding");
  info.v1_path = req.path.find("/loki/api/v1") != std::string::npos;
  info.max_decompressed_bytes = options_.max_decompressed_bytes;
  Status s = Ingest(common::DecodePushBodyView(info, req.body), *tenant);
  if (s.ok()) return Response::NoContent();
  return ErrorResponse(s);
}

Response PushHandler::PushOtlp(const Request& req) const {
  auto tenant = WriteTenant(req, options_.tenant);
  Status s = tenant.status();
  if (tenant.ok()) {
    auto decoded = otlp_(req.Header("Content-Type"), req.Header("Content-Encoding"), req.body);
    s = decoded.ok() ? Ingest(common::PushRequestView::Own(std::move(decoded).value()), *tenant) : decoded.status();
  }
  if (s.ok()) return Response::NoContent();
  Response r = ErrorResponse(s);
  if (r.status == 500) r.status = 503;
  return r;
}

void PushHandler::Register(common::http::Router* router) const {
  auto push = [this](const Request& r) { return Push(r); };
  router->Handle({"POST"}, "/loki/api/v1/push", push);
  router->Handle({"POST"}, "/api/prom/push", push);
  if (otlp_) router->Handle({"POST"}, "/otlp/v1/logs", [this](const Request& r) { return PushOtlp(r); });
}

}  // namespace skald::server::api
