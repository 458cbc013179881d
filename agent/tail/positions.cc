#include "agent/tail/positions.h"

#include <fcntl.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace skald::agent::tail {

using common::Status;

Positions::Positions(std::string filename) : filename_(std::move(filename)) {}

namespace {

std::optional<uint64_t> ParseOffset(const std::string& v) {
  char* end = nullptr;
  errno = 0;
  unsigned long long n = std::strtoull(v.c_str(), &end, 10);
  if (v.empty() || *end != '\0' || errno != 0 || v[0] == '-') return std::nullopt;
  return n;
}

// "<dev>:<ino>:<len>:<fp>:<path>" -> identity and path.
std::optional<RotatedPosition> ParseRotatedKey(std::string_view key) {
  size_t colons = 0, i = 0;
  for (; i < key.size() && colons < 4; ++i) colons += key[i] == ':';
  if (colons < 4 || i >= key.size()) return std::nullopt;
  std::optional<FileIdentity> id = FileIdentity::Parse(key.substr(0, i - 1));
  if (!id) return std::nullopt;
  return RotatedPosition{std::string(key.substr(i)), *id, 0};
}

}  // namespace

Status Positions::Load(bool ignore_invalid_yaml) {
  std::ifstream in(filename_);
  if (!in) return Status::OK();
  std::stringstream ss;
  ss << in.rdbuf();
  std::map<std::string, uint64_t> loaded;
  std::map<std::string, FileIdentity> identities;
  std::vector<RotatedPosition> rotated;
  try {
    YAML::Node root = YAML::Load(ss.str());
    YAML::Node pos = root.IsMap() ? root["positions"] : YAML::Node();
    if (pos.IsMap()) {
      for (const auto& kv : pos) {
        if (!kv.second.IsScalar() || !kv.first.IsScalar()) continue;
        const std::string& key = kv.first.Scalar();
        const std::string& v = kv.second.Scalar();
        if (key.starts_with(kIdentityKeyPrefix)) {
          if (auto id = FileIdentity::Parse(v)) {
            identities[key.substr(kIdentityKeyPrefix.size())] = *id;
          }
          continue;
        }
        std::optional<uint64_t> n = ParseOffset(v);
        if (!n) continue;  // corrupt entry
        if (key.starts_with(kRotatedKeyPrefix)) {
          if (auto r = ParseRotatedKey(std::string_view(key).substr(kRotatedKeyPrefix.size()))) {
            r->offset = *n;
            rotated.push_back(std::move(*r));
          }
          continue;
        }
        loaded[key] = *n;
      }
    } else if (!root.IsNull() && !(root.IsMap() && !pos.IsDefined())) {
      if (!ignore_invalid_yaml) return Status::Corruption("positions: not a map", filename_);
    }
  } catch (const YAML::Exception& e) {
    if (!ignore_invalid_yaml) {
      return Status::Corruption(std::string("invalid positions file: ") + e.what(), filename_);
    }
  }
  // An identity without an offset means nothing.
  std::erase_if(identities, [&](const auto& kv) { return !loaded.contains(kv.first); });
  std::lock_guard<std::mutex> lock(mu_);
  positions_ = std::move(loaded);
  identities_ = std::move(identities);
  rotated_ = std::move(rotated);
  return Status::OK();
}

std::string Positions::Format(const std::map<std::string, uint64_t>& positions,
                              const std::map<std::string, FileIdentity>& identities,
                              const std::vector<RotatedPosition>& rotated) {
  YAML::Emitter out;
  out << YAML::BeginMap << YAML::Key << "positions" << YAML::Value << YAML::BeginMap;
  for (const auto& [path, off] : positions) {
    out << YAML::Key << path << YAML::Value << YAML::DoubleQuoted << std::to_string(off);
    auto id = identities.find(path);
    if (id != identities.end()) {
      out << YAML::Key << std::string(kIdentityKeyPrefix) + path << YAML::Value
          << YAML::DoubleQuoted << id->second.ToString();
    }
  }
  for (const RotatedPosition& r : rotated) {
    out << YAML::Key
        << std::string(kRotatedKeyPrefix) + r.identity.ToString() + ":" + r.path
        << YAML::Value << YAML::DoubleQuoted << std::to_string(r.offset);
  }
  out << YAML::EndMap << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

namespace {

Status WriteAll(int fd, const std::string& data, const std::string& path) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::IOError(std::string("write: ") + std::strerror(errno), path);
    done += static_cast<size_t>(n);
  }
  return Status::OK();
}

}  // namespace

Status Positions::Save() {
  std::string text;
  {
    std::lock_guard<std::mutex> lock(mu_);
    text = Format(positions_, identities_, rotated_);
  }
  std::string tmp = filename_ + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Status::IOError(std::string("open: ") + std::strerror(errno), tmp);
  Status s = WriteAll(fd, text, tmp);
  if (s.ok() && ::fsync(fd) != 0) s = Status::IOError("fsync failed", tmp);
  ::close(fd);
  if (s.ok() && ::rename(tmp.c_str(), filename_.c_str()) != 0) {
    s = Status::IOError(std::string("rename: ") + std::strerror(errno), filename_);
  }
  if (!s.ok()) {
    ::unlink(tmp.c_str());
    return s;
  }
  size_t slash = filename_.rfind('/');
  std::string dir = slash == std::string::npos ? "." : filename_.substr(0, slash == 0 ? 1 : slash);
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return Status::OK();
}

std::optional<uint64_t> Positions::Get(const std::string& path) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = positions_.find(path);
  if (it == positions_.end()) return std::nullopt;
  return it->second;
}

std::optional<FileIdentity> Positions::GetIdentity(const std::string& path) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = identities_.find(path);
  if (it == identities_.end()) return std::nullopt;
  return it->second;
}

void Positions::Put(const std::string& path, uint64_t offset) {
  std::lock_guard<std::mutex> lock(mu_);
  positions_[path] = offset;
  identities_.erase(path);
}

void Positions::Put(const std::string& path, uint64_t offset, const FileIdentity& identity) {
  std::lock_guard<std::mutex> lock(mu_);
  positions_[path] = offset;
  identities_[path] = identity;
}

void Positions::Remove(const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  positions_.erase(path);
  identities_.erase(path);
}

std::vector<RotatedPosition> Positions::Rotated() const {
  std::lock_guard<std::mutex> lock(mu_);
  return rotated_;
}

void Positions::SetRotated(std::vector<RotatedPosition> rotated) {
  std::lock_guard<std::mutex> lock(mu_);
  rotated_ = std::move(rotated);
}

std::map<std::string, uint64_t> Positions::Snapshot() const {
  std::lock_guard<std::mutex> lock(mu_);
  return positions_;
}

}  // namespace skald::agent::tail
