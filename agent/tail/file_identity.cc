#include "agent/tail/file_identity.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include <charconv>
#include <cinttypes>
#include <cstdio>

namespace skald::agent::tail {

std::string FileIdentity::ToString() const {
  char buf[96];
  std::snprintf(buf, sizeof(buf), "%" PRIu64 ":%" PRIu64 ":%" PRIu32 ":%016" PRIx64, dev, ino,
                fingerprint_len, fingerprint);
  return buf;
}

namespace {

template <typename T>
bool ParseField(std::string_view* text, int base, bool last, T* out) {
  size_t end = last ? text->size() : text->find(':');
  if (end == std::string_view::npos || end == 0) return false;
  std::string_view field = text->substr(0, end);
  auto [ptr, ec] = std::from_chars(field.data(), field.data() + field.size(), *out, base);
  if (ec != std::errc() || ptr != field.data() + field.size()) return false;
  text->remove_prefix(last ? end : end + 1);
  return true;
}

// Hash of the first `len` bytes of the open file; nullopt when shorter.
std::optional<uint64_t> HeadHash(int fd, uint32_t len) {
  if (len > kFingerprintBytes) return std::nullopt;
  char buf[kFingerprintBytes];
  size_t done = 0;
  while (done < len) {
    ssize_t n = ::pread(fd, buf + done, len - done, static_cast<off_t>(done));
    if (n <= 0) return std::nullopt;
    done += static_cast<size_t>(n);
  }
  return XXH3_64bits(buf, len);
}

// Opens `path` read-only and stats it; false when it is not a regular file.
bool OpenRegular(const std::string& path, int* fd, struct stat* st) {
  *fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (*fd < 0) return false;
  if (::fstat(*fd, st) != 0 || !S_ISREG(st->st_mode)) {
    ::close(*fd);
    return false;
  }
  return true;
}

bool CheckHead(const std::string& path, const FileIdentity& id, bool same_inode,
               uint64_t min_size) {
  int fd;
  struct stat st;
  if (!OpenRegular(path, &fd, &st)) return false;
  bool ok = true;
  if (same_inode) {
    ok = static_cast<uint64_t>(st.st_dev) == id.dev && static_cast<uint64_t>(st.st_ino) == id.ino;
  }
  ok = ok && static_cast<uint64_t>(st.st_size) >= min_size;
  if (ok && id.fingerprint_len > 0) {  // no head bytes (an empty file): nothing to compare
    std::optional<uint64_t> h = HeadHash(fd, id.fingerprint_len);
    ok = h.has_value() && *h == id.fingerprint;
  }
  ::close(fd);
  return ok;
}

bool IsRotationName(std::string_view name, std::string_view base) {
  if (name.size() <= base.size() + 1 || !name.starts_with(base)) return false;
  char sep = name[base.size()];
  return sep == '.' || sep == '-' || sep == '_';
}

}  // namespace

std::optional<FileIdentity> FileIdentity::Parse(std::string_view text) {
  FileIdentity id;
  if (!ParseField(&text, 10, false, &id.dev) || !ParseField(&text, 10, false, &id.ino) ||
      !ParseField(&text, 10, false, &id.fingerprint_len) ||
      !ParseField(&text, 16, true, &id.fingerprint)) {
    return std::nullopt;
  }
  if (!text.empty() || id.fingerprint_len > kFingerprintBytes) return std::nullopt;
  return id;
}

bool IdentityMatches(const std::string& path, const FileIdentity& id) {
  return CheckHead(path, id, /*same_inode=*/true, 0);
}

bool HeadMatches(const std::string& path, const FileIdentity& id) {
  return id.fingerprint_len > 0 && CheckHead(path, id, /*same_inode=*/false, 0);
}

std::optional<std::string> FindRotatedFile(const std::string& path, const FileIdentity& id,
                                           uint64_t min_size) {
  size_t slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "." : path.substr(0, slash == 0 ? 1 : slash);
  std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  std::string prefix = slash == std::string::npos ? "" : path.substr(0, slash + 1);
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return std::nullopt;
  std::optional<std::string> by_inode, by_copy;
  size_t seen = 0;
  while (struct dirent* e = ::readdir(d)) {
    if (++seen > kMaxRotationCandidates) break;
    std::string_view name = e->d_name;
    if (name == "." || name == ".." || name == base) continue;
    std::string candidate = prefix + std::string(name);
    // stat, not d_ino: overlay filesystems may report another inode in readdir.
    struct stat st;
    if (::stat(candidate.c_str(), &st) != 0) continue;
    if (static_cast<uint64_t>(st.st_dev) == id.dev && static_cast<uint64_t>(st.st_ino) == id.ino &&
        IdentityMatches(candidate, id)) {
      by_inode = candidate;
      break;
    }
    if (!by_copy && IsRotationName(name, base) && id.fingerprint_len > 0 &&
        CheckHead(candidate, id, /*same_inode=*/false, min_size)) {
      by_copy = candidate;
    }
  }
  ::closedir(d);
  return by_inode ? by_inode : by_copy;
}

}  // namespace skald::agent::tail
