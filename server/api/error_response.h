// ErrorResponse: a Status as Loki's handlers answer it (Go's http.Error):
// the status code from Status::HttpStatus(), a text/plain body holding the
// message and a newline. Pure function.
#pragma once

#include "common/http/response.h"
#include "common/status.h"

namespace skald::server::api {

inline common::http::Response ErrorResponse(const common::Status& status) {
  common::http::Response r = common::http::Response::Text(status.HttpStatus(), status.message() + "\n");
  r.AddHeader("X-Content-Type-Options", "nosniff");
  return r;
}

}  // namespace skald::server::api
