// FileIdentity: what a tailed file is, independent of its path: (device,
// inode) plus an xxh3 fingerprint of its first `fingerprint_len` bytes (at
// most kFingerprintBytes). Saved with each position so a restart can tell
// whether the path still names the file it was reading and, when not, find
// the rotated file (renamed in the same directory, or a copytruncate copy)
// and drain it from the saved offset.
//
// Concurrency: plain values and free functions; thread-compatible.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace skald::agent::tail {

// Bytes hashed for the head fingerprint.
inline constexpr size_t kFingerprintBytes = 1024;
// Directory entries examined when looking for a rotated file; beyond it the
// search gives up (the file counts as not found).
inline constexpr size_t kMaxRotationCandidates = 10000;

struct FileIdentity {
  uint64_t dev = 0;
  uint64_t ino = 0;
  uint32_t fingerprint_len = 0;  // bytes hashed (0: empty file, matches any head)
  uint64_t fingerprint = 0;      // xxh3 of the first fingerprint_len bytes

  bool operator==(const FileIdentity&) const = default;

  // "dev:ino:len:hex", the form stored in the positions file.
  std::string ToString() const;
  // Parses ToString()'s form; nullopt when malformed.
  static std::optional<FileIdentity> Parse(std::string_view text);
};

// True when the file at `path` is `id`'s file: same device and inode and
// the same first id.fingerprint_len bytes. False when missing or different.
bool IdentityMatches(const std::string& path, const FileIdentity& id);

// True when the file at `path` starts with the bytes `id` fingerprints
// (ignoring device and inode; a copy of the file). False when id has no
// fingerprint bytes.
bool HeadMatches(const std::string& path, const FileIdentity& id);

// Looks in the directory of `path` for the file `id` names after `path` was
// rotated: first any file (other than `path`) with the same device, inode
// and head bytes (rotated by rename); failing that a file named like a
// rotation of `path` (`<name>.<suffix>`, `<name>-<suffix>`) at least
// `min_size` bytes long whose head bytes match (a copytruncate copy).
// Returns its path, or nullopt when none is found.
std::optional<std::string> FindRotatedFile(const std::string& path, const FileIdentity& id,
                                           uint64_t min_size);

}  // namespace skald::agent::tail
