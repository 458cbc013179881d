#include "server/logql/query_result.h"

namespace skald::server::logql {

void QueryStats::Merge(const QueryStats& o) {
  total_chunks_ref += o.total_chunks_ref;
  total_chunks_downloaded += o.total_chunks_downloaded;
  compressed_bytes += o.compressed_bytes;
  decompressed_bytes += o.decompressed_bytes;
  decompressed_lines += o.decompressed_lines;
  head_chunk_bytes += o.head_chunk_bytes;
  head_chunk_lines += o.head_chunk_lines;
  post_filter_lines += o.post_filter_lines;
  total_duplicates += o.total_duplicates;
  total_entries_returned += o.total_entries_returned;
  total_streams += o.total_streams;
  blocks_skipped_by_bloom += o.blocks_skipped_by_bloom;
  blocks_skipped_by_time += o.blocks_skipped_by_time;
}

}  // namespace skald::server::logql
