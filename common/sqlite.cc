#include "common/sqlite.h"

#include <sqlite3.h>

#include <string>

namespace skald::common::sqlite {

Status ErrorStatus(int code, std::string_view msg, std::string_view where) {
  std::string text = "sqlite: ";
  text += msg.empty() ? std::string_view(sqlite3_errstr(code)) : msg;
  switch (code & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Status::Unavailable(text, where);
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return Status::Corruption(text, where);
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_FULL:
    case SQLITE_PERM:
    case SQLITE_READONLY:
      return Status::IOError(text, where);
    default:
      return Status::Internal(text, where);
  }
}

namespace {

Status ConnError(sqlite3* db, int code, std::string_view where) {
  return ErrorStatus(code, db ? sqlite3_errmsg(db) : "", where);
}

}  // namespace

// ---- Statement ----

Statement::Statement(Statement&& other) noexcept
    : stmt_(other.stmt_), db_(other.db_), bind_error_(other.bind_error_) {
  other.stmt_ = nullptr;
}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    sqlite3_finalize(stmt_);
    stmt_ = other.stmt_;
    db_ = other.db_;
    bind_error_ = other.bind_error_;
    other.stmt_ = nullptr;
  }
  return *this;
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

Statement& Statement::Bind(int index, int64_t v) {
  int rc = sqlite3_bind_int64(stmt_, index, v);
  if (rc != SQLITE_OK && bind_error_ == 0) bind_error_ = rc;
  return *this;
}

Statement& Statement::Bind(int index, std::string_view text) {
  int rc =
      sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  if (rc != SQLITE_OK && bind_error_ == 0) bind_error_ = rc;
  return *this;
}

Statement& Statement::BindBlob(int index, std::string_view bytes) {
  // A zero-length blob with a null pointer would bind NULL; use "" instead.
  const char* p = bytes.data() ? bytes.data() : "";
  int rc = sqlite3_bind_blob64(stmt_, index, p, bytes.size(), SQLITE_TRANSIENT);
  if (rc != SQLITE_OK && bind_error_ == 0) bind_error_ = rc;
  return *this;
}

Statement& Statement::BindNull(int index) {
  int rc = sqlite3_bind_null(stmt_, index);
  if (rc != SQLITE_OK && bind_error_ == 0) bind_error_ = rc;
  return *this;
}

Result<bool> Statement::Step() {
  if (stmt_ == nullptr) return Status::Internal("sqlite: step on an empty statement");
  if (bind_error_ != 0) {
    int rc = bind_error_;
    bind_error_ = 0;
    return ErrorStatus(rc, "", sqlite3_sql(stmt_));
  }
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return ConnError(db_, rc, sqlite3_sql(stmt_));
}

Status Statement::Run() {
  while (true) {
    auto r = Step();
    if (!r.ok()) return r.status();
    if (!*r) return Status::OK();
  }
}

void Statement::Reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  bind_error_ = 0;
}

int64_t Statement::ColumnInt64(int col) const { return sqlite3_column_int64(stmt_, col); }

std::string_view Statement::ColumnText(int col) const {
  const unsigned char* p = sqlite3_column_text(stmt_, col);
  if (p == nullptr) return {};
  return {reinterpret_cast<const char*>(p), static_cast<size_t>(sqlite3_column_bytes(stmt_, col))};
}

std::string_view Statement::ColumnBlob(int col) const {
  const void* p = sqlite3_column_blob(stmt_, col);
  if (p == nullptr) return {};
  return {static_cast<const char*>(p), static_cast<size_t>(sqlite3_column_bytes(stmt_, col))};
}

bool Statement::ColumnIsNull(int col) const {
  return sqlite3_column_type(stmt_, col) == SQLITE_NULL;
}

// ---- Database ----

Result<std::unique_ptr<Database>> Database::Open(const std::string& path, const Options& options) {
  sqlite3* raw = nullptr;
  int flags = SQLITE_OPEN_NOMUTEX;  // one connection = one user at a time
  flags |= options.read_only ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  if (rc != SQLITE_OK) {
    Status st = ConnError(raw, rc, path);
    sqlite3_close_v2(raw);
    return st;
  }
  std::unique_ptr<Database> db(new Database(raw, path));
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, options.busy_timeout_ms);
  std::string pragmas = "PRAGMA foreign_keys = OFF;";
  pragmas += "PRAGMA cache_size = -" + std::to_string(options.cache_kib) + ";";
  if (!options.read_only) {
    if (options.wal) pragmas += "PRAGMA journal_mode = WAL;";
    pragmas += "PRAGMA synchronous = " + options.synchronous + ";";
  }
  // The first statement also verifies the file is a database.
  SKALD_RETURN_IF_ERROR(db->Exec(pragmas));
  return db;
}

Database::~Database() { sqlite3_close_v2(db_); }

Status Database::Exec(std::string_view sql) {
  std::string text(sql);
  char* err = nullptr;
  int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &err);
  if (rc == SQLITE_OK) return Status::OK();
  Status st = ErrorStatus(rc, err ? err : sqlite3_errmsg(db_), path_);
  sqlite3_free(err);
  return st;
}

Result<Statement> Database::Prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(stmt);
    return ConnError(db_, rc, sql);
  }
  if (stmt == nullptr) return Status::Internal("sqlite: empty statement", sql);
  return Statement(stmt, db_);
}

int64_t Database::LastInsertRowId() const { return sqlite3_last_insert_rowid(db_); }

int64_t Database::Changes() const { return sqlite3_changes64(db_); }

// ---- Transaction ----

Result<Transaction> Transaction::Begin(Database& db, bool immediate) {
  SKALD_RETURN_IF_ERROR(db.Exec(immediate ? "BEGIN IMMEDIATE" : "BEGIN"));
  return Transaction(&db);
}

Transaction::~Transaction() {
  if (db_ != nullptr) (void)db_->Exec("ROLLBACK");
}

Status Transaction::Commit() {
  if (db_ == nullptr) return Status::Internal("sqlite: commit of a finished transaction");
  Status st = db_->Exec("COMMIT");
  if (st.ok()) db_ = nullptr;
  return st;
}

}  // namespace skald::common::sqlite
