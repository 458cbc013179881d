// Helpers for tail tests: a temporary directory and file writers.
#pragma once

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace skald::agent::tail::testing {

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/skald-tail-XXXXXX";
    path_ = mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

inline void Append(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::app | std::ios::binary);
  out << data;
}

inline void Write(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::trunc | std::ios::binary);
  out << data;
}

}  // namespace skald::agent::tail::testing
