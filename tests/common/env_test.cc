#include "common/env.h"

#include <doctest/doctest.h>
#include <stdlib.h>

#include <algorithm>

#include "common/mem_env.h"

using namespace skald::common;

namespace {

// A fresh directory for the posix env, removed at the end of the test.
struct TempDir {
  TempDir() {
    char tmpl[] = "/tmp/skald_env_test_XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() { std::system(("rm -rf " + path).c_str()); }
  std::string path;
};

void ExerciseEnv(Env& env, const std::string& root) {
  std::string dir = JoinPath(root, "a/b");
  REQUIRE(env.CreateDirs(dir).ok());
  std::string f = JoinPath(dir, "x.log");
  {
    auto w = env.NewWritableFile(f);
    REQUIRE(w.ok());
    REQUIRE((*w)->Append("hello ").ok());
    REQUIRE((*w)->Append(std::string(100000, 'z')).ok());
    CHECK((*w)->Size() == 100006);
    REQUIRE((*w)->Sync().ok());
    REQUIRE((*w)->Close().ok());
  }
  CHECK(env.FileExists(f));
  CHECK(*env.GetFileSize(f) == 100006);
  {
    auto a = env.NewAppendableFile(f);
    REQUIRE(a.ok());
    CHECK((*a)->Size() == 100006);
    REQUIRE((*a)->Append("!").ok());
    REQUIRE((*a)->Close().ok());
  }
  auto r = env.NewRandomAccessFile(f);
  REQUIRE(r.ok());
  char scratch[16];
  std::string_view got;
  REQUIRE((*r)->Read(0, 5, &got, scratch).ok());
  CHECK(got == "hello");
  REQUIRE((*r)->Read(100005, 10, &got, scratch).ok());
  CHECK(got == "z!");
  auto all = ReadFileToString(env, f);
  REQUIRE(all.ok());
  CHECK(all->size() == 100007);

  auto kids = env.GetChildren(dir);
  REQUIRE(kids.ok());
  CHECK(*kids == std::vector<std::string>{"x.log"});
  REQUIRE(env.RenameFile(f, JoinPath(dir, "y.log")).ok());
  CHECK_FALSE(env.FileExists(f));
  REQUIRE(WriteFileAtomic(env, JoinPath(dir, "z"), "atomic").ok());
  CHECK(*ReadFileToString(env, JoinPath(dir, "z")) == "atomic");
  CHECK_FALSE(env.FileExists(JoinPath(dir, "z.tmp")));

  CHECK(env.NewSequentialFile(JoinPath(dir, "missing")).status().code() == StatusCode::kNotFound);
  CHECK(env.GetFileSize(JoinPath(dir, "missing")).status().code() == StatusCode::kNotFound);
  CHECK(env.RemoveFile(JoinPath(dir, "missing")).code() == StatusCode::kNotFound);

  {
    auto lock = env.LockFile(JoinPath(root, "LOCK"));
    REQUIRE(lock.ok());
    CHECK_FALSE(env.LockFile(JoinPath(root, "LOCK")).ok());
  }
  CHECK(env.LockFile(JoinPath(root, "LOCK")).ok());

  REQUIRE(env.RemoveFile(JoinPath(dir, "y.log")).ok());
  REQUIRE(env.RemoveFile(JoinPath(dir, "z")).ok());
  REQUIRE(env.RemoveDir(dir).ok());
  CHECK_FALSE(env.FileExists(dir));
}

}  // namespace

TEST_CASE("posix env implements the env contract") {
  TempDir tmp;
  ExerciseEnv(*Env::Default(), tmp.path);
}

TEST_CASE("mem env implements the env contract") {
  MemEnv env;
  ExerciseEnv(env, "/data");
}

TEST_CASE("sequential file reads to the end then returns empty") {
  MemEnv env;
  REQUIRE(env.CreateDirs("/d").ok());
  REQUIRE(WriteFileAtomic(env, "/d/f", "abcdef").ok());
  auto s = env.NewSequentialFile("/d/f");
  REQUIRE(s.ok());
  char scratch[8];
  std::string_view got;
  REQUIRE((*s)->Skip(2).ok());
  REQUIRE((*s)->Read(3, &got, scratch).ok());
  CHECK(got == "cde");
  REQUIRE((*s)->Read(8, &got, scratch).ok());
  CHECK(got == "f");
  REQUIRE((*s)->Read(8, &got, scratch).ok());
  CHECK(got.empty());
}

TEST_CASE("mem env crash keeps synced bytes and drops the rest") {
  MemEnv env;
  REQUIRE(env.CreateDirs("/d").ok());
  auto w = env.NewWritableFile("/d/f");
  REQUIRE(w.ok());
  REQUIRE((*w)->Append("durable").ok());
  REQUIRE((*w)->Sync().ok());
  REQUIRE((*w)->Append("-lost").ok());
  env.SimulateCrash();
  CHECK(*ReadFileToString(env, "/d/f") == "durable");
}

TEST_CASE("mem env crash removes a file whose name was never synced") {
  MemEnv env;
  REQUIRE(env.CreateDirs("/d").ok());
  auto w = env.NewWritableFile("/d/f");
  REQUIRE((*w)->Append("x").ok());
  env.SimulateCrash();
  CHECK_FALSE(env.FileExists("/d/f"));
}

TEST_CASE("mem env injected sync error fails sync and is counted only on success") {
  MemEnv env;
  REQUIRE(env.CreateDirs("/d").ok());
  auto w = env.NewWritableFile("/d/f");
  env.SetSyncError(Status::IOError("disk gone"));
  CHECK((*w)->Sync().code() == StatusCode::kIOError);
  CHECK(env.SyncCount() == 0);
  env.SetSyncError(Status::OK());
  CHECK((*w)->Sync().ok());
  CHECK(env.SyncCount() == 1);
}

TEST_CASE("mem env corrupt and truncate change file bytes") {
  MemEnv env;
  REQUIRE(env.CreateDirs("/d").ok());
  REQUIRE(WriteFileAtomic(env, "/d/f", "abcd").ok());
  REQUIRE(env.CorruptByte("/d/f", 1, 0x01).ok());
  CHECK(*ReadFileToString(env, "/d/f") == "accd");
  REQUIRE(env.Truncate("/d/f", 2).ok());
  CHECK(*ReadFileToString(env, "/d/f") == "ac");
  CHECK(env.CorruptByte("/d/f", 5).code() == StatusCode::kInvalidArgument);
}

TEST_CASE("writable file in a missing directory fails with NotFound") {
  MemEnv env;
  CHECK(env.NewWritableFile("/nope/f").status().code() == StatusCode::kNotFound);
  TempDir tmp;
  CHECK(Env::Default()->NewWritableFile(tmp.path + "/nope/f").status().code() ==
        StatusCode::kNotFound);
}
