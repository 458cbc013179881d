#include "agent/tail/glob.h"

#include <doctest/doctest.h>
#include <sys/stat.h>

#include "tail_test_util.h"

using namespace skald::agent::tail;
using skald::agent::tail::testing::TempDir;
using skald::agent::tail::testing::Write;

TEST_CASE("glob match: star stays within a segment") {
  CHECK(GlobMatch("/var/log/*.log", "/var/log/a.log"));
  CHECK_FALSE(GlobMatch("/var/log/*.log", "/var/log/x/a.log"));
}

TEST_CASE("glob match: doublestar spans zero or more directories") {
  CHECK(GlobMatch("/var/log/**/*.log", "/var/log/a.log"));
  CHECK(GlobMatch("/var/log/**/*.log", "/var/log/x/y/a.log"));
  CHECK_FALSE(GlobMatch("/var/log/**/*.log", "/var/lib/a.log"));
}

TEST_CASE("expand glob finds files under doublestar and skips directories") {
  TempDir d;
  mkdir(d.File("x").c_str(), 0755);
  mkdir(d.File("x/y").c_str(), 0755);
  mkdir(d.File("dir.log").c_str(), 0755);
  Write(d.File("a.log"), "");
  Write(d.File("x/y/b.log"), "");
  Write(d.File("x/c.txt"), "");
  auto files = ExpandGlob(d.path() + "/**/*.log");
  REQUIRE(files.size() == 2);
  CHECK(files[0] == d.File("a.log"));
  CHECK(files[1] == d.File("x/y/b.log"));
}

TEST_CASE("expand glob with docker's layout") {
  TempDir d;
  mkdir(d.File("abc").c_str(), 0755);
  Write(d.File("abc/abc-json.log"), "");
  Write(d.File("abc/config.v2.json"), "");
  auto files = ExpandGlob(d.path() + "/*/*-json.log");
  REQUIRE(files.size() == 1);
  CHECK(files[0] == d.File("abc/abc-json.log"));
}
