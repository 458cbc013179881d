#include "server/store/chunk_store.h"

#include <fcntl.h>
#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <set>

#include "common/time.h"

namespace skald::server::store {

using common::Env;
using common::JoinPath;
using common::Result;
using common::Status;
using common::StatusCode;

namespace {

// Copy buffer for truncation through a non-POSIX Env.
constexpr size_t kCopyBufferBytes = 1 << 20;
constexpr std::string_view kChunkSuffix = ".chunks";
constexpr std::string_view kTempSuffix = ".chunks.tmp";

Status ValidateTenant(std::string_view tenant) {
  if (tenant.empty() || tenant.size() > kMaxTenantBytes || tenant == "." || tenant == ".." ||
      tenant.find('/') != std::string_view::npos || tenant.find('\0') != std::string_view::npos) {
    return Status::InvalidArgument("invalid tenant id for chunk storage", tenant);
  }
  return Status::OK();
}

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// "<path>@<offset>" for error messages.
std::string Where(const Result<std::string>& path, uint64_t file_id, uint64_t offset) {
  std::string where = path.ok() ? *path : "chunk file " + std::to_string(file_id);
  return where + "@" + std::to_string(offset);
}

}  // namespace

int64_t DayOf(int64_t ts_ns) {
  int64_t d = ts_ns / common::kNanosPerDay;
  if (ts_ns % common::kNanosPerDay < 0) --d;
  return d;
}

std::string DayName(int64_t day) {
  std::chrono::year_month_day ymd{std::chrono::sys_days{std::chrono::days{day}}};
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  return buf;
}

ChunkStore::ChunkStore(ChunkStoreOptions options, Index* index)
    : options_(std::move(options)),
      env_(options_.env ? options_.env : Env::Default()),
      index_(index) {}

ChunkStore::~ChunkStore() {
  for (auto& [key, a] : appenders_) {
    if (a.file) (void)a.file->Close();
  }
}

Result<std::unique_ptr<ChunkStore>> ChunkStore::Open(const ChunkStoreOptions& options,
                                                     Index* index) {
  std::unique_ptr<ChunkStore> store(new ChunkStore(options, index));
  SKALD_RETURN_IF_ERROR(store->env_->CreateDirs(options.root));
  auto stats = store->Recover();
  if (!stats.ok()) return stats.status();
  return store;
}

std::string ChunkStore::RelPath(const std::string& tenant, int64_t day, uint64_t seq) const {
  char name[32];
  std::snprintf(name, sizeof(name), "%06llu", static_cast<unsigned long long>(seq));
  return tenant + "/" + DayName(day) + "/" + name + std::string(kChunkSuffix);
}

// ---- writing ----

Status ChunkStore::OpenNextFile(const std::string& tenant, int64_t day, Appender* a) {
  DayKey key{tenant, day};
  uint64_t seq;
  {
    std::lock_guard<std::mutex> lock(catalog_mu_);
    seq = last_seq_[key] + 1;
  }
  std::string rel = RelPath(tenant, day, seq);
  std::string path = JoinPath(options_.root, rel);
  std::string day_dir = common::DirName(path);
  bool new_dir = !env_->FileExists(day_dir);
  // Register first: a crash before the file holds indexed chunks leaves a
  // row without chunks, which Recover removes.
  auto id = index_->AddFile(tenant, day, seq, rel);
  if (!id.ok()) return id.status();
  {
    std::lock_guard<std::mutex> lock(catalog_mu_);
    last_seq_[key] = seq;
    catalog_[*id] = {tenant, day, seq, path};
  }
  SKALD_RETURN_IF_ERROR(env_->CreateDirs(day_dir));
  if (new_dir) {
    SKALD_RETURN_IF_ERROR(env_->SyncDir(JoinPath(options_.root, tenant)));
    SKALD_RETURN_IF_ERROR(env_->SyncDir(options_.root));
  }
  auto file = env_->NewWritableFile(path);
  if (!file.ok()) return file.status();
  a->file_id = *id;
  a->seq = seq;
  a->file = std::move(file).value();
  return Status::OK();
}

Result<ChunkStore::Appender*> ChunkStore::AppenderFor(const std::string& tenant, int64_t day,
                                                      uint64_t need) {
  DayKey key{tenant, day};
  auto it = appenders_.find(key);
  if (it != appenders_.end()) {
    Appender& a = it->second;
    if (a.file->Size() == 0 || a.file->Size() + need <= options_.max_file_bytes) return &a;
    // Rotate: make what this batch appended durable before closing.
    SKALD_RETURN_IF_ERROR(a.file->Sync());
    SKALD_RETURN_IF_ERROR(a.file->Close());
    a.file.reset();
    SKALD_RETURN_IF_ERROR(OpenNextFile(tenant, day, &a));
    return &a;
  }
  if (appenders_.size() >= options_.max_open_appenders && !appender_order_.empty()) {
    auto victim = appenders_.find(appender_order_.front());
    appender_order_.erase(appender_order_.begin());
    if (victim != appenders_.end()) {
      SKALD_RETURN_IF_ERROR(victim->second.file->Sync());
      (void)victim->second.file->Close();
      appenders_.erase(victim);
    }
  }
  Appender a;
  // Continue the day's last file when it has room.
  uint64_t last_id = 0;
  std::string last_path;
  uint64_t last_seq = 0;
  {
    std::lock_guard<std::mutex> lock(catalog_mu_);
    for (const auto& [id, e] : catalog_) {
      if (e.tenant == tenant && e.day == day && e.seq > last_seq) {
        last_seq = e.seq;
        last_id = id;
        last_path = e.path;
      }
    }
  }
  if (last_id != 0) {
    auto size = env_->GetFileSize(last_path);
    if (size.ok() && (*size == 0 || *size + need <= options_.max_file_bytes)) {
      auto file = env_->NewAppendableFile(last_path);
      if (!file.ok()) return file.status();
      a = {last_id, last_seq, std::move(file).value()};
    }
  }
  if (!a.file) SKALD_RETURN_IF_ERROR(OpenNextFile(tenant, day, &a));
  appender_order_.push_back(key);
  return &(appenders_[key] = std::move(a));
}

Result<ChunkRef> ChunkStore::Write(std::string_view tenant, uint64_t stream_id, int64_t day,
                                   std::string_view bytes, const ChunkMeta& meta) {
  PendingChunk c{stream_id, day, bytes, meta};
  auto refs = WriteMany(tenant, std::span<const PendingChunk>(&c, 1));
  if (!refs.ok()) return refs.status();
  return refs->front();
}

Result<std::vector<ChunkRef>> ChunkStore::WriteMany(std::string_view tenant_view,
                                                    std::span<const PendingChunk> chunks) {
  SKALD_RETURN_IF_ERROR(ValidateTenant(tenant_view));
  std::vector<ChunkRef> refs;
  if (chunks.empty()) return refs;
  std::string tenant(tenant_view);
  std::lock_guard<std::mutex> lock(write_mu_);
  std::set<DayKey> touched;
  // Any failure leaves the appender's size unknown: drop the handles so the
  // next write reopens the files at their real size.
  auto fail = [&](Status st) {
    for (auto& [key, a] : appenders_) (void)a.file->Close();
    appenders_.clear();
    appender_order_.clear();
    return st;
  };
  for (const PendingChunk& c : chunks) {
    auto a = AppenderFor(tenant, c.day, c.bytes.size());
    if (!a.ok()) return fail(a.status());
    ChunkRef r;
    r.stream_id = c.stream_id;
    r.from_ts = c.meta.from_ts;
    r.through_ts = c.meta.through_ts;
    r.file_id = (*a)->file_id;
    r.offset = (*a)->file->Size();
    r.length = c.bytes.size();
    r.entries = c.meta.entries;
    r.raw_bytes = c.meta.raw_bytes;
    r.compressed_bytes = c.bytes.size();
    r.checksum = XXH3_64bits(c.bytes.data(), c.bytes.size());
    Status st = (*a)->file->Append(c.bytes);
    if (!st.ok()) return fail(st);
    touched.insert({tenant, c.day});
    refs.push_back(r);
  }
  for (const DayKey& key : touched) {
    auto it = appenders_.find(key);
    if (it == appenders_.end()) continue;  // evicted: synced then
    Status st = it->second.file->Sync();
    if (!st.ok()) return fail(st);
  }
  SKALD_RETURN_IF_ERROR(index_->AddChunks(tenant, refs));
  return refs;
}

// ---- reading ----

Result<std::string> ChunkStore::PathOf(uint64_t file_id) {
  std::lock_guard<std::mutex> lock(catalog_mu_);
  auto it = catalog_.find(file_id);
  if (it == catalog_.end()) {
    return Status::NotFound("unknown chunk file id " + std::to_string(file_id));
  }
  return it->second.path;
}

Result<std::shared_ptr<common::RandomAccessFile>> ChunkStore::ReaderFor(uint64_t file_id) {
  {
    std::lock_guard<std::mutex> lock(readers_mu_);
    auto it = readers_.find(file_id);
    if (it != readers_.end()) return it->second;
  }
  auto path = PathOf(file_id);
  if (!path.ok()) return path.status();
  auto file = env_->NewRandomAccessFile(*path);
  if (!file.ok()) return file.status();
  std::shared_ptr<common::RandomAccessFile> shared(std::move(file).value());
  std::lock_guard<std::mutex> lock(readers_mu_);
  if (readers_.size() >= options_.max_open_readers) readers_.clear();
  readers_.emplace(file_id, shared);
  return shared;
}

Result<std::string> ChunkStore::Read(const ChunkRef& ref) {
  auto file = ReaderFor(ref.file_id);
  if (!file.ok()) return file.status();
  std::string buf(ref.length, '\0');
  std::string_view got;
  SKALD_RETURN_IF_ERROR((*file)->Read(ref.offset, ref.length, &got, buf.data()));
  if (got.size() < ref.length) {
    return Status::Corruption("chunk file too short: want " + std::to_string(ref.length) +
                                  " bytes, got " + std::to_string(got.size()),
                              Where(PathOf(ref.file_id), ref.file_id, ref.offset));
  }
  if (got.data() != buf.data()) std::memcpy(buf.data(), got.data(), ref.length);
  if (XXH3_64bits(buf.data(), buf.size()) != ref.checksum) {
    return Status::Corruption("chunk checksum mismatch",
                              Where(PathOf(ref.file_id), ref.file_id, ref.offset));
  }
  return buf;
}

Result<std::string> ChunkStore::ReadRange(const ChunkRef& ref, uint64_t offset,
                                          uint64_t length) {
  std::string buf;
  SKALD_RETURN_IF_ERROR(ReadRangeInto(ref, offset, length, &buf));
  return buf;
}

Status ChunkStore::ReadRangeInto(const ChunkRef& ref, uint64_t offset, uint64_t length,
                                 std::string* out) {
  if (offset > ref.length || length > ref.length - offset) {
    return Status::InvalidArgument("chunk range [" + std::to_string(offset) + ", +" +
                                   std::to_string(length) + ") outside a chunk of " +
                                   std::to_string(ref.length) + " bytes");
  }
  auto file = ReaderFor(ref.file_id);
  if (!file.ok()) return file.status();
  std::string& buf = *out;
  buf.resize(length);
  std::string_view got;
  SKALD_RETURN_IF_ERROR((*file)->Read(ref.offset + offset, length, &got, buf.data()));
  if (got.size() < length) {
    return Status::Corruption("chunk file too short: want " + std::to_string(length) +
                                  " bytes, got " + std::to_string(got.size()),
                              Where(PathOf(ref.file_id), ref.file_id, ref.offset + offset));
  }
  if (got.data() != buf.data()) std::memcpy(buf.data(), got.data(), length);
  return Status::OK();
}

// ---- deletion and recovery ----

Status ChunkStore::DeleteFiles(const std::vector<uint64_t>& file_ids) {
  std::lock_guard<std::mutex> lock(write_mu_);
  std::set<uint64_t> ids(file_ids.begin(), file_ids.end());
  for (auto it = appenders_.begin(); it != appenders_.end();) {
    if (ids.count(it->second.file_id)) {
      (void)it->second.file->Close();
      std::erase(appender_order_, it->first);
      it = appenders_.erase(it);
    } else {
      ++it;
    }
  }
  SKALD_RETURN_IF_ERROR(index_->DeleteFiles(file_ids));
  std::vector<std::string> paths;
  {
    std::lock_guard<std::mutex> lock2(catalog_mu_);
    for (uint64_t id : ids) {
      auto it = catalog_.find(id);
      if (it == catalog_.end()) continue;
      paths.push_back(it->second.path);
      catalog_.erase(it);
    }
  }
  {
    std::lock_guard<std::mutex> lock3(readers_mu_);
    for (uint64_t id : ids) readers_.erase(id);
  }
  for (const auto& p : paths) {
    Status st = env_->RemoveFile(p);
    if (!st.ok() && st.code() != StatusCode::kNotFound) return st;
    (void)env_->RemoveDir(common::DirName(p));  // fails while other files remain
  }
  return Status::OK();
}

Status ChunkStore::TruncateFile(const std::string& path, uint64_t size) {
  if (env_ == Env::Default()) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) return Status::IOError(std::string("open: ") + std::strerror(errno), path);
    Status st;
    if (::ftruncate(fd, static_cast<off_t>(size)) != 0) {
      st = Status::IOError(std::string("ftruncate: ") + std::strerror(errno), path);
    } else if (::fsync(fd) != 0) {
      st = Status::IOError(std::string("fsync: ") + std::strerror(errno), path);
    }
    ::close(fd);
    return st;
  }
  // Env without truncation: copy the prefix to a temp file and rename it over.
  auto in = env_->NewSequentialFile(path);
  if (!in.ok()) return in.status();
  std::string tmp = path.substr(0, path.size() - kChunkSuffix.size()) + std::string(kTempSuffix);
  auto out = env_->NewWritableFile(tmp);
  if (!out.ok()) return out.status();
  std::string scratch(kCopyBufferBytes, '\0');
  uint64_t left = size;
  while (left > 0) {
    std::string_view piece;
    SKALD_RETURN_IF_ERROR(
        (*in)->Read(std::min<uint64_t>(left, scratch.size()), &piece, scratch.data()));
    if (piece.empty()) return Status::Corruption("chunk file shrank during recovery", path);
    SKALD_RETURN_IF_ERROR((*out)->Append(piece));
    left -= piece.size();
  }
  SKALD_RETURN_IF_ERROR((*out)->Sync());
  SKALD_RETURN_IF_ERROR((*out)->Close());
  return env_->RenameFile(tmp, path);
}

Status ChunkStore::RemoveUnknownFiles(RecoveryStats* stats) {
  std::set<std::string> known;
  {
    std::lock_guard<std::mutex> lock(catalog_mu_);
    for (const auto& [id, e] : catalog_) known.insert(e.path);
  }
  auto tenants = env_->GetChildren(options_.root);
  if (!tenants.ok()) return tenants.status();
  for (const auto& t : *tenants) {
    std::string tdir = JoinPath(options_.root, t);
    auto days = env_->GetChildren(tdir);
    if (!days.ok()) continue;  // not a directory
    for (const auto& d : *days) {
      std::string ddir = JoinPath(tdir, d);
      auto files = env_->GetChildren(ddir);
      if (!files.ok()) continue;
      size_t kept = files->size();
      for (const auto& f : *files) {
        if (!EndsWith(f, kChunkSuffix) && !EndsWith(f, kTempSuffix)) continue;
        std::string path = JoinPath(ddir, f);
        if (known.count(path)) continue;
        SKALD_RETURN_IF_ERROR(env_->RemoveFile(path));
        ++stats->files_removed;
        --kept;
      }
      if (kept == 0) (void)env_->RemoveDir(ddir);
    }
  }
  return Status::OK();
}

Result<RecoveryStats> ChunkStore::Recover() {
  std::lock_guard<std::mutex> lock(write_mu_);
  for (auto& [key, a] : appenders_) (void)a.file->Close();
  appenders_.clear();
  appender_order_.clear();
  {
    std::lock_guard<std::mutex> lock2(readers_mu_);
    readers_.clear();
  }
  auto files = index_->ListFiles();
  if (!files.ok()) return files.status();
  RecoveryStats stats;
  std::vector<uint64_t> empty;
  std::unordered_map<uint64_t, CatalogEntry> catalog;
  std::map<DayKey, uint64_t> last_seq;
  for (const ChunkFileInfo& f : *files) {
    std::string path = JoinPath(options_.root, f.path);
    auto& seq = last_seq[{f.tenant, f.day}];
    seq = std::max(seq, f.seq);
    if (f.chunks == 0) {
      Status st = env_->RemoveFile(path);
      if (!st.ok() && st.code() != StatusCode::kNotFound) return st;
      empty.push_back(f.id);
      ++stats.files_removed;
      continue;
    }
    catalog[f.id] = {f.tenant, f.day, f.seq, path};
    auto size = env_->GetFileSize(path);
    if (!size.ok()) {
      if (size.status().code() != StatusCode::kNotFound) return size.status();
      ++stats.files_missing;
    } else if (*size > f.end) {
      SKALD_RETURN_IF_ERROR(TruncateFile(path, f.end));
      ++stats.files_truncated;
      stats.bytes_truncated += *size - f.end;
    } else if (*size < f.end) {
      ++stats.files_short;
    }
  }
  SKALD_RETURN_IF_ERROR(index_->DeleteFiles(empty));
  {
    std::lock_guard<std::mutex> lock2(catalog_mu_);
    catalog_ = std::move(catalog);
    last_seq_ = std::move(last_seq);
  }
  SKALD_RETURN_IF_ERROR(RemoveUnknownFiles(&stats));
  last_recovery_ = stats;
  return stats;
}

}  // namespace skald::server::store
