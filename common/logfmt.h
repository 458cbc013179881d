// Logfmt decoder: `key=value key2="quoted \"value\"" flag` (Loki's adaptation
// of go-logfmt, pkg/logql/log/logfmt/decode.go), used by `| logfmt` and the
// agent's logfmt stage.
//
// A LogfmtDecoder walks one line without copying: keys and unquoted values are
// views into the line; a quoted value with escapes is unescaped into an
// internal buffer. Not thread-safe; reuse one per thread.
#pragma once

#include <string>
#include <string_view>

namespace skald::common {

class LogfmtDecoder {
 public:
  LogfmtDecoder() = default;
  LogfmtDecoder(const LogfmtDecoder&) = delete;
  LogfmtDecoder& operator=(const LogfmtDecoder&) = delete;

  // Starts decoding `line` (which must outlive the decoder's use of it).
  void Reset(std::string_view line);
  // True when the whole line has been consumed.
  bool Eol() const { return pos_ >= line_.size(); }

  // Advances to the next pair. Returns true with key()/value() set (value()
  // empty for `key` and `key=`); false at the end of the line or on a
  // malformed pair (then err() is set and the pair was skipped).
  bool ScanKeyval();
  std::string_view key() const { return key_; }
  std::string_view value() const { return value_; }

  // The first error of the line, e.g. `logfmt syntax error at pos 15 :
  // unexpected '='`; empty when none. (Later errors overwrite it, as in Loki.)
  const std::string& err() const { return err_; }

 private:
  void SyntaxError(std::string_view msg);
  void UnexpectedByte(char c);
  bool SkipValue();

  std::string_view line_;
  size_t pos_ = 0;
  std::string_view key_;
  std::string_view value_;
  std::string unescaped_;
  std::string err_;
};

// Decodes a JSON-style quoted string including its quotes (`"a\"b"`) into
// `*out`. Returns false on an invalid escape or missing quotes.
bool UnquoteJsonString(std::string_view quoted, std::string* out);

}  // namespace skald::common
