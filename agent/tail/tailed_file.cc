#include "agent/tail/tailed_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include <cerrno>
#include <cstring>

namespace skald::agent::tail {

using common::Result;
using common::Status;

Result<std::unique_ptr<TailedFile>> TailedFile::Open(const std::string& path, uint64_t offset) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return Status::NotFound("no such file", path);
    return Status::IOError(std::string("open: ") + std::strerror(errno), path);
  }
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    return Status::IOError("fstat failed", path);
  }
  std::unique_ptr<TailedFile> f(new TailedFile(path, fd, st.st_dev, st.st_ino));
  if (offset > static_cast<uint64_t>(st.st_size)) offset = 0;
  f->offset_ = f->read_offset_ = offset;
  if (::lseek(fd, static_cast<off_t>(offset), SEEK_SET) < 0) {
    return Status::IOError("lseek failed", path);
  }
  f->UpdateFingerprint();
  return f;
}

TailedFile::TailedFile(std::string path, int fd, dev_t dev, ino_t ino)
    : path_(std::move(path)), fd_(fd), dev_(dev), ino_(ino) {}

TailedFile::~TailedFile() { ::close(fd_); }

uint64_t TailedFile::Size() const {
  struct stat st;
  size_seen_ = ::fstat(fd_, &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
  return size_seen_;
}

void TailedFile::UpdateFingerprint() {
  if (fingerprint_len_ >= kFingerprintBytes) return;
  char buf[kFingerprintBytes];
  ssize_t n = ::pread(fd_, buf, kFingerprintBytes, 0);
  if (n <= 0) return;
  fingerprint_len_ = static_cast<size_t>(n);
  fingerprint_ = XXH3_64bits(buf, fingerprint_len_);
}

bool TailedFile::Truncated() {
  uint64_t size = Size();
  if (size < read_offset_) return true;
  if (fingerprint_len_ > 0) {
    char buf[kFingerprintBytes];
    ssize_t n = ::pread(fd_, buf, fingerprint_len_, 0);
    if (n != static_cast<ssize_t>(fingerprint_len_) ||
        XXH3_64bits(buf, fingerprint_len_) != fingerprint_) {
      return true;
    }
  }
  UpdateFingerprint();
  return false;
}

void TailedFile::Reset() {
  offset_ = read_offset_ = 0;
  partial_.clear();
  fingerprint_len_ = 0;
  ::lseek(fd_, 0, SEEK_SET);
  UpdateFingerprint();
}

bool TailedFile::Replaced() const {
  struct stat st;
  if (::stat(path_.c_str(), &st) != 0) return true;
  return st.st_dev != dev_ || st.st_ino != ino_;
}

void TailedFile::EmitLine(std::string_view text, uint64_t start, uint64_t end,
                          std::vector<Line>* out) {
  if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
  Line& l = out->emplace_back();
  l.text.reserve(text.size() + kLineSparePadding);
  l.text.assign(text);
  l.start = start;
  l.end = end;
}

Result<size_t> TailedFile::ReadLines(size_t max_bytes, std::vector<Line>* out) {
  size_t total = 0;
  // One read buffer per thread (the agent reads every file from one thread),
  // not one per call: a fresh 256 KiB buffer per call costs a large malloc
  // and free (and heap consolidation) each time.
  thread_local std::string buf;
  while (total < max_bytes) {
    buf.resize(std::min(kReadChunkBytes, max_bytes - total));
    ssize_t n = ::read(fd_, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::IOError(std::string("read: ") + std::strerror(errno), path_);
    if (n == 0) break;
    total += static_cast<size_t>(n);
    read_offset_ += static_cast<uint64_t>(n);
    std::string_view data(buf.data(), static_cast<size_t>(n));
    while (!data.empty()) {
      size_t nl = data.find('\n');
      if (nl == std::string_view::npos) {
        size_t room = kMaxLineBytes - partial_.size();
        if (data.size() < room) {
          partial_.append(data);
          break;
        }
        partial_.append(data.substr(0, room));
        data.remove_prefix(room);
        uint64_t end = offset_ + partial_.size();
        EmitLine(partial_, offset_, end, out);
        offset_ = end;
        partial_.clear();
        continue;
      }
      uint64_t end = offset_ + partial_.size() + nl + 1;
      if (partial_.empty()) {
        EmitLine(data.substr(0, nl), offset_, end, out);
      } else {
        partial_.append(data.substr(0, nl));
        EmitLine(partial_, offset_, end, out);
        partial_.clear();
      }
      offset_ = end;
      data.remove_prefix(nl + 1);
    }
  }
  if (total > 0) UpdateFingerprint();
  return total;
}

void TailedFile::TakePartial(std::vector<Line>* out) {
  if (partial_.empty()) return;
  uint64_t end = offset_ + partial_.size();
  EmitLine(partial_, offset_, end, out);
  offset_ = end;
  partial_.clear();
}

}  // namespace skald::agent::tail
