// A small RAII wrapper over the SQLite 3 C API: Database, Statement and
// Transaction, with every failure returned as a Status.
//
// Concurrency: a Database is one SQLite connection and is NOT safe for
// concurrent use (callers serialise access, e.g. with a mutex or one
// connection per thread). Statements belong to the Database that prepared
// them and must be destroyed before it. Many Databases (connections) may open
// the same file from different threads; WAL mode lets readers run while one
// writer commits.
//
// Error mapping: SQLITE_BUSY/LOCKED -> Unavailable, SQLITE_CORRUPT/NOTADB ->
// Corruption, SQLITE_IOERR/CANTOPEN/FULL/PERM/READONLY -> IOError, anything
// else -> Internal. Messages read "sqlite: <sqlite's message>" and name the
// statement or path.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"

struct sqlite3;
struct sqlite3_stmt;

namespace skald::common::sqlite {

struct Options {
  // Journal in WAL mode (readers never block the writer). Off only for
  // special cases such as read-only snapshots.
  bool wal = true;
  // PRAGMA synchronous: "NORMAL" is durable enough in WAL mode when another
  // log (our WAL) covers the last transactions; "FULL" syncs every commit.
  std::string synchronous = "NORMAL";
  // How long a statement waits for another connection's lock before it
  // fails with Unavailable.
  int busy_timeout_ms = 5000;
  // Open read-only (the file must exist).
  bool read_only = false;
  // Page cache size in KiB per connection (PRAGMA cache_size = -N).
  int cache_kib = 8192;
};

class Database;

// A prepared statement. Bind indexes are 1-based, column indexes 0-based
// (as in SQLite). Move-only; finalized on destruction.
class Statement {
 public:
  Statement() = default;
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  // Binders return *this so calls chain; a bind failure (bad index) is
  // remembered and returned by the next Step/Run.
  Statement& Bind(int index, int64_t v);
  Statement& Bind(int index, uint64_t v) { return Bind(index, static_cast<int64_t>(v)); }
  Statement& Bind(int index, int v) { return Bind(index, static_cast<int64_t>(v)); }
  // Text and blobs are copied by SQLite (SQLITE_TRANSIENT).
  Statement& Bind(int index, std::string_view text);
  Statement& Bind(int index, const char* text) { return Bind(index, std::string_view(text)); }
  Statement& BindBlob(int index, std::string_view bytes);
  Statement& BindNull(int index);

  // Runs one step: true when a row is available, false when done.
  Result<bool> Step();
  // Steps until done, ignoring rows (INSERT/UPDATE/DELETE).
  Status Run();
  // Resets for another execution and clears the bindings.
  void Reset();

  // Column accessors for the current row. Views stay valid until the next
  // Step/Reset. NULL reads as 0 / "".
  int64_t ColumnInt64(int col) const;
  uint64_t ColumnUint64(int col) const { return static_cast<uint64_t>(ColumnInt64(col)); }
  std::string_view ColumnText(int col) const;
  std::string_view ColumnBlob(int col) const;
  bool ColumnIsNull(int col) const;

  bool valid() const { return stmt_ != nullptr; }

 private:
  friend class Database;
  Statement(sqlite3_stmt* stmt, sqlite3* db) : stmt_(stmt), db_(db) {}

  sqlite3_stmt* stmt_ = nullptr;
  sqlite3* db_ = nullptr;  // owner connection, for error messages
  int bind_error_ = 0;     // first failing bind's result code
};

// One connection. Non-copyable; closed on destruction.
class Database {
 public:
  // Opens (creating when missing unless read_only) the database at `path`
  // and applies the options (WAL, synchronous, busy timeout, foreign keys
  // off). Returns the connection, owned by the caller; IOError or
  // Corruption when the file cannot be opened or is not a database.
  static Result<std::unique_ptr<Database>> Open(const std::string& path,
                                                const Options& options = {});

  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;
  ~Database();

  // Runs one or more statements that return no rows we care about.
  Status Exec(std::string_view sql);
  // Compiles one statement; InvalidArgument-free: a bad statement is a bug
  // and reports Internal with SQLite's message and the SQL.
  Result<Statement> Prepare(std::string_view sql);

  // Rowid of the last successful INSERT on this connection.
  int64_t LastInsertRowId() const;
  // Rows changed by the last INSERT/UPDATE/DELETE on this connection.
  int64_t Changes() const;
  const std::string& path() const { return path_; }
  sqlite3* handle() const { return db_; }

 private:
  Database(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}

  sqlite3* db_;
  std::string path_;
};

// Transaction guard: Begin starts a transaction (IMMEDIATE by default, so
// the write lock is taken up front and a busy writer surfaces at Begin, not
// at the first write). Destroying an uncommitted Transaction rolls it back.
class Transaction {
 public:
  static Result<Transaction> Begin(Database& db, bool immediate = true);

  Transaction(Transaction&& other) noexcept : db_(other.db_) { other.db_ = nullptr; }
  Transaction& operator=(Transaction&&) = delete;
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  ~Transaction();

  // Commits; after an error the transaction is rolled back by the destructor.
  Status Commit();

 private:
  explicit Transaction(Database* db) : db_(db) {}
  Database* db_;  // null once committed or moved from
};

// Maps a SQLite result code and message to a Status (see the header comment).
Status ErrorStatus(int code, std::string_view msg, std::string_view where);

}  // namespace skald::common::sqlite
