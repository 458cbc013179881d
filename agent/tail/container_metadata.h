// Container metadata from the log file's path and the files beside it, with
// no call to the Docker daemon or the Kubernetes API.
//
// Docker (`.../containers/<id>/<id>-json.log[.N]`): reads `config.v2.json` in
// the same directory -> labels `container` (Name without the leading "/"),
// `image` (Config.Image), `compose_project` and `compose_service` (from the
// com.docker.compose.* labels). CRI (`/var/log/pods/<ns>_<pod>_<uid>/
// <container>/<n>.log[.<ts>]`): labels `namespace`, `pod`, `container`.
// These are the names Promtail users get from the usual docker_sd /
// kubernetes_sd relabel rules. Stateless and thread-safe.
#pragma once

#include <map>
#include <string>

namespace skald::agent::tail {

// Labels for `path`; empty when it is neither layout or config.v2.json is
// missing or unreadable.
std::map<std::string, std::string> ContainerLabels(const std::string& path);

// Parses a config.v2.json document (exposed for tests).
std::map<std::string, std::string> DockerConfigLabels(const std::string& json);

}  // namespace skald::agent::tail
