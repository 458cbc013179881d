#include "agent/pipeline/stages/yaml_map.h"

#include <cctype>
#include <string>

#include "common/time.h"

namespace skald::agent::pipeline {

namespace {

bool IsNullish(const YAML::Node& n) { return !n.IsDefined() || n.IsNull(); }

}  // namespace

YamlMap::YamlMap(const YAML::Node& node, std::string file, std::string path)
    : node_(node), file_(std::move(file)), path_(std::move(path)) {}

Status YamlMap::ErrorAt(const std::string& file, const YAML::Node& node,
                        std::string_view path, std::string_view msg) {
  std::string text = file;
  if (node.IsDefined() && node.Mark().line >= 0) {
    text += ":" + std::to_string(node.Mark().line + 1);
  }
  text += ": ";
  if (!path.empty()) {
    text.append(path);
    text += ": ";
  }
  text.append(msg);
  return Status::InvalidArgument(text);
}

std::string YamlMap::PathOf(std::string_view key) const {
  if (path_.empty()) return std::string(key);
  return path_ + "." + std::string(key);
}

Status YamlMap::Error(std::string_view key, std::string_view msg) const {
  bool present = false;
  YAML::Node n = const_cast<YamlMap*>(this)->Child(key, &present);
  return ErrorAt(file_, present ? n : node_, PathOf(key), msg);
}

Status YamlMap::CheckIsMap() const {
  if (IsNullish(node_) || node_.IsMap()) return Status::OK();
  return ErrorAt(file_, node_, path_, "expected a mapping");
}

Status YamlMap::CheckNoUnknownKeys() const {
  if (!node_.IsMap()) return Status::OK();
  for (const auto& kv : node_) {
    std::string key = kv.first.Scalar();
    if (!known_.contains(key)) {
      return ErrorAt(file_, kv.first, PathOf(key), "unknown field \"" + key + "\"");
    }
  }
  return Status::OK();
}

bool YamlMap::Has(std::string_view key) const {
  bool present = false;
  const_cast<YamlMap*>(this)->Child(key, &present);
  return present;
}

YAML::Node YamlMap::Child(std::string_view key, bool* present) {
  *present = false;
  if (!node_.IsMap()) return YAML::Node();
  for (const auto& kv : node_) {
    if (kv.first.Scalar() == key) {
      *present = true;
      return kv.second;
    }
  }
  return YAML::Node();
}

YAML::Node YamlMap::GetNode(std::string_view key) {
  known_.emplace(key);
  bool present = false;
  return Child(key, &present);
}

Status YamlMap::GetString(std::string_view key, std::string* out) {
  YAML::Node n = GetNode(key);
  if (IsNullish(n)) return Status::OK();
  if (!n.IsScalar()) return Error(key, "expected a string");
  *out = n.Scalar();
  return Status::OK();
}

Status YamlMap::GetBool(std::string_view key, bool* out) {
  YAML::Node n = GetNode(key);
  if (IsNullish(n)) return Status::OK();
  const std::string s = n.IsScalar() ? n.Scalar() : "";
  if (s == "true" || s == "True" || s == "TRUE") {
    *out = true;
  } else if (s == "false" || s == "False" || s == "FALSE") {
    *out = false;
  } else {
    return Error(key, "expected true or false, got \"" + s + "\"");
  }
  return Status::OK();
}

Status YamlMap::GetInt(std::string_view key, int64_t* out) {
  YAML::Node n = GetNode(key);
  if (IsNullish(n)) return Status::OK();
  const std::string s = n.IsScalar() ? n.Scalar() : "";
  try {
    size_t used = 0;
    int64_t v = std::stoll(s, &used, 10);
    if (used != s.size()) throw std::invalid_argument(s);
    *out = v;
  } catch (const std::exception&) {
    return Error(key, "expected an integer, got \"" + s + "\"");
  }
  return Status::OK();
}

Status YamlMap::GetDouble(std::string_view key, double* out) {
  YAML::Node n = GetNode(key);
  if (IsNullish(n)) return Status::OK();
  const std::string s = n.IsScalar() ? n.Scalar() : "";
  try {
    size_t used = 0;
    double v = std::stod(s, &used);
    if (used != s.size()) throw std::invalid_argument(s);
    *out = v;
  } catch (const std::exception&) {
    return Error(key, "expected a number, got \"" + s + "\"");
  }
  return Status::OK();
}

Status YamlMap::GetDuration(std::string_view key, int64_t* out_ns) {
  YAML::Node n = GetNode(key);
  if (IsNullish(n)) return Status::OK();
  const std::string s = n.IsScalar() ? n.Scalar() : "";
  if (s == "0") {
    *out_ns = 0;
    return Status::OK();
  }
  Result<int64_t> d = common::ParsePromDuration(s);
  if (!d.ok()) d = common::ParseGoDuration(s);
  if (!d.ok()) return Error(key, "invalid duration \"" + s + "\"");
  *out_ns = *d;
  return Status::OK();
}

Result<int64_t> ParseByteSize(std::string_view text) {
  size_t i = 0;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
  if (i == 0 || i > 18) return Status::InvalidArgument("invalid byte size", text);
  int64_t n = std::stoll(std::string(text.substr(0, i)));
  std::string unit;
  for (char c : text.substr(i)) {
    if (c != ' ') unit += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  int64_t mult = 1;
  if (unit.empty() || unit == "b") {
    mult = 1;
  } else if (unit == "kb" || unit == "k") {
    mult = 1000;
  } else if (unit == "kib" || unit == "ki") {
    mult = 1024;
  } else if (unit == "mb" || unit == "m") {
    mult = 1000 * 1000;
  } else if (unit == "mib" || unit == "mi") {
    mult = 1024 * 1024;
  } else if (unit == "gb" || unit == "g") {
    mult = 1000LL * 1000 * 1000;
  } else if (unit == "gib" || unit == "gi") {
    mult = 1024LL * 1024 * 1024;
  } else {
    return Status::InvalidArgument("invalid byte size unit", text);
  }
  return n * mult;
}

Status YamlMap::GetBytes(std::string_view key, int64_t* out) {
  YAML::Node n = GetNode(key);
  if (IsNullish(n)) return Status::OK();
  const std::string s = n.IsScalar() ? n.Scalar() : "";
  Result<int64_t> v = ParseByteSize(s);
  if (!v.ok()) return Error(key, "invalid byte size \"" + s + "\"");
  *out = *v;
  return Status::OK();
}

Status YamlMap::GetStringList(std::string_view key, std::vector<std::string>* out) {
  YAML::Node n = GetNode(key);
  if (IsNullish(n)) return Status::OK();
  if (n.IsScalar()) {
    *out = {n.Scalar()};
    return Status::OK();
  }
  if (!n.IsSequence()) return Error(key, "expected a list of strings");
  out->clear();
  for (const auto& item : n) {
    if (!item.IsScalar()) return ErrorAt(file_, item, PathOf(key), "expected a string");
    out->push_back(item.Scalar());
  }
  return Status::OK();
}

Status YamlMap::GetStringMap(std::string_view key, std::map<std::string, std::string>* out) {
  YAML::Node n = GetNode(key);
  if (IsNullish(n)) return Status::OK();
  if (!n.IsMap()) return Error(key, "expected a mapping of strings");
  for (const auto& kv : n) {
    if (!kv.second.IsScalar() && !kv.second.IsNull()) {
      return ErrorAt(file_, kv.second, PathOf(key) + "." + kv.first.Scalar(),
                     "expected a string");
    }
    (*out)[kv.first.Scalar()] = kv.second.IsNull() ? "" : kv.second.Scalar();
  }
  return Status::OK();
}

}  // namespace skald::agent::pipeline
