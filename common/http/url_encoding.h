// URL percent-decoding and query/form parsing with Go net/url's rules, so
// parameters reach handlers exactly as Loki's Go handlers see them.
// Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "common/http/request.h"
#include "common/status.h"

namespace skald::common::http {

// Go url.QueryUnescape: "%XX" escapes and '+' as space. Error (400,
// `invalid URL escape "%zz"`) on a malformed escape.
Result<std::string> QueryUnescape(std::string_view s);
// Go url.PathUnescape: "%XX" escapes; '+' stays '+'.
Result<std::string> PathUnescape(std::string_view s);
// Go url.QueryEscape: the inverse of QueryUnescape (space -> '+').
std::string QueryEscape(std::string_view s);

// Go url.ParseQuery, appending "key=value" pairs of `query` to `out` in order.
// Malformed pairs are skipped and the first error is returned (like Go, the
// valid pairs are still appended).
Status ParseQuery(std::string_view query, KeyValues* out);

// Go Request.ParseForm: fills req->params from an
// application/x-www-form-urlencoded body (POST, PUT, PATCH) and then from the
// query string of req->target. Also sets req->path (decoded). Returns the
// first parse error (400) after filling what could be parsed.
Status ParseTargetAndForm(Request* req);

}  // namespace skald::common::http
