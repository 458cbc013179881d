// QueryResult: what the LogQL engine returns, before JSON encoding.
//
// Log queries yield LogLines (each carries its stream labels, structured
// metadata and parsed labels separately, so the encoder can either merge
// them — Loki's default — or categorize them). Metric queries yield Series
// (matrix; a vector is a matrix with one point per series) or a scalar.
// Plain values: safe to move between threads.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/labels.h"
#include "server/logql/log/labels_builder.h"

namespace skald::server::logql {

enum class ResultType : uint8_t { kStreams = 0, kMatrix = 1, kVector = 2, kScalar = 3 };

struct LogLine {
  int64_t timestamp_ns = 0;
  std::string line;
  // The line's labels after the pipeline: all of them, and split into stream
  // labels, structured metadata and parsed labels (incl. __error__). Shared:
  // lines with the same label set point at one LabelsResult.
  std::shared_ptr<const log::LabelsResult> labels;
};

struct Point {
  int64_t t_ms = 0;  // evaluation time, milliseconds
  double value = 0;
};

struct Series {
  common::Labels metric;
  std::vector<Point> points;  // oldest first
};

// Counters behind Loki's `stats` object (CONTRACT §5.1).
struct QueryStats {
  int64_t exec_time_ns = 0;
  uint64_t total_chunks_ref = 0;
  uint64_t total_chunks_downloaded = 0;
  uint64_t compressed_bytes = 0;
  uint64_t decompressed_bytes = 0;
  uint64_t decompressed_lines = 0;
  uint64_t head_chunk_bytes = 0;
  uint64_t head_chunk_lines = 0;
  uint64_t post_filter_lines = 0;
  uint64_t total_duplicates = 0;
  uint64_t total_entries_returned = 0;
  uint64_t total_streams = 0;
  uint64_t blocks_skipped_by_bloom = 0;
  uint64_t blocks_skipped_by_time = 0;

  void Merge(const QueryStats& o);
};

struct QueryResult {
  ResultType type = ResultType::kStreams;
  std::vector<LogLine> lines;  // kStreams, in the requested direction
  std::vector<Series> series;  // kMatrix, kVector
  Point scalar;                // kScalar
  // Instant queries with sort/sort_desc keep the evaluator's order.
  bool keep_order = false;
  std::vector<std::string> warnings;
  QueryStats stats;
};

}  // namespace skald::server::logql
