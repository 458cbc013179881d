// Env: the file system, behind an interface so storage code (WAL, chunk
// files, agent positions) runs against the real disk in production and
// against MemEnv (common/mem_env.h) with fault injection in tests.
// Modelled on leveldb's include/leveldb/env.h.
//
// Concurrency: an Env is safe to use from any number of threads. A
// RandomAccessFile is safe for concurrent Read calls. SequentialFile and
// WritableFile objects need external synchronization (one user at a time).
//
// Durability contract (PosixEnv; MemEnv simulates it):
//  - WritableFile::Sync makes the file's data durable; the first Sync of a
//    file created by NewWritableFile also fsyncs its parent directory so the
//    new name survives a crash.
//  - RenameFile fsyncs the destination's directory (and the source's when
//    different), so an atomic "write temp, sync, rename" survives a crash.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace skald::common {

// Reads a file from start to end.
class SequentialFile {
 public:
  SequentialFile() = default;
  SequentialFile(const SequentialFile&) = delete;
  SequentialFile& operator=(const SequentialFile&) = delete;
  virtual ~SequentialFile() = default;

  // Reads up to n bytes. `*result` views either `scratch` (room for n bytes)
  // or memory owned by the file, valid until the next call. A short (or
  // empty) result means end of file. IOError on failure.
  virtual Status Read(size_t n, std::string_view* result, char* scratch) = 0;
  // Skips n bytes (clamped at end of file).
  virtual Status Skip(uint64_t n) = 0;
};

// Reads at arbitrary offsets. Thread-safe.
class RandomAccessFile {
 public:
  RandomAccessFile() = default;
  RandomAccessFile(const RandomAccessFile&) = delete;
  RandomAccessFile& operator=(const RandomAccessFile&) = delete;
  virtual ~RandomAccessFile() = default;

  // Reads up to n bytes at `offset` into `scratch`; `*result` views the
  // bytes read (fewer than n only at end of file). IOError on failure.
  virtual Status Read(uint64_t offset, size_t n, std::string_view* result,
                      char* scratch) const = 0;
};

// Appends to a file. Buffered: data reaches the OS on Flush/Sync/Close.
class WritableFile {
 public:
  WritableFile() = default;
  WritableFile(const WritableFile&) = delete;
  WritableFile& operator=(const WritableFile&) = delete;
  virtual ~WritableFile() = default;  // closes (errors ignored)

  virtual Status Append(std::string_view data) = 0;
  // Pushes buffered bytes to the OS (not necessarily durable).
  virtual Status Flush() = 0;
  // Makes everything appended so far durable (fdatasync).
  virtual Status Sync() = 0;
  virtual Status Close() = 0;
  // Bytes appended so far, including the size of the file when opened.
  virtual uint64_t Size() const = 0;
};

// A held advisory lock; released when destroyed.
class FileLock {
 public:
  FileLock() = default;
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  virtual ~FileLock() = default;
};

class Env {
 public:
  Env() = default;
  Env(const Env&) = delete;
  Env& operator=(const Env&) = delete;
  virtual ~Env() = default;

  // The process-wide POSIX env. Never null; lives forever.
  static Env* Default();

  // Each returns the opened file (owned by the caller), NotFound when the
  // path does not exist, IOError otherwise.
  virtual Result<std::unique_ptr<SequentialFile>> NewSequentialFile(const std::string& path) = 0;
  virtual Result<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(
      const std::string& path) = 0;
  // Creates or truncates.
  virtual Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) = 0;
  // Creates or opens for appending at the end.
  virtual Result<std::unique_ptr<WritableFile>> NewAppendableFile(const std::string& path) = 0;

  virtual bool FileExists(const std::string& path) = 0;
  // Names (not paths) of the entries of `dir`, without "." and "..".
  virtual Result<std::vector<std::string>> GetChildren(const std::string& dir) = 0;
  virtual Status RemoveFile(const std::string& path) = 0;
  // Creates `dir` and any missing parents; OK when it exists.
  virtual Status CreateDirs(const std::string& dir) = 0;
  // Removes an empty directory.
  virtual Status RemoveDir(const std::string& dir) = 0;
  virtual Result<uint64_t> GetFileSize(const std::string& path) = 0;
  // Atomically replaces `dst` with `src`, then syncs the directories.
  virtual Status RenameFile(const std::string& src, const std::string& dst) = 0;
  // Makes the directory's entries (creates, renames, removes) durable.
  virtual Status SyncDir(const std::string& dir) = 0;
  // Takes an exclusive lock on `path` (created if missing). IOError when
  // another process or another caller in this process holds it.
  virtual Result<std::unique_ptr<FileLock>> LockFile(const std::string& path) = 0;
};

// The directory part of `path` ("." when it has none).
std::string DirName(std::string_view path);
// `dir` + "/" + `name`, without doubling the slash.
std::string JoinPath(std::string_view dir, std::string_view name);

// Reads the whole file. NotFound / IOError as the env reports.
Result<std::string> ReadFileToString(Env& env, const std::string& path);
// Writes `data` to `path` durably and atomically: temp file, Sync, rename.
Status WriteFileAtomic(Env& env, const std::string& path, std::string_view data);

}  // namespace skald::common
