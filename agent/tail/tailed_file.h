// TailedFile: one open log file read in large chunks and split into lines.
//
// Identity is (dev, inode) plus a fingerprint (xxh3) of the first bytes, so
// rotation (the path now names another inode), truncation (size below our
// offset) and copytruncate refilled past our offset (head bytes changed) are
// all detected. A partial last line is kept until its newline arrives; a line
// longer than kMaxLineBytes is cut into kMaxLineBytes pieces.
//
// Concurrency: not thread-safe; owned and driven by the agent's reader thread.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "agent/tail/file_identity.h"
#include "common/status.h"

namespace skald::agent::tail {

// Longest line kept in one piece; longer lines are split at this size.
inline constexpr size_t kMaxLineBytes = 1024 * 1024;
// Spare capacity reserved after each line's text, so a parser that reads
// past the end (simdjson On-Demand needs 64 bytes) parses it in place.
inline constexpr size_t kLineSparePadding = 64;
// Bytes read per read(2) call.
inline constexpr size_t kReadChunkBytes = 256 * 1024;

struct Line {
  std::string text;    // without the trailing "\n" (and "\r"); kLineSparePadding spare capacity
  uint64_t start = 0;  // file offset of the first byte
  uint64_t end = 0;    // file offset just past the newline
};

class TailedFile {
 public:
  // Opens `path` and seeks to `offset`; an offset beyond the end of the file
  // restarts at 0 (as Promtail does). IOError/NotFound on failure.
  static common::Result<std::unique_ptr<TailedFile>> Open(const std::string& path, uint64_t offset);
  ~TailedFile();
  TailedFile(const TailedFile&) = delete;
  TailedFile& operator=(const TailedFile&) = delete;

  // Reads up to `max_bytes` and appends complete lines to `out`. Returns the
  // number of bytes read (0 at EOF). IOError on read failure.
  common::Result<size_t> ReadLines(size_t max_bytes, std::vector<Line>* out);
  // Appends the partial last line, if any, as a line (the file is finished).
  void TakePartial(std::vector<Line>* out);

  // True when the file shrank below what we read or its head bytes changed
  // (truncate, copytruncate); the caller should Reset().
  bool Truncated();
  // Restarts reading at offset 0 and forgets the partial line.
  void Reset();
  // True when `path` no longer names this file (rotated by rename, deleted).
  bool Replaced() const;

  const std::string& path() const { return path_; }
  uint64_t offset() const { return offset_; }  // bytes consumed into lines
  uint64_t read_offset() const { return read_offset_; }
  // Current size of the open file (fstat); 0 on error. Remembered as
  // size_seen().
  uint64_t Size() const;
  // The size at the last Size() call (Truncated() makes one), without a
  // syscall: while the file is not truncated it only grows, so a
  // size_seen() beyond read_offset() means the file is not at its end.
  uint64_t size_seen() const { return size_seen_; }
  dev_t dev() const { return dev_; }
  ino_t ino() const { return ino_; }
  // (dev, inode) and the fingerprint of the head bytes read so far.
  FileIdentity identity() const {
    return FileIdentity{static_cast<uint64_t>(dev_), static_cast<uint64_t>(ino_),
                        static_cast<uint32_t>(fingerprint_len_), fingerprint_};
  }

 private:
  TailedFile(std::string path, int fd, dev_t dev, ino_t ino);
  void UpdateFingerprint();
  void EmitLine(std::string_view text, uint64_t start, uint64_t end, std::vector<Line>* out);

  const std::string path_;
  int fd_;
  dev_t dev_;
  ino_t ino_;
  uint64_t offset_ = 0;       // start of the partial line
  uint64_t read_offset_ = 0;  // bytes read from the file
  mutable uint64_t size_seen_ = 0;  // see size_seen()
  std::string partial_;       // bytes after the last newline
  size_t fingerprint_len_ = 0;
  uint64_t fingerprint_ = 0;
};

}  // namespace skald::agent::tail
