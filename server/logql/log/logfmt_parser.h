// LogfmtParser: `| logfmt [--strict] [--keep-empty] [label="key", key2, ...]`
// (CONTRACT §3.5, Loki 3.x rules): pairs become labels (keys sanitised, first
// duplicate wins); keys without a value are skipped unless keep_empty;
// malformed pairs are skipped silently, or with `strict` stop parsing and set
// `__error__=LogfmtParserErr` + details.
// Immutable after construction; thread-safe (the decoder is per call).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "server/logql/log/stage.h"

namespace skald::server::logql::log {

struct LogfmtOptions {
  bool strict = false;      // --strict: stop at the first malformed pair, flag the error
  bool keep_empty = false;  // --keep-empty: keep `key` / `key=` as ""
};

// `label="key"`; a bare `key` is {key, key}.
struct LogfmtParam {
  std::string label;
  std::string key;
};

class LogfmtParser final : public Stage {
 public:
  // With params only the listed keys are extracted (to their labels).
  // InvalidArgument on an invalid label name.
  static common::Result<std::unique_ptr<LogfmtParser>> Create(LogfmtOptions opts,
                                                              std::vector<LogfmtParam> params = {});
  // Without params: extracts only keys whose sanitised name is in `allow` (a
  // name `x_extracted` also allows `x`); `--strict` errors are unchanged.
  // An empty `allow` extracts nothing. For metric queries reading few labels.
  static std::unique_ptr<LogfmtParser> CreateRestricted(LogfmtOptions opts, std::vector<std::string> allow);
  bool Process(int64_t ts_ns, std::string_view& line, LabelsBuilder& lbs) const override;

 private:
  LogfmtParser(LogfmtOptions o, std::vector<LogfmtParam> p) : opts_(o), params_(std::move(p)) {}
  LogfmtOptions opts_;
  std::vector<LogfmtParam> params_;
  bool restricted_ = false;         // only names in allow_ (params_ empty)
  std::vector<std::string> allow_;  // with `_extracted` names also stripped
};

}  // namespace skald::server::logql::log
