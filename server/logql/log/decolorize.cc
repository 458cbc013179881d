#include "server/logql/log/decolorize.h"

#include <string.h>

namespace skald::server::logql::log {

namespace {
// The ansi-regex pattern Loki uses (ESC or CSI, then a colour/control tail).
constexpr const char* kAnsiPattern =
    "[\\x{1B}\\x{9B}][\\[\\]()#;?]*(?:(?:(?:[a-zA-Z\\d]*(?:;[a-zA-Z\\d]*)*)?\\x{07})"
    "|(?:(?:\\d{1,4}(?:;\\d{0,4})*)?[\\dA-PRZcf-ntqry=><~]))";
}  // namespace

Decolorize::Decolorize() : re_(std::make_unique<RE2>(kAnsiPattern)) {}

bool Decolorize::Process(int64_t, std::string_view& line, LabelsBuilder& lbs) const {
  // Fast path: no ESC and no (UTF-8 encoded) CSI byte.
  if (memchr(line.data(), 0x1b, line.size()) == nullptr && memchr(line.data(), 0x9b, line.size()) == nullptr) {
    return true;
  }
  std::string& out = lbs.scratch().LineBuffer(line);
  out.assign(line);
  RE2::GlobalReplace(&out, *re_, "");
  line = out;
  return true;
}

}  // namespace skald::server::logql::log
