#include "common/env.h"

#include <cerrno>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <mutex>
#include <set>
#include <sys/stat.h>
#include <unistd.h>

namespace skald::common {
namespace {

// Buffer of a PosixWritableFile; appends larger than this go straight to write(2).
constexpr size_t kWritableBufferBytes = 64 * 1024;

Status PosixError(std::string_view context, const std::string& path, int err) {
  std::string msg(context);
  msg += ": ";
  msg += std::strerror(err);
  if (err == ENOENT) return Status::NotFound(msg, path);
  return Status::IOError(msg, path);
}

Status WriteAll(int fd, const char* p, size_t n, const std::string& path) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return PosixError("write", path, errno);
    }
    p += w;
    n -= static_cast<size_t>(w);
  }
  return Status::OK();
}

Status SyncDirPath(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return PosixError("open directory", dir, errno);
  Status s;
  if (::fsync(fd) != 0) s = PosixError("fsync directory", dir, errno);
  ::close(fd);
  return s;
}

class PosixSequentialFile final : public SequentialFile {
 public:
  PosixSequentialFile(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  ~PosixSequentialFile() override { ::close(fd_); }

  Status Read(size_t n, std::string_view* result, char* scratch) override {
    size_t got = 0;
    while (got < n) {
      ssize_t r = ::read(fd_, scratch + got, n - got);
      if (r < 0) {
        if (errno == EINTR) continue;
        return PosixError("read", path_, errno);
      }
      if (r == 0) break;
      got += static_cast<size_t>(r);
    }
    *result = std::string_view(scratch, got);
    return Status::OK();
  }

  Status Skip(uint64_t n) override {
    if (::lseek(fd_, static_cast<off_t>(n), SEEK_CUR) < 0) return PosixError("lseek", path_, errno);
    return Status::OK();
  }

 private:
  const std::string path_;
  const int fd_;
};

class PosixRandomAccessFile final : public RandomAccessFile {
 public:
  PosixRandomAccessFile(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  ~PosixRandomAccessFile() override { ::close(fd_); }

  Status Read(uint64_t offset, size_t n, std::string_view* result, char* scratch) const override {
    size_t got = 0;
    while (got < n) {
      ssize_t r = ::pread(fd_, scratch + got, n - got, static_cast<off_t>(offset + got));
      if (r < 0) {
        if (errno == EINTR) continue;
        return PosixError("pread", path_, errno);
      }
      if (r == 0) break;
      got += static_cast<size_t>(r);
    }
    *result = std::string_view(scratch, got);
    return Status::OK();
  }

 private:
  const std::string path_;
  const int fd_;
};

class PosixWritableFile final : public WritableFile {
 public:
  PosixWritableFile(std::string path, int fd, uint64_t size, bool sync_dir_on_first_sync)
      : path_(std::move(path)), fd_(fd), size_(size), sync_dir_(sync_dir_on_first_sync) {}
  ~PosixWritableFile() override {
    if (fd_ >= 0) (void)Close();
  }

  Status Append(std::string_view data) override {
    size_ += data.size();
    if (buf_.size() + data.size() <= kWritableBufferBytes) {
      buf_.append(data);
      return Status::OK();
    }
    SKALD_RETURN_IF_ERROR(Flush());
    if (data.size() <= kWritableBufferBytes) {
      buf_.append(data);
      return Status::OK();
    }
    return WriteAll(fd_, data.data(), data.size(), path_);
  }

  Status Flush() override {
    if (buf_.empty()) return Status::OK();
    Status s = WriteAll(fd_, buf_.data(), buf_.size(), path_);
    buf_.clear();
    return s;
  }

  Status Sync() override {
    SKALD_RETURN_IF_ERROR(Flush());
    if (::fdatasync(fd_) != 0) return PosixError("fdatasync", path_, errno);
    if (sync_dir_) {
      SKALD_RETURN_IF_ERROR(SyncDirPath(DirName(path_)));
      sync_dir_ = false;
    }
    return Status::OK();
  }

  Status Close() override {
    if (fd_ < 0) return Status::OK();
    Status s = Flush();
    if (::close(fd_) != 0 && s.ok()) s = PosixError("close", path_, errno);
    fd_ = -1;
    return s;
  }

  uint64_t Size() const override { return size_; }

 private:
  const std::string path_;
  int fd_;
  uint64_t size_;
  bool sync_dir_;
  std::string buf_;
};

// In-process registry of held locks: fcntl locks do not exclude the same process.
class LockTable {
 public:
  bool Insert(const std::string& path) {
    std::lock_guard<std::mutex> l(mu_);
    return paths_.insert(path).second;
  }
  void Remove(const std::string& path) {
    std::lock_guard<std::mutex> l(mu_);
    paths_.erase(path);
  }

 private:
  std::mutex mu_;
  std::set<std::string> paths_;  // guarded by mu_
};

LockTable& Locks() {
  static LockTable* table = new LockTable();
  return *table;
}

class PosixFileLock final : public FileLock {
 public:
  PosixFileLock(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  ~PosixFileLock() override {
    ::close(fd_);  // releases the fcntl lock
    Locks().Remove(path_);
  }

 private:
  const std::string path_;
  const int fd_;
};

class PosixEnv final : public Env {
 public:
  Result<std::unique_ptr<SequentialFile>> NewSequentialFile(const std::string& path) override {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return PosixError("open", path, errno);
    return std::unique_ptr<SequentialFile>(new PosixSequentialFile(path, fd));
  }

  Result<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(const std::string& path) override {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return PosixError("open", path, errno);
    return std::unique_ptr<RandomAccessFile>(new PosixRandomAccessFile(path, fd));
  }

  Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) override {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return PosixError("open", path, errno);
    return std::unique_ptr<WritableFile>(new PosixWritableFile(path, fd, 0, true));
  }

  Result<std::unique_ptr<WritableFile>> NewAppendableFile(const std::string& path) override {
    bool existed = FileExists(path);
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) return PosixError("open", path, errno);
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
      int err = errno;
      ::close(fd);
      return PosixError("fstat", path, err);
    }
    return std::unique_ptr<WritableFile>(
        new PosixWritableFile(path, fd, static_cast<uint64_t>(st.st_size), !existed));
  }

  bool FileExists(const std::string& path) override { return ::access(path.c_str(), F_OK) == 0; }

  Result<std::vector<std::string>> GetChildren(const std::string& dir) override {
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) return PosixError("opendir", dir, errno);
    std::vector<std::string> names;
    while (struct dirent* e = ::readdir(d)) {
      std::string_view name(e->d_name);
      if (name != "." && name != "..") names.emplace_back(name);
    }
    ::closedir(d);
    return names;
  }

  Status RemoveFile(const std::string& path) override {
    if (::unlink(path.c_str()) != 0) return PosixError("unlink", path, errno);
    return Status::OK();
  }

  Status CreateDirs(const std::string& dir) override {
    if (dir.empty() || dir == "." || dir == "/") return Status::OK();
    struct stat st {};
    if (::stat(dir.c_str(), &st) == 0) {
      if (S_ISDIR(st.st_mode)) return Status::OK();
      return Status::IOError("not a directory", dir);
    }
    SKALD_RETURN_IF_ERROR(CreateDirs(DirName(dir)));
    if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) return PosixError("mkdir", dir, errno);
    return SyncDirPath(DirName(dir));
  }

  Status RemoveDir(const std::string& dir) override {
    if (::rmdir(dir.c_str()) != 0) return PosixError("rmdir", dir, errno);
    return Status::OK();
  }

  Result<uint64_t> GetFileSize(const std::string& path) override {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return PosixError("stat", path, errno);
    return static_cast<uint64_t>(st.st_size);
  }

  Status RenameFile(const std::string& src, const std::string& dst) override {
    if (::rename(src.c_str(), dst.c_str()) != 0) return PosixError("rename", src, errno);
    SKALD_RETURN_IF_ERROR(SyncDirPath(DirName(dst)));
    if (DirName(src) != DirName(dst)) return SyncDirPath(DirName(src));
    return Status::OK();
  }

  Status SyncDir(const std::string& dir) override { return SyncDirPath(dir); }

  Result<std::unique_ptr<FileLock>> LockFile(const std::string& path) override {
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return PosixError("open lock file", path, errno);
    if (!Locks().Insert(path)) {
      ::close(fd);
      return Status::IOError("lock already held by this process", path);
    }
    struct flock fl {};
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    if (::fcntl(fd, F_SETLK, &fl) != 0) {
      int err = errno;
      ::close(fd);
      Locks().Remove(path);
      return PosixError("lock held by another process", path, err);
    }
    return std::unique_ptr<FileLock>(new PosixFileLock(path, fd));
  }
};

}  // namespace

Env* Env::Default() {
  static Env* env = new PosixEnv();
  return env;
}

std::string DirName(std::string_view path) {
  size_t slash = path.rfind('/');
  if (slash == std::string_view::npos) return ".";
  if (slash == 0) return "/";
  return std::string(path.substr(0, slash));
}

std::string JoinPath(std::string_view dir, std::string_view name) {
  std::string out(dir);
  if (!out.empty() && out.back() != '/') out += '/';
  out += name;
  return out;
}

Result<std::string> ReadFileToString(Env& env, const std::string& path) {
  auto file = env.NewSequentialFile(path);
  if (!file.ok()) return file.status();
  constexpr size_t kChunk = 64 * 1024;
  std::string out;
  std::string scratch(kChunk, '\0');
  while (true) {
    std::string_view got;
    SKALD_RETURN_IF_ERROR((*file)->Read(kChunk, &got, scratch.data()));
    if (got.empty()) break;
    out.append(got);
  }
  return out;
}

Status WriteFileAtomic(Env& env, const std::string& path, std::string_view data) {
  std::string tmp = path + ".tmp";
  auto file = env.NewWritableFile(tmp);
  if (!file.ok()) return file.status();
  Status s = (*file)->Append(data);
  if (s.ok()) s = (*file)->Sync();
  if (s.ok()) s = (*file)->Close();
  if (s.ok()) s = env.RenameFile(tmp, path);
  if (!s.ok()) (void)env.RemoveFile(tmp);
  return s;
}

}  // namespace skald::common
