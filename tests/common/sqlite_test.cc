#include "common/sqlite.h"

#include <doctest/doctest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

using namespace skald::common;
using namespace skald::common::sqlite;

namespace {

// A fresh directory per test, removed at the end.
struct TempDir {
  std::filesystem::path path;
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "skald-sqlite-XXXXXX").string();
    path = mkdtemp(tmpl.data());
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  std::string File(const char* name) const { return (path / name).string(); }
};

std::unique_ptr<Database> OpenWithTable(const TempDir& dir) {
  auto db = Database::Open(dir.File("t.db"));
  REQUIRE(db.ok());
  REQUIRE((*db)->Exec("CREATE TABLE t (k INTEGER PRIMARY KEY, s TEXT, b BLOB)").ok());
  return std::move(db).value();
}

int64_t CountRows(Database& db) {
  auto st = db.Prepare("SELECT count(*) FROM t");
  REQUIRE(st.ok());
  REQUIRE(*st->Step());
  return st->ColumnInt64(0);
}

}  // namespace

TEST_CASE("sqlite opens in WAL mode") {
  TempDir dir;
  auto db = Database::Open(dir.File("w.db"));
  REQUIRE(db.ok());
  auto st = (*db)->Prepare("PRAGMA journal_mode");
  REQUIRE(st.ok());
  REQUIRE(*st->Step());
  CHECK(st->ColumnText(0) == "wal");
}

TEST_CASE("sqlite binds and reads back integers, text and blobs") {
  TempDir dir;
  auto db = OpenWithTable(dir);
  auto ins = db->Prepare("INSERT INTO t (k, s, b) VALUES (?, ?, ?)");
  REQUIRE(ins.ok());
  std::string blob("a\0b", 3);
  REQUIRE(ins->Bind(1, int64_t{-7}).Bind(2, "héllo").BindBlob(3, blob).Run().ok());
  CHECK(db->LastInsertRowId() == -7);
  CHECK(db->Changes() == 1);
  auto sel = db->Prepare("SELECT k, s, b FROM t");
  REQUIRE(sel.ok());
  REQUIRE(*sel->Step());
  CHECK(sel->ColumnInt64(0) == -7);
  CHECK(sel->ColumnText(1) == "héllo");
  CHECK(sel->ColumnBlob(2) == blob);
  CHECK_FALSE(*sel->Step());
}

TEST_CASE("sqlite statements are reusable after Reset") {
  TempDir dir;
  auto db = OpenWithTable(dir);
  auto ins = db->Prepare("INSERT INTO t (k) VALUES (?)");
  REQUIRE(ins.ok());
  for (int i = 0; i < 3; ++i) {
    REQUIRE(ins->Bind(1, i).Run().ok());
    ins->Reset();
  }
  CHECK(CountRows(*db) == 3);
}

TEST_CASE("sqlite NULL columns read as zero and empty") {
  TempDir dir;
  auto db = OpenWithTable(dir);
  REQUIRE(db->Exec("INSERT INTO t (k) VALUES (1)").ok());
  auto sel = db->Prepare("SELECT s, b FROM t");
  REQUIRE(sel.ok());
  REQUIRE(*sel->Step());
  CHECK(sel->ColumnIsNull(0));
  CHECK(sel->ColumnText(0).empty());
  CHECK(sel->ColumnBlob(1).empty());
}

TEST_CASE("sqlite reports a bad statement with the SQL") {
  TempDir dir;
  auto db = OpenWithTable(dir);
  auto st = db->Prepare("SELEC nonsense");
  REQUIRE_FALSE(st.ok());
  CHECK(st.status().code() == StatusCode::kInternal);
  CHECK(st.status().message().find("sqlite:") == 0);
}

TEST_CASE("sqlite reports a bind to a missing parameter at Step") {
  TempDir dir;
  auto db = OpenWithTable(dir);
  auto ins = db->Prepare("INSERT INTO t (k) VALUES (?)");
  REQUIRE(ins.ok());
  Status st = ins->Bind(1, 1).Bind(5, 2).Run();
  CHECK_FALSE(st.ok());
  CHECK(CountRows(*db) == 0);
}

TEST_CASE("sqlite constraint violations are errors") {
  TempDir dir;
  auto db = OpenWithTable(dir);
  REQUIRE(db->Exec("INSERT INTO t (k) VALUES (1)").ok());
  CHECK_FALSE(db->Exec("INSERT INTO t (k) VALUES (1)").ok());
}

TEST_CASE("sqlite transaction rolls back when not committed") {
  TempDir dir;
  auto db = OpenWithTable(dir);
  {
    auto tx = Transaction::Begin(*db);
    REQUIRE(tx.ok());
    REQUIRE(db->Exec("INSERT INTO t (k) VALUES (1)").ok());
  }
  CHECK(CountRows(*db) == 0);
}

TEST_CASE("sqlite transaction commit makes rows visible to another connection") {
  TempDir dir;
  auto db = OpenWithTable(dir);
  auto other = Database::Open(dir.File("t.db"));
  REQUIRE(other.ok());
  auto tx = Transaction::Begin(*db);
  REQUIRE(tx.ok());
  REQUIRE(db->Exec("INSERT INTO t (k) VALUES (1)").ok());
  CHECK(CountRows(**other) == 0);  // WAL: the reader sees the last commit
  REQUIRE(tx->Commit().ok());
  CHECK(CountRows(**other) == 1);
  CHECK_FALSE(tx->Commit().ok());  // a finished transaction cannot commit again
}

TEST_CASE("sqlite a second writer is Unavailable while the first holds the lock") {
  TempDir dir;
  auto db = OpenWithTable(dir);
  Options opts;
  opts.busy_timeout_ms = 0;
  auto other = Database::Open(dir.File("t.db"), opts);
  REQUIRE(other.ok());
  auto tx = Transaction::Begin(*db);
  REQUIRE(tx.ok());
  auto tx2 = Transaction::Begin(**other);
  REQUIRE_FALSE(tx2.ok());
  CHECK(tx2.status().code() == StatusCode::kUnavailable);
}

TEST_CASE("sqlite opening a file that is not a database is Corruption") {
  TempDir dir;
  {
    std::ofstream f(dir.File("junk.db"), std::ios::binary);
    f << std::string(4096, 'x');
  }
  auto db = Database::Open(dir.File("junk.db"));
  REQUIRE_FALSE(db.ok());
  CHECK(db.status().code() == StatusCode::kCorruption);
}

TEST_CASE("sqlite opening in a missing directory is IOError") {
  TempDir dir;
  auto db = Database::Open(dir.File("missing/dir/x.db"));
  REQUIRE_FALSE(db.ok());
  CHECK(db.status().code() == StatusCode::kIOError);
}
