// Encodes QueryResults as Loki's JSON (CONTRACT §1.4, §5.1): the
// `{"status":"success","data":{resultType,result,stats}}` envelope with
// streams, matrix, vector or scalar results. Pure functions.
#pragma once

#include <string>

#include "common/thread_pool.h"
#include "server/logql/query_result.h"

namespace skald::server::api {

struct EncodeOptions {
  // X-Loki-Response-Encoding-Flags: categorize-labels — streams keep only
  // their stream labels; each value gets {"structuredMetadata","parsed"}.
  bool categorize_labels = false;
  // When set, the streams of a long log result are written on two threads
  // of it (the bytes are the same either way).
  common::ThreadPool* pool = nullptr;
};

// The full response body of /loki/api/v1/query and /query_range.
std::string EncodeQueryResponse(const logql::QueryResult& result, const EncodeOptions& opts);

// The body of the legacy /api/prom/query (streams only, metadata dropped).
std::string EncodeLegacyQueryResponse(const logql::QueryResult& result);

// Loki's `stats` object with every key present.
void AppendStatsJson(std::string* out, const logql::QueryStats& stats);

// Prometheus model.Time text: Unix seconds with up to three decimals.
std::string FormatModelTime(int64_t t_ms);

}  // namespace skald::server::api
