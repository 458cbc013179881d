// JsonScratch: the simdjson On-Demand parser and padded input buffer reused by
// the JSON stages of one stream (only JSON stages include this header).
#pragma once

#include <simdjson.h>

#include <string>
#include <string_view>

#include "server/logql/log/stage_scratch.h"

namespace skald::server::logql::log {

struct JsonScratch {
  simdjson::ondemand::parser parser;
  std::string padded;  // line copy with SIMDJSON_PADDING spare bytes
  std::string key;     // flattened-key builder
  std::string value;   // unescaped value / raw JSON text

  // A padded view of `line` for simdjson: copies into `padded` (a memcpy into
  // reused capacity; no allocation once warm).
  simdjson::padded_string_view Pad(std::string_view line) {
    padded.assign(line);
    padded.reserve(line.size() + simdjson::SIMDJSON_PADDING);
    return simdjson::padded_string_view(padded.data(), padded.size(), padded.capacity());
  }
};

}  // namespace skald::server::logql::log
