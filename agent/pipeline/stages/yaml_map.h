// YamlMap: strict reading of one YAML mapping from a config file.
//
// Every config section (agent options, each pipeline stage) reads its fields
// through a YamlMap, so unknown keys and wrong types fail the same way: a
// Status naming `file:line: key.path: message`. yaml-cpp exceptions never
// escape. Not thread-safe; use one YamlMap per section on one thread.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace skald::agent::pipeline {

using common::Result;
using common::Status;

class YamlMap {
 public:
  // `node` may be null/undefined (treated as an empty map). `path` is the
  // dotted key path of this section ("clients[0]"); `file` names the config.
  YamlMap(const YAML::Node& node, std::string file, std::string path);

  // InvalidArgument when the node is neither a map nor null.
  Status CheckIsMap() const;
  // InvalidArgument naming the first key that no Get* call asked for.
  Status CheckNoUnknownKeys() const;

  bool Has(std::string_view key) const;
  const YAML::Node& node() const { return node_; }
  const std::string& file() const { return file_; }
  // "path.key" for messages and nested sections.
  std::string PathOf(std::string_view key) const;
  // "file:line: path.key: msg" as InvalidArgument.
  Status Error(std::string_view key, std::string_view msg) const;
  // Same, for a node that is not a direct child.
  static Status ErrorAt(const std::string& file, const YAML::Node& node,
                        std::string_view path, std::string_view msg);

  // Each Get leaves *out untouched when the key is absent (so it keeps its
  // default) and returns InvalidArgument when present with the wrong type.
  Status GetString(std::string_view key, std::string* out);
  Status GetBool(std::string_view key, bool* out);
  Status GetInt(std::string_view key, int64_t* out);
  Status GetDouble(std::string_view key, double* out);
  // Prometheus/Go duration ("500ms", "1m30s", "5m") in nanoseconds.
  Status GetDuration(std::string_view key, int64_t* out_ns);
  // Byte sizes: an integer or "1MiB"/"512KB"/"1mb" style strings.
  Status GetBytes(std::string_view key, int64_t* out);
  Status GetStringList(std::string_view key, std::vector<std::string>* out);
  Status GetStringMap(std::string_view key, std::map<std::string, std::string>* out);
  // Marks `key` as known and returns its node (undefined when absent).
  YAML::Node GetNode(std::string_view key);

 private:
  YAML::Node Child(std::string_view key, bool* present);

  YAML::Node node_;
  std::string file_;
  std::string path_;
  std::set<std::string, std::less<>> known_;
};

// Parses "1MiB", "10MB", "512kb", "1048576" into bytes.
Result<int64_t> ParseByteSize(std::string_view text);

}  // namespace skald::agent::pipeline
