#include "agent/tail/container_metadata.h"

#include <simdjson.h>

#include <fstream>
#include <sstream>
#include <vector>

namespace skald::agent::tail {
namespace {

std::vector<std::string> Split(const std::string& path) {
  std::vector<std::string> out;
  std::stringstream ss(path);
  std::string seg;
  while (std::getline(ss, seg, '/')) {
    if (!seg.empty()) out.push_back(seg);
  }
  return out;
}

}  // namespace

std::map<std::string, std::string> DockerConfigLabels(const std::string& json) {
  std::map<std::string, std::string> labels;
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(json).get(doc) != simdjson::SUCCESS) return labels;
  std::string_view s;
  if (doc["Name"].get(s) == simdjson::SUCCESS) {
    if (s.starts_with("/")) s.remove_prefix(1);
    if (!s.empty()) labels["container"] = std::string(s);
  }
  if (doc["Config"]["Image"].get(s) == simdjson::SUCCESS && !s.empty()) {
    labels["image"] = std::string(s);
  }
  if (doc["Config"]["Labels"]["com.docker.compose.project"].get(s) == simdjson::SUCCESS) {
    labels["compose_project"] = std::string(s);
  }
  if (doc["Config"]["Labels"]["com.docker.compose.service"].get(s) == simdjson::SUCCESS) {
    labels["compose_service"] = std::string(s);
  }
  return labels;
}

std::map<std::string, std::string> ContainerLabels(const std::string& path) {
  std::vector<std::string> segs = Split(path);
  size_t n = segs.size();
  // CRI: pods/<ns>_<pod>_<uid>/<container>/<file>
  if (n >= 4 && segs[n - 4] == "pods") {
    const std::string& dir = segs[n - 3];
    size_t a = dir.find('_');
    size_t b = dir.rfind('_');
    if (a != std::string::npos && b != a) {
      return {{"namespace", dir.substr(0, a)},
              {"pod", dir.substr(a + 1, b - a - 1)},
              {"container", segs[n - 2]}};
    }
    return {};
  }
  // Docker: containers/<id>/<id>-json.log*
  if (n >= 3 && segs[n - 3] == "containers" && segs[n - 1].starts_with(segs[n - 2] + "-json.log")) {
    std::string dir = path.substr(0, path.rfind('/'));
    std::ifstream in(dir + "/config.v2.json");
    if (!in) return {};
    std::stringstream ss;
    ss << in.rdbuf();
    return DockerConfigLabels(ss.str());
  }
  return {};
}

}  // namespace skald::agent::tail
