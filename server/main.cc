// skald: the Loki-compatible log server. All logic lives in server/.
#include <malloc.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "server/options.h"
#include "server/server.h"

int main(int argc, char** argv) {
  // glibc gives each thread that allocates concurrently an arena of its own
  // (up to 8 per core). Every HTTP worker decodes push bodies of megabytes
  // in its arena, and what one arena frees the others cannot reuse: on the
  // push benchmark (4 connections, 8 workers) peak RSS was ~50 MiB lower
  // with two arenas, at no measurable CPU cost (tests/bench/README.md).
  // MALLOC_ARENA_MAX in the environment still wins.
  if (std::getenv("MALLOC_ARENA_MAX") == nullptr) mallopt(M_ARENA_MAX, 2);
  // A fixed mmap threshold (glibc raises it to 32 MiB after the first large
  // free otherwise): request bodies, decoded pushes, WAL batches and head
  // block buffers (256 KiB+) are then mapped and unmapped, not left as holes
  // in the heap between long-lived compressed blocks.
  if (std::getenv("MALLOC_MMAP_THRESHOLD_") == nullptr) mallopt(M_MMAP_THRESHOLD, 128 * 1024);
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
