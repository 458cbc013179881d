// Helpers shared by the pipeline stage tests.
#pragma once

#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <vector>

#include "common/labels.h"
#include "server/logql/log/pipeline.h"

namespace skald::server::logql::log::testing {

inline common::Labels L(const std::string& text) {
  auto r = common::ParseLabels(text);
  REQUIRE(r.ok());
  return r.value();
}

// Runs `stages` on one line of a stream; returns labels as text ("" if dropped)
// and the final line in *out_line.
inline std::string Run(std::vector<StagePtr> stages, const std::string& stream, const std::string& line,
                       std::string* out_line = nullptr, int64_t ts = 0,
                       const std::vector<common::Label>* md = nullptr) {
  Pipeline p(std::move(stages));
  auto r = p.ForStream(L(stream)).Process(ts, line, md);
  if (!r.keep) return "";
  if (out_line) *out_line = std::string(r.line);
  return r.labels->labels.ToString();
}

template <typename T>
StagePtr Must(common::Result<std::unique_ptr<T>> r) {
  if (!r.ok()) FAIL(r.status().message());
  return StagePtr(std::move(r.value()));
}

}  // namespace skald::server::logql::log::testing
