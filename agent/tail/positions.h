// Positions: the byte offset up to which each file has been shipped, saved in
// Promtail's positions.yaml format so an agent can replace Promtail in place:
//
//   positions:
//     /var/log/app.log: "1234"
//
// Keys are paths (as Promtail). Skald only stores offsets the server has
// acknowledged (Promtail stores bytes read). Save() is atomic: temp file,
// fsync, rename, fsync of the directory. Load() skips entries whose value is
// not a number instead of failing the whole file.
//
// Concurrency: all methods are thread-safe (one internal mutex).
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "common/status.h"

namespace skald::agent::tail {

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
  void Put(const std::string& path, uint64_t offset);
  void Remove(const std::string& path);
  std::map<std::string, uint64_t> Snapshot() const;
  const std::string& filename() const { return filename_; }

  // The positions.yaml text for `positions` (exposed for tests).
  static std::string Format(const std::map<std::string, uint64_t>& positions);

 private:
  const std::string filename_;
  mutable std::mutex mu_;
  std::map<std::string, uint64_t> positions_;  // guarded by mu_
};

}  // namespace skald::agent::tail
