#include "agent/tail/tailed_file.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdio>

#include "tail_test_util.h"

using namespace skald::agent::tail;
using skald::agent::tail::testing::Append;
using skald::agent::tail::testing::TempDir;
using skald::agent::tail::testing::Write;

TEST_CASE("tailed file splits lines and keeps the partial last line") {
  TempDir d;
  std::string p = d.File("a.log");
  Write(p, "one\ntwo\r\nthr");
  auto f = TailedFile::Open(p, 0);
  REQUIRE(f.ok());
  std::vector<Line> lines;
  REQUIRE((*f)->ReadLines(1 << 20, &lines).ok());
  REQUIRE(lines.size() == 2);
  CHECK(lines[0].text == "one");
  CHECK(lines[1].text == "two");
  CHECK(lines[1].start == 4);
  CHECK(lines[1].end == 9);
  CHECK((*f)->offset() == 9);
  Append(p, "ee\n");
  lines.clear();
  REQUIRE((*f)->ReadLines(1 << 20, &lines).ok());
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].text == "three");
  CHECK(lines[0].start == 9);
  CHECK((*f)->offset() == 15);
}

TEST_CASE("tailed file starts at the saved offset") {
  TempDir d;
  std::string p = d.File("a.log");
  Write(p, "one\ntwo\n");
  auto f = TailedFile::Open(p, 4);
  REQUIRE(f.ok());
  std::vector<Line> lines;
  REQUIRE((*f)->ReadLines(1 << 20, &lines).ok());
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].text == "two");
}

TEST_CASE("an offset beyond the end restarts at zero") {
  TempDir d;
  std::string p = d.File("a.log");
  Write(p, "one\n");
  auto f = TailedFile::Open(p, 1000);
  REQUIRE(f.ok());
  CHECK((*f)->offset() == 0);
}

TEST_CASE("truncation is detected when the file shrinks") {
  TempDir d;
  std::string p = d.File("a.log");
  Write(p, "line one\nline two\n");
  auto f = TailedFile::Open(p, 0);
  std::vector<Line> lines;
  REQUIRE((*f)->ReadLines(1 << 20, &lines).ok());
  CHECK_FALSE((*f)->Truncated());
  REQUIRE(truncate(p.c_str(), 0) == 0);
  Append(p, "new\n");
  CHECK((*f)->Truncated());
  (*f)->Reset();
  lines.clear();
  REQUIRE((*f)->ReadLines(1 << 20, &lines).ok());
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].text == "new");
}

TEST_CASE("copytruncate refilled past the old offset is detected by the head fingerprint") {
  TempDir d;
  std::string p = d.File("a.log");
  Write(p, "aaaa\n");
  auto f = TailedFile::Open(p, 0);
  std::vector<Line> lines;
  REQUIRE((*f)->ReadLines(1 << 20, &lines).ok());
  // Truncate and refill with more bytes than we had read.
  Write(p, "bbbbbbbbbbbbbbbb\n");
  CHECK((*f)->Truncated());
}

TEST_CASE("rename rotation is reported as replaced and the old fd still drains") {
  TempDir d;
  std::string p = d.File("a.log");
  Write(p, "first\n");
  auto f = TailedFile::Open(p, 0);
  std::vector<Line> lines;
  REQUIRE((*f)->ReadLines(1 << 20, &lines).ok());
  CHECK_FALSE((*f)->Replaced());
  REQUIRE(std::rename(p.c_str(), d.File("a.log.1").c_str()) == 0);
  Append(d.File("a.log.1"), "late\n");
  Write(p, "new file\n");
  CHECK((*f)->Replaced());
  lines.clear();
  REQUIRE((*f)->ReadLines(1 << 20, &lines).ok());
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].text == "late");
}

TEST_CASE("a line longer than kMaxLineBytes is cut into pieces") {
  TempDir d;
  std::string p = d.File("a.log");
  Write(p, std::string(kMaxLineBytes + 10, 'x') + "\n");
  auto f = TailedFile::Open(p, 0);
  std::vector<Line> lines;
  REQUIRE((*f)->ReadLines(4 << 20, &lines).ok());
  REQUIRE(lines.size() == 2);
  CHECK(lines[0].text.size() == kMaxLineBytes);
  CHECK(lines[1].text.size() == 10);
  CHECK(lines[1].end == kMaxLineBytes + 11);
}

TEST_CASE("TakePartial emits an unterminated last line") {
  TempDir d;
  std::string p = d.File("a.log");
  Write(p, "done\nhalf");
  auto f = TailedFile::Open(p, 0);
  std::vector<Line> lines;
  REQUIRE((*f)->ReadLines(1 << 20, &lines).ok());
  (*f)->TakePartial(&lines);
  REQUIRE(lines.size() == 2);
  CHECK(lines[1].text == "half");
  CHECK((*f)->offset() == 9);
}

TEST_CASE("opening a missing file is NotFound") {
  auto f = TailedFile::Open("/nonexistent/skald/x.log", 0);
  CHECK_FALSE(f.ok());
}

TEST_CASE("tailed file remembers the size of its last size check") {
  TempDir d;
  std::string p = d.File("a.log");
  Write(p, "0123456789");
  auto f = TailedFile::Open(p, 0);
  REQUIRE(f.ok());
  CHECK((*f)->Size() == 10);
  Append(p, "abcde");
  CHECK((*f)->size_seen() == 10);  // no syscall: the last Size()
  CHECK(!(*f)->Truncated());       // checks the size again
  CHECK((*f)->size_seen() == 15);
}
