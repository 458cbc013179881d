// Index: schema, connections, stream and chunk writes, stream resolution,
// chunk files. The label endpoints are in index_labels.cc.
#include "server/store/index.h"

#include <algorithm>

#include "server/store/postings.h"

namespace skald::server::store {

using common::Labels;
using common::Matcher;
using common::Result;
using common::Status;
using common::sqlite::Database;
using common::sqlite::Statement;
using common::sqlite::Transaction;

namespace {

constexpr std::string_view kSchema = R"sql(
CREATE TABLE IF NOT EXISTS streams (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  tenant TEXT NOT NULL,
  fingerprint INTEGER NOT NULL,
  labels TEXT NOT NULL,
  first_ts INTEGER NOT NULL,
  last_ts INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS streams_by_fingerprint ON streams (tenant, fingerprint);
CREATE TABLE IF NOT EXISTS postings (
  tenant TEXT NOT NULL,
  name TEXT NOT NULL,
  value TEXT NOT NULL,
  stream_id INTEGER NOT NULL,
  PRIMARY KEY (tenant, name, value, stream_id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS files (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  tenant TEXT NOT NULL,
  day INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  path TEXT NOT NULL,
  UNIQUE (tenant, day, seq));
CREATE TABLE IF NOT EXISTS chunks (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  tenant TEXT NOT NULL,
  stream_id INTEGER NOT NULL,
  from_ts INTEGER NOT NULL,
  through_ts INTEGER NOT NULL,
  file_id INTEGER NOT NULL,
  file_offset INTEGER NOT NULL,
  length INTEGER NOT NULL,
  entries INTEGER NOT NULL,
  raw_bytes INTEGER NOT NULL,
  compressed_bytes INTEGER NOT NULL,
  checksum INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS chunks_by_stream ON chunks (tenant, stream_id, from_ts);
CREATE INDEX IF NOT EXISTS chunks_by_file ON chunks (file_id);
)sql";

std::string CacheKey(std::string_view tenant, std::string_view labels_text) {
  std::string key(tenant);
  key += '\0';
  key += labels_text;
  return key;
}

constexpr std::string_view kChunkColumns =
    "id, stream_id, from_ts, through_ts, file_id, file_offset, length, entries, raw_bytes, "
    "compressed_bytes, checksum";

ChunkRef ReadChunkRow(const Statement& st) {
  ChunkRef c;
  c.id = st.ColumnUint64(0);
  c.stream_id = st.ColumnUint64(1);
  c.from_ts = st.ColumnInt64(2);
  c.through_ts = st.ColumnInt64(3);
  c.file_id = st.ColumnUint64(4);
  c.offset = st.ColumnUint64(5);
  c.length = st.ColumnUint64(6);
  c.entries = st.ColumnUint64(7);
  c.raw_bytes = st.ColumnUint64(8);
  c.compressed_bytes = st.ColumnUint64(9);
  c.checksum = st.ColumnUint64(10);
  return c;
}

}  // namespace

// ---- open and connections ----

Result<std::unique_ptr<Index>> Index::Open(const IndexOptions& options) {
  std::unique_ptr<Index> index(new Index(options));
  auto db = Database::Open(options.path);
  if (!db.ok()) return db.status();
  SKALD_RETURN_IF_ERROR((*db)->Exec(kSchema));
  index->writer_ = std::move(db).value();
  return index;
}

Index::~Index() = default;

// Each lease runs inside one read transaction: a consistent snapshot for all
// of a query's statements, and one WAL lock instead of one per statement.
Result<Index::ReaderLease> Index::Reader() {
  std::unique_ptr<Database> db;
  {
    std::lock_guard<std::mutex> lock(pool_mu_);
    if (!idle_readers_.empty()) {
      db = std::move(idle_readers_.back());
      idle_readers_.pop_back();
    }
  }
  if (!db) {
    auto opened = Database::Open(options_.path);
    if (!opened.ok()) return opened.status();
    db = std::move(opened).value();
  }
  SKALD_RETURN_IF_ERROR(db->Exec("BEGIN"));
  return ReaderLease(this, std::move(db));
}

void Index::ReturnReader(std::unique_ptr<Database> db) {
  if (!db->Exec("ROLLBACK").ok()) return;  // a broken connection is dropped
  std::lock_guard<std::mutex> lock(pool_mu_);
  if (idle_readers_.size() < options_.max_idle_readers) idle_readers_.push_back(std::move(db));
}

// ---- streams ----

Status Index::InsertStream(std::string_view tenant, const Labels& labels, const std::string& text,
                           int64_t ts, uint64_t* id) {
  auto tx = Transaction::Begin(*writer_);
  if (!tx.ok()) return tx.status();
  auto ins = writer_->Prepare(
      "INSERT INTO streams (tenant, fingerprint, labels, first_ts, last_ts) "
      "VALUES (?, ?, ?, ?, ?)");
  if (!ins.ok()) return ins.status();
  SKALD_RETURN_IF_ERROR(ins->Bind(1, tenant)
                            .Bind(2, labels.Fingerprint())
                            .Bind(3, text)
                            .Bind(4, ts)
                            .Bind(5, ts)
                            .Run());
  *id = static_cast<uint64_t>(writer_->LastInsertRowId());
  auto post = writer_->Prepare(
      "INSERT OR IGNORE INTO postings (tenant, name, value, stream_id) VALUES (?, ?, ?, ?)");
  if (!post.ok()) return post.status();
  for (const auto& l : labels.pairs()) {
    SKALD_RETURN_IF_ERROR(
        post->Bind(1, tenant).Bind(2, l.name).Bind(3, l.value).Bind(4, *id).Run());
    post->Reset();
  }
  return tx->Commit();
}

Status Index::WidenStream(uint64_t id, int64_t first, int64_t last) {
  auto up = writer_->Prepare(
      "UPDATE streams SET first_ts = min(first_ts, ?2), last_ts = max(last_ts, ?3) WHERE id = ?1");
  if (!up.ok()) return up.status();
  return up->Bind(1, id).Bind(2, first).Bind(3, last).Run();
}

Result<uint64_t> Index::GetOrCreateStream(std::string_view tenant, const Labels& labels,
                                          int64_t ts) {
  if (labels.empty()) return Status::InvalidArgument("stream has no labels");
  std::string text = labels.ToString();
  std::string key = CacheKey(tenant, text);
  std::lock_guard<std::mutex> lock(write_mu_);
  if (auto it = stream_cache_.find(key); it != stream_cache_.end()) {
    CachedStream& c = it->second;
    if (ts < c.first_ts || ts > c.last_ts) {
      SKALD_RETURN_IF_ERROR(WidenStream(c.id, ts, ts));
      c.first_ts = std::min(c.first_ts, ts);
      c.last_ts = std::max(c.last_ts, ts);
    }
    return c.id;
  }
  auto sel = writer_->Prepare(
      "SELECT id, labels, first_ts, last_ts FROM streams WHERE tenant = ? AND fingerprint = ?");
  if (!sel.ok()) return sel.status();
  sel->Bind(1, tenant).Bind(2, labels.Fingerprint());
  CachedStream found{0, ts, ts};
  while (true) {
    auto row = sel->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    if (sel->ColumnText(1) != text) continue;  // fingerprint collision
    found = {sel->ColumnUint64(0), sel->ColumnInt64(2), sel->ColumnInt64(3)};
    break;
  }
  if (found.id == 0) {
    SKALD_RETURN_IF_ERROR(InsertStream(tenant, labels, text, ts, &found.id));
  } else if (ts < found.first_ts || ts > found.last_ts) {
    SKALD_RETURN_IF_ERROR(WidenStream(found.id, ts, ts));
    found.first_ts = std::min(found.first_ts, ts);
    found.last_ts = std::max(found.last_ts, ts);
  }
  if (stream_cache_.size() >= kMaxCachedStreams) stream_cache_.clear();
  stream_cache_.emplace(std::move(key), found);
  return found.id;
}

Status Index::AddChunks(std::string_view tenant, std::span<ChunkRef> chunks) {
  if (chunks.empty()) return Status::OK();
  std::lock_guard<std::mutex> lock(write_mu_);
  auto tx = Transaction::Begin(*writer_);
  if (!tx.ok()) return tx.status();
  auto widen = writer_->Prepare(
      "UPDATE streams SET first_ts = min(first_ts, ?2), last_ts = max(last_ts, ?3) "
      "WHERE id = ?1 AND tenant = ?4");
  if (!widen.ok()) return widen.status();
  auto ins = writer_->Prepare(
      "INSERT INTO chunks (tenant, stream_id, from_ts, through_ts, file_id, file_offset, length, "
      "entries, raw_bytes, compressed_bytes, checksum) VALUES (?,?,?,?,?,?,?,?,?,?,?)");
  if (!ins.ok()) return ins.status();
  std::vector<uint64_t> ids;
  for (const ChunkRef& c : chunks) {
    SKALD_RETURN_IF_ERROR(
        widen->Bind(1, c.stream_id).Bind(2, c.from_ts).Bind(3, c.through_ts).Bind(4, tenant).Run());
    widen->Reset();
    if (writer_->Changes() != 1) {
      return Status::InvalidArgument("chunk for unknown stream " + std::to_string(c.stream_id),
                                     tenant);
    }
    SKALD_RETURN_IF_ERROR(ins->Bind(1, tenant)
                              .Bind(2, c.stream_id)
                              .Bind(3, c.from_ts)
                              .Bind(4, c.through_ts)
                              .Bind(5, c.file_id)
                              .Bind(6, c.offset)
                              .Bind(7, c.length)
                              .Bind(8, c.entries)
                              .Bind(9, c.raw_bytes)
                              .Bind(10, c.compressed_bytes)
                              .Bind(11, c.checksum)
                              .Run());
    ins->Reset();
    ids.push_back(static_cast<uint64_t>(writer_->LastInsertRowId()));
  }
  SKALD_RETURN_IF_ERROR(tx->Commit());
  for (size_t i = 0; i < chunks.size(); ++i) chunks[i].id = ids[i];
  return Status::OK();
}

// ---- stream resolution ----

Result<std::vector<StreamInfo>> Index::FindStreams(std::string_view tenant,
                                                   const std::vector<Matcher>& matchers,
                                                   int64_t from, int64_t through) {
  auto lease = Reader();
  if (!lease.ok()) return lease.status();
  return FindStreamsWith(lease->db(), tenant, matchers, from, through);
}

Result<std::vector<StreamInfo>> Index::FindStreamsWith(Database& db, std::string_view tenant,
                                                       const std::vector<Matcher>& matchers,
                                                       int64_t from, int64_t through) {
  auto plan = ResolvePostings(db, tenant, matchers);
  if (!plan.ok()) return plan.status();
  std::vector<StreamInfo> out;
  if (plan->restricted && plan->include.empty()) return out;
  auto emit = [&](const Statement& st, int col, uint64_t id) -> Status {
    if (std::binary_search(plan->exclude.begin(), plan->exclude.end(), id)) return Status::OK();
    auto labels = common::ParseLabels(st.ColumnText(col + 1));
    if (!labels.ok()) {
      return Status::Corruption("stream labels do not parse: " + labels.status().message(),
                                "stream " + std::to_string(id));
    }
    out.push_back({id, st.ColumnUint64(col), std::move(labels).value(), st.ColumnInt64(col + 2),
                   st.ColumnInt64(col + 3)});
    return Status::OK();
  };
  if (!plan->restricted) {
    auto st = db.Prepare(
        "SELECT id, fingerprint, labels, first_ts, last_ts FROM streams "
        "WHERE tenant = ? AND last_ts >= ? AND first_ts <= ? ORDER BY id");
    if (!st.ok()) return st.status();
    st->Bind(1, tenant).Bind(2, from).Bind(3, through);
    while (true) {
      auto row = st->Step();
      if (!row.ok()) return row.status();
      if (!*row) break;
      SKALD_RETURN_IF_ERROR(emit(*st, 1, st->ColumnUint64(0)));
    }
    return out;
  }
  auto st = db.Prepare(
      "SELECT fingerprint, labels, first_ts, last_ts FROM streams "
      "WHERE id = ? AND tenant = ? AND last_ts >= ? AND first_ts <= ?");
  if (!st.ok()) return st.status();
  for (uint64_t id : plan->include) {
    st->Bind(1, id).Bind(2, tenant).Bind(3, from).Bind(4, through);
    auto row = st->Step();
    if (!row.ok()) return row.status();
    if (*row) SKALD_RETURN_IF_ERROR(emit(*st, 0, id));
    st->Reset();
  }
  return out;
}

Result<std::vector<ChunkRef>> Index::ChunksFor(std::string_view tenant,
                                               const std::vector<uint64_t>& stream_ids,
                                               int64_t from, int64_t through) {
  auto lease = Reader();
  if (!lease.ok()) return lease.status();
  auto st = lease->db().Prepare(
      "SELECT " + std::string(kChunkColumns) +
      " FROM chunks WHERE tenant = ? AND stream_id = ? AND from_ts <= ? AND through_ts >= ?");
  if (!st.ok()) return st.status();
  std::vector<ChunkRef> out;
  for (uint64_t id : stream_ids) {
    st->Bind(1, tenant).Bind(2, id).Bind(3, through).Bind(4, from);
    while (true) {
      auto row = st->Step();
      if (!row.ok()) return row.status();
      if (!*row) break;
      out.push_back(ReadChunkRow(*st));
    }
    st->Reset();
  }
  std::sort(out.begin(), out.end(), [](const ChunkRef& a, const ChunkRef& b) {
    if (a.from_ts != b.from_ts) return a.from_ts < b.from_ts;
    if (a.stream_id != b.stream_id) return a.stream_id < b.stream_id;
    return a.id < b.id;
  });
  return out;
}

Result<std::vector<StreamVolume>> Index::VolumeChunks(std::string_view tenant,
                                                      const std::vector<Matcher>& matchers,
                                                      int64_t from, int64_t through) {
  auto lease = Reader();
  if (!lease.ok()) return lease.status();
  auto streams = FindStreamsWith(lease->db(), tenant, matchers, from, through);
  if (!streams.ok()) return streams.status();
  auto st = lease->db().Prepare(
      "SELECT from_ts, through_ts, entries, raw_bytes FROM chunks "
      "WHERE tenant = ? AND stream_id = ? AND from_ts <= ? AND through_ts >= ? ORDER BY from_ts");
  if (!st.ok()) return st.status();
  std::vector<StreamVolume> out;
  for (auto& s : *streams) {
    StreamVolume v;
    st->Bind(1, tenant).Bind(2, s.id).Bind(3, through).Bind(4, from);
    while (true) {
      auto row = st->Step();
      if (!row.ok()) return row.status();
      if (!*row) break;
      v.chunks.push_back(
          {st->ColumnInt64(0), st->ColumnInt64(1), st->ColumnUint64(2), st->ColumnUint64(3)});
    }
    st->Reset();
    if (v.chunks.empty()) continue;
    v.labels = std::move(s.labels);
    out.push_back(std::move(v));
  }
  return out;
}

// ---- chunk files ----

Result<uint64_t> Index::AddFile(std::string_view tenant, int64_t day, uint64_t seq,
                                std::string_view path) {
  std::lock_guard<std::mutex> lock(write_mu_);
  auto ins = writer_->Prepare("INSERT INTO files (tenant, day, seq, path) VALUES (?, ?, ?, ?)");
  if (!ins.ok()) return ins.status();
  Status st = ins->Bind(1, tenant).Bind(2, day).Bind(3, seq).Bind(4, path).Run();
  if (!st.ok()) return Status::InvalidArgument("cannot register chunk file: " + st.message(), path);
  return static_cast<uint64_t>(writer_->LastInsertRowId());
}

Result<std::vector<ChunkFileInfo>> Index::ListFiles() {
  auto lease = Reader();
  if (!lease.ok()) return lease.status();
  auto st = lease->db().Prepare(
      "SELECT f.id, f.tenant, f.day, f.seq, f.path, "
      "coalesce(max(c.file_offset + c.length), 0), count(c.id), coalesce(max(c.through_ts), 0) "
      "FROM files f LEFT JOIN chunks c ON c.file_id = f.id GROUP BY f.id ORDER BY f.id");
  if (!st.ok()) return st.status();
  std::vector<ChunkFileInfo> out;
  while (true) {
    auto row = st->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    out.push_back({st->ColumnUint64(0), std::string(st->ColumnText(1)), st->ColumnInt64(2),
                   st->ColumnUint64(3), std::string(st->ColumnText(4)), st->ColumnUint64(5),
                   st->ColumnUint64(6), st->ColumnInt64(7)});
  }
  return out;
}

Result<std::string> Index::FilePath(uint64_t file_id) {
  auto lease = Reader();
  if (!lease.ok()) return lease.status();
  auto st = lease->db().Prepare("SELECT path FROM files WHERE id = ?");
  if (!st.ok()) return st.status();
  st->Bind(1, file_id);
  auto row = st->Step();
  if (!row.ok()) return row.status();
  if (!*row) return Status::NotFound("unknown chunk file id " + std::to_string(file_id));
  return std::string(st->ColumnText(0));
}

Status Index::DeleteFiles(const std::vector<uint64_t>& file_ids) {
  if (file_ids.empty()) return Status::OK();
  std::lock_guard<std::mutex> lock(write_mu_);
  auto tx = Transaction::Begin(*writer_);
  if (!tx.ok()) return tx.status();
  auto del_chunks = writer_->Prepare("DELETE FROM chunks WHERE file_id = ?");
  auto del_file = writer_->Prepare("DELETE FROM files WHERE id = ?");
  if (!del_chunks.ok()) return del_chunks.status();
  if (!del_file.ok()) return del_file.status();
  for (uint64_t id : file_ids) {
    SKALD_RETURN_IF_ERROR(del_chunks->Bind(1, id).Run());
    del_chunks->Reset();
    SKALD_RETURN_IF_ERROR(del_file->Bind(1, id).Run());
    del_file->Reset();
  }
  return tx->Commit();
}

Status Index::TrimStreamsBefore(std::string_view tenant, int64_t cutoff) {
  std::lock_guard<std::mutex> lock(write_mu_);
  auto up = writer_->Prepare(
      "UPDATE streams SET first_ts = max(first_ts, (SELECT min(c.from_ts) FROM chunks c "
      "WHERE c.tenant = ?1 AND c.stream_id = streams.id)) "
      "WHERE tenant = ?1 AND first_ts < ?2 AND EXISTS "
      "(SELECT 1 FROM chunks c WHERE c.tenant = ?1 AND c.stream_id = streams.id)");
  if (!up.ok()) return up.status();
  SKALD_RETURN_IF_ERROR(up->Bind(1, tenant).Bind(2, cutoff).Run());
  // Cached ranges may now be wider than the rows: refill from SQLite.
  stream_cache_.clear();
  return Status::OK();
}

Result<size_t> Index::DeleteStreamsWithoutChunks(std::string_view tenant,
                                                 const std::function<bool(uint64_t)>& is_live) {
  std::lock_guard<std::mutex> lock(write_mu_);
  auto sel = writer_->Prepare(
      "SELECT s.id, s.labels FROM streams s WHERE s.tenant = ?1 AND NOT EXISTS "
      "(SELECT 1 FROM chunks c WHERE c.tenant = ?1 AND c.stream_id = s.id)");
  if (!sel.ok()) return sel.status();
  sel->Bind(1, tenant);
  std::vector<std::pair<uint64_t, std::string>> dead;
  while (true) {
    auto row = sel->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    uint64_t id = sel->ColumnUint64(0);
    if (!is_live || !is_live(id)) dead.emplace_back(id, std::string(sel->ColumnText(1)));
  }
  sel->Reset();
  if (dead.empty()) return size_t{0};
  auto tx = Transaction::Begin(*writer_);
  if (!tx.ok()) return tx.status();
  auto del_post = writer_->Prepare(
      "DELETE FROM postings WHERE tenant = ? AND stream_id = ? "
      "AND name = ? AND value = ?");
  auto del_stream = writer_->Prepare("DELETE FROM streams WHERE id = ?");
  if (!del_post.ok()) return del_post.status();
  if (!del_stream.ok()) return del_stream.status();
  for (const auto& [id, text] : dead) {
    auto labels = common::ParseLabels(text);
    if (!labels.ok()) return Status::Corruption("stream labels do not parse", text);
    for (const auto& l : labels->pairs()) {
      SKALD_RETURN_IF_ERROR(
          del_post->Bind(1, tenant).Bind(2, id).Bind(3, l.name).Bind(4, l.value).Run());
      del_post->Reset();
    }
    SKALD_RETURN_IF_ERROR(del_stream->Bind(1, id).Run());
    del_stream->Reset();
  }
  SKALD_RETURN_IF_ERROR(tx->Commit());
  for (const auto& [id, text] : dead) stream_cache_.erase(CacheKey(tenant, text));
  return dead.size();
}

}  // namespace skald::server::store
