#include "common/http/url_encoding.h"

#include "common/labels.h"

namespace skald::common::http {

namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Status EscapeError(std::string_view s, size_t i) {
  std::string bad(s.substr(i, 3));
  std::string msg = "invalid URL escape ";
  AppendGoQuoted(&msg, bad);
  return Status::InvalidArgument(msg);
}

Result<std::string> Unescape(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '%') {
      if (i + 2 >= s.size()) return EscapeError(s, i);
      int hi = HexValue(s[i + 1]);
      int lo = HexValue(s[i + 2]);
      if (hi < 0 || lo < 0) return EscapeError(s, i);
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

// Media type of a Content-Type value: lower-cased, parameters dropped.
std::string MediaType(std::string_view content_type) {
  size_t semi = content_type.find(';');
  std::string_view t = content_type.substr(0, semi);
  while (!t.empty() && (t.back() == ' ' || t.back() == '\t')) t.remove_suffix(1);
  while (!t.empty() && (t.front() == ' ' || t.front() == '\t')) t.remove_prefix(1);
  std::string out(t);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

}  // namespace

Result<std::string> QueryUnescape(std::string_view s) { return Unescape(s, true); }
Result<std::string> PathUnescape(std::string_view s) { return Unescape(s, false); }

std::string QueryEscape(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    bool unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '_' || c == '.' || c == '~';
    if (unreserved) {
      out.push_back(static_cast<char>(c));
    } else if (c == ' ') {
      out.push_back('+');
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

Status ParseQuery(std::string_view query, KeyValues* out) {
  Status first;
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.find(';') != std::string_view::npos) {
      if (first.ok()) first = Status::InvalidArgument("invalid semicolon separator in query");
      continue;
    }
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    std::string_view key = pair.substr(0, eq);
    std::string_view value = eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
    Result<std::string> k = QueryUnescape(key);
    if (!k.ok()) {
      if (first.ok()) first = k.status();
      continue;
    }
    Result<std::string> v = QueryUnescape(value);
    if (!v.ok()) {
      if (first.ok()) first = v.status();
      continue;
    }
    out->emplace_back(std::move(k).value(), std::move(v).value());
  }
  return first;
}

Status ParseTargetAndForm(Request* req) {
  std::string_view target = req->target;
  size_t q = target.find('?');
  std::string_view raw_path = target.substr(0, q);
  std::string_view raw_query = q == std::string_view::npos ? std::string_view() : target.substr(q + 1);
  Status first;
  Result<std::string> path = PathUnescape(raw_path);
  if (path.ok()) {
    req->path = std::move(path).value();
  } else {
    req->path = std::string(raw_path);
    first = path.status();
  }
  req->params.clear();
  bool has_body_form = req->method == "POST" || req->method == "PUT" || req->method == "PATCH";
  if (has_body_form && MediaType(req->Header("Content-Type")) == "application/x-www-form-urlencoded") {
    Status s = ParseQuery(req->body, &req->params);
    if (first.ok()) first = s;
  }
  Status s = ParseQuery(raw_query, &req->params);
  if (first.ok()) first = s;
  return first;
}

}  // namespace skald::common::http
