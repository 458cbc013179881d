// HttpClient: a small synchronous HTTP/1.1 client (http:// and https://) for
// the agent and for tests. Keeps one keep-alive connection (to the host of
// the last request) and reconnects when the host changes or the connection
// fails; a request on a reused connection that fails before any response
// byte is retried once on a fresh connection.
//
// Concurrency: Do() is serialized by an internal mutex, so a client may be
// shared, but requests then run one at a time; use one client per thread for
// parallel requests.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/http/request.h"
#include "common/status.h"

namespace skald::common::http {

struct TlsClientOptions {
  std::string ca_file;    // PEM CA bundle; empty: the system's default paths
  std::string cert_file;  // client certificate (PEM) for mutual TLS; empty: none
  std::string key_file;   // its private key (PEM)
  std::string server_name;  // SNI and verified name; empty: the URL's host
  bool insecure_skip_verify = false;  // accept any server certificate
};

struct HttpClientOptions {
  std::chrono::milliseconds connect_timeout{10'000};  // TCP connect + TLS handshake
  std::chrono::milliseconds request_timeout{30'000};  // writing the request and reading the response
  TlsClientOptions tls;
};

struct ClientRequest {
  std::string method = "GET";
  std::string url;  // "http://host:port/path?query" or "https://..."
  KeyValues headers;
  std::string body;
};

struct ClientResponse {
  int status = 0;
  KeyValues headers;
  std::string body;
  // First header named `name` (case-insensitive); "" if absent.
  std::string_view Header(std::string_view name) const;
};

class HttpClient {
 public:
  explicit HttpClient(HttpClientOptions options = {});
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Sends `request` and returns the response (any status). Errors:
  // InvalidArgument for a bad URL or TLS files, Unavailable when the server
  // cannot be reached or the connection breaks, Timeout when a timeout hits.
  Result<ClientResponse> Do(const ClientRequest& request);

  // Connections opened so far (to observe keep-alive reuse).
  uint64_t connections_opened() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace skald::common::http
