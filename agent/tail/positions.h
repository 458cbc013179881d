// Positions: the byte offset up to which each file has been shipped, saved in
// Promtail's positions.yaml format so an agent can replace Promtail in place:
//
//   positions:
//     /var/log/app.log: "1234"
//     skald-identity:/var/log/app.log: "2049:131:1024:9f86d081884c7d65"
//     skald-rotated:2049:130:1024:0123456789abcdef:/var/log/app.log: "77"
//
// Keys are paths (as Promtail). Skald also stores, as extra entries of the
// same map, the identity (FileIdentity: device, inode, head fingerprint) of
// the file each offset belongs to, and the files being drained after a
// rotation (identity, offset, the path they were rotated from). Promtail
// reads positions files with yaml.UnmarshalStrict, so a new top-level key
// would make it refuse the file; extra map entries are read as positions of
// files that do not exist and dropped by its cleanup, so a file written by
// Skald stays readable by Promtail (and Promtail's files by Skald, without
// identities: offsets are then applied by path, as Promtail does).
//
// Skald only stores offsets the server has acknowledged (Promtail stores
// bytes read). Save() is atomic: temp file, fsync, rename, fsync of the
// directory. Load() skips entries whose value is not a number (or whose
// identity does not parse) instead of failing the whole file.
//
// Concurrency: all methods are thread-safe (one internal mutex).
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "agent/tail/file_identity.h"

#include "common/status.h"

namespace skald::agent::tail {

// Key prefixes of Skald's extra entries in the positions map.
inline constexpr std::string_view kIdentityKeyPrefix = "skald-identity:";
inline constexpr std::string_view kRotatedKeyPrefix = "skald-rotated:";

// A rotated file still being drained: `path` is the path it was tailed
// under (its labels), `identity` finds it again, `offset` is where to resume.
struct RotatedPosition {
  std::string path;
  FileIdentity identity;
  uint64_t offset = 0;
  bool operator==(const RotatedPosition&) const = default;
};

class Positions {
 public:
  // `filename` is where Load/Save read and write.
  explicit Positions(std::string filename);
  Positions(const Positions&) = delete;
  Positions& operator=(const Positions&) = delete;

  // Reads the file. A missing or empty file is OK (no positions). A file that
  // is not valid YAML: Corruption, or OK with no positions when
  // `ignore_invalid_yaml` (Promtail's option of the same name).
  common::Status Load(bool ignore_invalid_yaml);
  // Writes all positions atomically. IOError naming the path on failure.
  common::Status Save();

  std::optional<uint64_t> Get(const std::string& path) const;
  // The identity saved with `path`'s offset; nullopt when none (e.g. a
  // Promtail positions file, or a path whose file was not open).
  std::optional<FileIdentity> GetIdentity(const std::string& path) const;
  // Sets the offset of `path` and forgets its identity.
  void Put(const std::string& path, uint64_t offset);
  // Sets the offset of `path` and the identity of the file it belongs to.
  void Put(const std::string& path, uint64_t offset, const FileIdentity& identity);
  // Forgets the offset and identity of `path`.
  void Remove(const std::string& path);
  // Offsets by path (without identities or rotated files).
  std::map<std::string, uint64_t> Snapshot() const;
  // Rotated files being drained, as last set or loaded.
  std::vector<RotatedPosition> Rotated() const;
  void SetRotated(std::vector<RotatedPosition> rotated);
  const std::string& filename() const { return filename_; }

  // The positions.yaml text (exposed for tests).
  static std::string Format(const std::map<std::string, uint64_t>& positions,
                            const std::map<std::string, FileIdentity>& identities = {},
                            const std::vector<RotatedPosition>& rotated = {});

 private:
  const std::string filename_;
  mutable std::mutex mu_;
  std::map<std::string, uint64_t> positions_;         // guarded by mu_
  std::map<std::string, FileIdentity> identities_;    // guarded by mu_; keys in positions_
  std::vector<RotatedPosition> rotated_;              // guarded by mu_
};

}  // namespace skald::agent::tail
