// skald: the Loki-compatible log server. All logic lives in server/.
#include <cstdio>
#include <string>
#include <vector>

#include "server/options.h"
#include "server/server.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  auto cl = skald::server::ParseCommandLine(args);
  if (!cl.ok()) {
    std::fprintf(stderr, "error: %s\n", cl.status().message().c_str());
    return 1;
  }
  if (cl->show_help) {
    std::fputs(cl->help.c_str(), stdout);
    return 0;
  }
  if (cl->show_version) {
    std::printf("%s\n", skald::server::VersionString().c_str());
    return 0;
  }
  return skald::server::RunServer(cl->options);
}
