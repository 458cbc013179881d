// Response: what a handler returns; the transport writes it (plain std types,
// no Beast). A value type: safe to move between threads.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace skald::common::http {

inline constexpr std::string_view kContentTypeText = "text/plain; charset=utf-8";
inline constexpr std::string_view kContentTypeJson = "application/json; charset=utf-8";

struct Response {
  int status = 200;
  std::string content_type;  // empty: no Content-Type header
  std::string body;
  // Extra headers (Content-Type and Content-Length are set by the transport).
  std::vector<std::pair<std::string, std::string>> headers;

  // text/plain; charset=utf-8 with `body` as is.
  static Response Text(int status, std::string body) {
    return Response{status, std::string(kContentTypeText), std::move(body), {}};
  }
  // application/json; charset=utf-8; `body` must already be JSON.
  static Response Json(int status, std::string body) {
    return Response{status, std::string(kContentTypeJson), std::move(body), {}};
  }
  // 204 No Content, empty body.
  static Response NoContent() { return Response{204, {}, {}, {}}; }

  Response& AddHeader(std::string name, std::string value) {
    headers.emplace_back(std::move(name), std::move(value));
    return *this;
  }
};

}  // namespace skald::common::http
