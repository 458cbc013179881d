#include "agent/tail/file_identity.h"

#include <doctest/doctest.h>
#include <sys/stat.h>

#include <cstdio>
#include <memory>

#include "agent/tail/tailed_file.h"
#include "tail_test_util.h"

using skald::agent::tail::FileIdentity;
using skald::agent::tail::FindRotatedFile;
using skald::agent::tail::HeadMatches;
using skald::agent::tail::IdentityMatches;
using skald::agent::tail::TailedFile;
using skald::agent::tail::testing::Append;
using skald::agent::tail::testing::TempDir;
using skald::agent::tail::testing::Write;

namespace {

FileIdentity IdentityOf(const std::string& path) {
  auto f = TailedFile::Open(path, 0);
  REQUIRE(f.ok());
  return (*f)->identity();
}

}  // namespace

TEST_CASE("identity text round-trips and malformed text is rejected") {
  FileIdentity id{2049, 1234567, 1024, 0xfedcba9876543210ull};
  CHECK(FileIdentity::Parse(id.ToString()) == id);
  CHECK_FALSE(FileIdentity::Parse("").has_value());
  CHECK_FALSE(FileIdentity::Parse("1:2:3").has_value());
  CHECK_FALSE(FileIdentity::Parse("1:2:3:").has_value());
  CHECK_FALSE(FileIdentity::Parse("1:2:3:4:5").has_value());
  CHECK_FALSE(FileIdentity::Parse("1:2:1025:4").has_value());  // longer than the fingerprint
  CHECK_FALSE(FileIdentity::Parse("-1:2:3:4").has_value());
  CHECK_FALSE(FileIdentity::Parse("1:2:3:zz").has_value());
}

TEST_CASE("the identity of an open file records device, inode and head") {
  TempDir d;
  Write(d.File("a.log"), "first line\nsecond\n");
  FileIdentity id = IdentityOf(d.File("a.log"));
  struct stat st;
  REQUIRE(::stat(d.File("a.log").c_str(), &st) == 0);
  CHECK(id.dev == static_cast<uint64_t>(st.st_dev));
  CHECK(id.ino == static_cast<uint64_t>(st.st_ino));
  CHECK(id.fingerprint_len == 18);
  CHECK(IdentityMatches(d.File("a.log"), id));
}

TEST_CASE("a file that grew still matches; a rewritten head or another inode does not") {
  TempDir d;
  Write(d.File("a.log"), "first line\n");
  FileIdentity id = IdentityOf(d.File("a.log"));
  Append(d.File("a.log"), "more\n");
  CHECK(IdentityMatches(d.File("a.log"), id));
  Write(d.File("a.log"), "FIRST line\n");  // truncated and rewritten in place
  CHECK_FALSE(IdentityMatches(d.File("a.log"), id));
  CHECK_FALSE(IdentityMatches(d.File("missing.log"), id));
  Write(d.File("b.log"), "first line\n");  // same bytes, other inode
  CHECK_FALSE(IdentityMatches(d.File("b.log"), id));
  CHECK_FALSE(HeadMatches(d.File("b.log"), FileIdentity{}));  // no head bytes: no copy match
}

TEST_CASE("an empty file matches its own identity and no other inode") {
  TempDir d;
  Write(d.File("a.log"), "");
  FileIdentity id = IdentityOf(d.File("a.log"));
  CHECK(id.fingerprint_len == 0);
  CHECK(IdentityMatches(d.File("a.log"), id));
  Append(d.File("a.log"), "now with a line\n");
  CHECK(IdentityMatches(d.File("a.log"), id));
  Write(d.File("b.log"), "");
  CHECK_FALSE(IdentityMatches(d.File("b.log"), id));
}

TEST_CASE("a file renamed in its directory is found by inode") {
  TempDir d;
  Write(d.File("app.log"), "line 1\nline 2\n");
  FileIdentity id = IdentityOf(d.File("app.log"));
  REQUIRE(std::rename(d.File("app.log").c_str(), d.File("app.log.1").c_str()) == 0);
  Write(d.File("app.log"), "line 1\nline 2\n");  // same head, new inode
  Write(d.File("other.txt"), "unrelated\n");
  CHECK(FindRotatedFile(d.File("app.log"), id, 7) == d.File("app.log.1"));
}

TEST_CASE("a rename to any name in the directory is found when the inode matches") {
  TempDir d;
  Write(d.File("app.log"), "line 1\n");
  FileIdentity id = IdentityOf(d.File("app.log"));
  REQUIRE(std::rename(d.File("app.log").c_str(), d.File("archived-2026.txt").c_str()) == 0);
  CHECK(FindRotatedFile(d.File("app.log"), id, 0) == d.File("archived-2026.txt"));
}

TEST_CASE("a copytruncate copy is found by head bytes under a rotation name") {
  TempDir d;
  Write(d.File("app.log"), "line 1\nline 2\nline 3\n");
  FileIdentity id = IdentityOf(d.File("app.log"));
  Write(d.File("app.log-20261122"), "line 1\nline 2\nline 3\n");
  Write(d.File("app.log"), "");  // truncated in place
  CHECK(FindRotatedFile(d.File("app.log"), id, 14) == d.File("app.log-20261122"));
  // Shorter than the saved offset: not the copy of what we read.
  CHECK_FALSE(FindRotatedFile(d.File("app.log"), id, 100).has_value());
}

TEST_CASE("a copy with the same head but an unrelated name is not taken") {
  TempDir d;
  Write(d.File("app.log"), "line 1\n");
  FileIdentity id = IdentityOf(d.File("app.log"));
  Write(d.File("backup.log"), "line 1\n");
  Write(d.File("app.log"), "");
  CHECK_FALSE(FindRotatedFile(d.File("app.log"), id, 0).has_value());
}

TEST_CASE("a deleted rotated file is not found") {
  TempDir d;
  Write(d.File("app.log"), "line 1\n");
  FileIdentity id = IdentityOf(d.File("app.log"));
  REQUIRE(std::rename(d.File("app.log").c_str(), d.File("app.log.1").c_str()) == 0);
  REQUIRE(std::remove(d.File("app.log.1").c_str()) == 0);
  Write(d.File("app.log"), "line 9\n");
  CHECK_FALSE(FindRotatedFile(d.File("app.log"), id, 0).has_value());
  CHECK_FALSE(FindRotatedFile("/nonexistent-dir/app.log", id, 0).has_value());
}
