#include "agent/tail/inotify_watcher.h"

#include <doctest/doctest.h>
#include <stdlib.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

using namespace skald::agent::tail;

namespace {

std::string TempDir() {
  char tmpl[] = "/tmp/skald_inotify_XXXXXX";
  char* d = ::mkdtemp(tmpl);
  REQUIRE(d != nullptr);
  return d;
}

constexpr int64_t kLongWait = 10'000'000'000;  // only hit if an event is lost

}  // namespace

TEST_CASE("inotify watcher reports nothing when nothing changed") {
  auto w = InotifyWatcher::Create();
  REQUIRE(w.ok());
  std::string dir = TempDir();
  REQUIRE((*w)->Watch(dir).ok());
  auto ev = (*w)->Wait(0);
  CHECK_FALSE(ev.changed);
  CHECK_FALSE(ev.woken);
  std::filesystem::remove_all(dir);
}

TEST_CASE("inotify watcher reports creation and appends in a watched directory") {
  auto w = InotifyWatcher::Create();
  REQUIRE(w.ok());
  std::string dir = TempDir();
  REQUIRE((*w)->Watch(dir).ok());
  { std::ofstream(dir + "/a.log") << "x\n"; }
  auto ev = (*w)->Wait(kLongWait);
  CHECK(ev.changed);
  CHECK(ev.created);
  CHECK_FALSE((*w)->Wait(0).changed);  // drained
  { std::ofstream(dir + "/a.log", std::ios::app) << "y\n"; }
  ev = (*w)->Wait(kLongWait);
  CHECK(ev.changed);
  CHECK_FALSE(ev.created);
  std::filesystem::rename(dir + "/a.log", dir + "/a.log.1");
  CHECK((*w)->Wait(kLongWait).changed);
  std::filesystem::remove_all(dir);
}

TEST_CASE("inotify watcher Wake interrupts a wait") {
  auto w = InotifyWatcher::Create();
  REQUIRE(w.ok());
  (*w)->Wake();
  auto ev = (*w)->Wait(kLongWait);
  CHECK(ev.woken);
  CHECK_FALSE(ev.changed);
}

TEST_CASE("inotify watcher rejects a missing directory and forgets a removed one") {
  auto w = InotifyWatcher::Create();
  REQUIRE(w.ok());
  CHECK_FALSE((*w)->Watch("/nonexistent/skald/dir").ok());
  std::string dir = TempDir();
  REQUIRE((*w)->Watch(dir).ok());
  CHECK((*w)->IsWatched(dir));
  std::filesystem::remove_all(dir);
  auto ev = (*w)->Wait(kLongWait);
  CHECK(ev.changed);
  while ((*w)->IsWatched(dir) && (*w)->Wait(kLongWait).changed) {
  }
  CHECK_FALSE((*w)->IsWatched(dir));
}

TEST_CASE("GlobBaseDir is the literal prefix directory") {
  CHECK(GlobBaseDir("/var/log/pods/*/x/*.log") == "/var/log/pods");
  CHECK(GlobBaseDir("/var/log/app.log") == "/var/log");
  CHECK(GlobBaseDir("/var/log/**/*.log") == "/var/log");
  CHECK(GlobBaseDir("/*.log") == "/");
  CHECK(GlobBaseDir("x*.log") == ".");
}
