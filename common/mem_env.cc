#include "common/mem_env.h"

#include <algorithm>
#include <cstring>
#include <iterator>

namespace skald::common {

struct MemEnv::FileState {
  std::mutex mu;
  std::string data;          // guarded by mu
  uint64_t synced = 0;       // bytes durable; guarded by mu
  bool name_durable = false; // survives SimulateCrash; guarded by mu
};

namespace {

std::string Normalize(std::string path) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  return path;
}

class MemSequentialFile final : public SequentialFile {
 public:
  explicit MemSequentialFile(std::shared_ptr<MemEnv::FileState> f) : f_(std::move(f)) {}

  Status Read(size_t n, std::string_view* result, char* scratch) override {
    std::lock_guard<std::mutex> l(f_->mu);
    size_t avail = pos_ < f_->data.size() ? f_->data.size() - pos_ : 0;
    size_t take = std::min(n, avail);
    if (take > 0) std::memcpy(scratch, f_->data.data() + pos_, take);
    pos_ += take;
    *result = std::string_view(scratch, take);
    return Status::OK();
  }

  Status Skip(uint64_t n) override {
    std::lock_guard<std::mutex> l(f_->mu);
    pos_ = std::min<uint64_t>(f_->data.size(), pos_ + n);
    return Status::OK();
  }

 private:
  std::shared_ptr<MemEnv::FileState> f_;
  size_t pos_ = 0;
};

class MemRandomAccessFile final : public RandomAccessFile {
 public:
  explicit MemRandomAccessFile(std::shared_ptr<MemEnv::FileState> f) : f_(std::move(f)) {}

  Status Read(uint64_t offset, size_t n, std::string_view* result, char* scratch) const override {
    std::lock_guard<std::mutex> l(f_->mu);
    size_t avail = offset < f_->data.size() ? f_->data.size() - offset : 0;
    size_t take = std::min(n, avail);
    if (take > 0) std::memcpy(scratch, f_->data.data() + offset, take);
    *result = std::string_view(scratch, take);
    return Status::OK();
  }

 private:
  std::shared_ptr<MemEnv::FileState> f_;
};

class MemWritableFile final : public WritableFile {
 public:
  MemWritableFile(MemEnv* env, std::shared_ptr<MemEnv::FileState> f) : env_(env), f_(std::move(f)) {
    std::lock_guard<std::mutex> l(f_->mu);
    size_ = f_->data.size();
  }

  Status Append(std::string_view data) override {
    if (closed_) return Status::IOError("append to closed file");
    SKALD_RETURN_IF_ERROR(env_->CheckAppend());
    std::lock_guard<std::mutex> l(f_->mu);
    f_->data.append(data);
    size_ += data.size();
    return Status::OK();
  }

  Status Flush() override { return Status::OK(); }

  Status Sync() override {
    if (closed_) return Status::IOError("sync of closed file");
    SKALD_RETURN_IF_ERROR(env_->CheckSync());
    std::lock_guard<std::mutex> l(f_->mu);
    f_->synced = f_->data.size();
    f_->name_durable = true;
    return Status::OK();
  }

  Status Close() override {
    closed_ = true;
    return Status::OK();
  }

  uint64_t Size() const override { return size_; }

 private:
  MemEnv* const env_;
  std::shared_ptr<MemEnv::FileState> f_;
  uint64_t size_ = 0;
  bool closed_ = false;
};

class MemFileLock final : public FileLock {
 public:
  MemFileLock(std::mutex* mu, std::set<std::string>* locks, std::string path)
      : mu_(mu), locks_(locks), path_(std::move(path)) {}
  ~MemFileLock() override {
    std::lock_guard<std::mutex> l(*mu_);
    locks_->erase(path_);
  }

 private:
  std::mutex* mu_;
  std::set<std::string>* locks_;
  const std::string path_;
};

}  // namespace

MemEnv::MemEnv() { dirs_.insert("/"); }
MemEnv::~MemEnv() = default;

std::shared_ptr<MemEnv::FileState> MemEnv::Find(const std::string& path) const {
  std::lock_guard<std::mutex> l(mu_);
  auto it = files_.find(Normalize(path));
  return it == files_.end() ? nullptr : it->second;
}

Result<std::unique_ptr<SequentialFile>> MemEnv::NewSequentialFile(const std::string& path) {
  auto f = Find(path);
  if (!f) return Status::NotFound("no such file", path);
  return std::unique_ptr<SequentialFile>(new MemSequentialFile(std::move(f)));
}

Result<std::unique_ptr<RandomAccessFile>> MemEnv::NewRandomAccessFile(const std::string& path) {
  auto f = Find(path);
  if (!f) return Status::NotFound("no such file", path);
  return std::unique_ptr<RandomAccessFile>(new MemRandomAccessFile(std::move(f)));
}

Result<std::unique_ptr<WritableFile>> MemEnv::OpenWritable(const std::string& path, bool truncate) {
  std::string p = Normalize(path);
  std::shared_ptr<FileState> f;
  {
    std::lock_guard<std::mutex> l(mu_);
    if (dirs_.count(p)) return Status::IOError("is a directory", path);
    if (!dirs_.count(DirName(p)) && DirName(p) != ".") {
      return Status::NotFound("no such directory", DirName(p));
    }
    auto& slot = files_[p];
    if (!slot) slot = std::make_shared<FileState>();
    f = slot;
  }
  if (truncate) {
    std::lock_guard<std::mutex> l(f->mu);
    f->data.clear();
    f->synced = 0;
  }
  return std::unique_ptr<WritableFile>(new MemWritableFile(this, std::move(f)));
}

Result<std::unique_ptr<WritableFile>> MemEnv::NewWritableFile(const std::string& path) {
  return OpenWritable(path, true);
}

Result<std::unique_ptr<WritableFile>> MemEnv::NewAppendableFile(const std::string& path) {
  return OpenWritable(path, false);
}

bool MemEnv::FileExists(const std::string& path) {
  std::lock_guard<std::mutex> l(mu_);
  std::string p = Normalize(path);
  return files_.count(p) > 0 || dirs_.count(p) > 0;
}

Result<std::vector<std::string>> MemEnv::GetChildren(const std::string& dir) {
  std::string d = Normalize(dir);
  std::lock_guard<std::mutex> l(mu_);
  if (!dirs_.count(d)) return Status::NotFound("no such directory", dir);
  std::vector<std::string> names;
  auto add = [&](const std::string& p) {
    if (p != d && DirName(p) == d) names.push_back(p.substr(p.rfind('/') + 1));
  };
  for (const auto& [p, f] : files_) add(p);
  for (const auto& p : dirs_) add(p);
  return names;
}

Status MemEnv::RemoveFile(const std::string& path) {
  std::lock_guard<std::mutex> l(mu_);
  if (files_.erase(Normalize(path)) == 0) return Status::NotFound("no such file", path);
  return Status::OK();
}

Status MemEnv::CreateDirs(const std::string& dir) {
  std::string d = Normalize(dir);
  std::lock_guard<std::mutex> l(mu_);
  while (!d.empty() && d != "." && d != "/") {
    if (files_.count(d)) return Status::IOError("not a directory", d);
    dirs_.insert(d);
    d = DirName(d);
  }
  return Status::OK();
}

Status MemEnv::RemoveDir(const std::string& dir) {
  std::string d = Normalize(dir);
  std::lock_guard<std::mutex> l(mu_);
  if (!dirs_.count(d)) return Status::NotFound("no such directory", dir);
  for (const auto& [p, f] : files_) {
    if (DirName(p) == d) return Status::IOError("directory not empty", dir);
  }
  for (const auto& p : dirs_) {
    if (p != d && DirName(p) == d) return Status::IOError("directory not empty", dir);
  }
  dirs_.erase(d);
  return Status::OK();
}

Result<uint64_t> MemEnv::GetFileSize(const std::string& path) {
  auto f = Find(path);
  if (!f) return Status::NotFound("no such file", path);
  std::lock_guard<std::mutex> l(f->mu);
  return static_cast<uint64_t>(f->data.size());
}

Status MemEnv::RenameFile(const std::string& src, const std::string& dst) {
  std::lock_guard<std::mutex> l(mu_);
  auto it = files_.find(Normalize(src));
  if (it == files_.end()) return Status::NotFound("no such file", src);
  auto f = it->second;
  files_.erase(it);
  files_[Normalize(dst)] = f;
  std::lock_guard<std::mutex> fl(f->mu);
  f->name_durable = true;  // RenameFile syncs the directories
  return Status::OK();
}

Status MemEnv::SyncDir(const std::string& dir) {
  std::string d = Normalize(dir);
  std::lock_guard<std::mutex> l(mu_);
  if (!dirs_.count(d)) return Status::NotFound("no such directory", dir);
  for (auto& [p, f] : files_) {
    if (DirName(p) != d) continue;
    std::lock_guard<std::mutex> fl(f->mu);
    f->name_durable = true;
  }
  return Status::OK();
}

Result<std::unique_ptr<FileLock>> MemEnv::LockFile(const std::string& path) {
  std::string p = Normalize(path);
  std::lock_guard<std::mutex> l(mu_);
  if (!locks_.insert(p).second) return Status::IOError("lock already held", path);
  auto& slot = files_[p];
  if (!slot) slot = std::make_shared<FileState>();
  return std::unique_ptr<FileLock>(new MemFileLock(&mu_, &locks_, p));
}

void MemEnv::SimulateCrash() {
  std::lock_guard<std::mutex> l(mu_);
  for (auto it = files_.begin(); it != files_.end();) {
    bool keep;
    {
      std::lock_guard<std::mutex> fl(it->second->mu);
      keep = it->second->name_durable;
      it->second->data.resize(it->second->synced);
    }
    it = keep ? std::next(it) : files_.erase(it);
  }
}

void MemEnv::SetAppendError(Status s) {
  std::lock_guard<std::mutex> l(mu_);
  append_error_ = std::move(s);
}

void MemEnv::SetSyncError(Status s) {
  std::lock_guard<std::mutex> l(mu_);
  sync_error_ = std::move(s);
}

Status MemEnv::CheckAppend() const {
  std::lock_guard<std::mutex> l(mu_);
  return append_error_;
}

void MemEnv::SetSyncHook(std::function<void()> hook) {
  std::lock_guard<std::mutex> l(mu_);
  sync_hook_ = std::move(hook);
}

Status MemEnv::CheckSync() {
  std::function<void()> hook;
  {
    std::lock_guard<std::mutex> l(mu_);
    hook = sync_hook_;
  }
  if (hook) hook();
  {
    std::lock_guard<std::mutex> l(mu_);
    if (!sync_error_.ok()) return sync_error_;
  }
  sync_count_.fetch_add(1);
  return Status::OK();
}

Status MemEnv::Truncate(const std::string& path, uint64_t size) {
  auto f = Find(path);
  if (!f) return Status::NotFound("no such file", path);
  std::lock_guard<std::mutex> l(f->mu);
  if (size < f->data.size()) f->data.resize(size);
  f->synced = std::min<uint64_t>(f->synced, f->data.size());
  return Status::OK();
}

Status MemEnv::CorruptByte(const std::string& path, uint64_t offset, uint8_t mask) {
  auto f = Find(path);
  if (!f) return Status::NotFound("no such file", path);
  std::lock_guard<std::mutex> l(f->mu);
  if (offset >= f->data.size()) return Status::InvalidArgument("offset past end of file", path);
  f->data[offset] = static_cast<char>(f->data[offset] ^ mask);
  return Status::OK();
}

}  // namespace skald::common
