// ClientConfig: one entry of Promtail's `clients:` list. Defaults are
// Promtail's (clients/pkg/promtail/client/config.go).
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "common/http/http_client.h"

namespace skald::agent::client {

struct BackoffConfig {
  int64_t min_period_ns = 500'000'000;        // first retry delay
  int64_t max_period_ns = 300'000'000'000;    // delay cap (5m)
  int64_t max_retries = 10;                   // then the batch is dropped
};

struct BasicAuth {
  std::string username;
  std::string password;
  std::string password_file;  // read at startup; wins over password
};

struct ClientConfig {
  std::string url;                          // push URL (required)
  std::string tenant_id;                    // X-Scope-OrgID when entries carry none
  int64_t batchwait_ns = 1'000'000'000;     // send a batch at most this old
  int64_t batchsize_bytes = 1 << 20;        // send before a batch exceeds this (line bytes)
  int64_t timeout_ns = 10'000'000'000;      // per push request
  BackoffConfig backoff;
  std::map<std::string, std::string> external_labels;  // added to every stream
  BasicAuth basic_auth;
  std::string bearer_token;
  std::string bearer_token_file;
  common::http::TlsClientOptions tls;
  bool drop_rate_limited_batches = false;   // drop 429s instead of retrying
};

}  // namespace skald::agent::client
