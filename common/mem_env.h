// MemEnv: an in-memory Env for tests, with fault injection.
//
// It models what a crash does to a POSIX file system: bytes a file received
// after its last Sync are lost, and a file whose name was never made durable
// (no Sync of the file, no SyncDir of its directory, not the target of a
// RenameFile) disappears. SimulateCrash() applies exactly that. Errors can be
// injected into Append/Sync, and tests can truncate or corrupt files.
//
// Thread-safe: all methods may be called concurrently (one mutex for the
// namespace, one per file).
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "common/env.h"

namespace skald::common {

class MemEnv final : public Env {
 public:
  struct FileState;  // defined in mem_env.cc

  MemEnv();
  ~MemEnv() override;

  Result<std::unique_ptr<SequentialFile>> NewSequentialFile(const std::string& path) override;
  Result<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(const std::string& path) override;
  Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) override;
  Result<std::unique_ptr<WritableFile>> NewAppendableFile(const std::string& path) override;
  bool FileExists(const std::string& path) override;
  Result<std::vector<std::string>> GetChildren(const std::string& dir) override;
  Status RemoveFile(const std::string& path) override;
  Status CreateDirs(const std::string& dir) override;
  Status RemoveDir(const std::string& dir) override;
  Result<uint64_t> GetFileSize(const std::string& path) override;
  Status RenameFile(const std::string& src, const std::string& dst) override;
  Status SyncDir(const std::string& dir) override;
  Result<std::unique_ptr<FileLock>> LockFile(const std::string& path) override;

  // --- Fault injection -----------------------------------------------------

  // Loses everything not durable: truncates each file to its synced length
  // and removes files whose names were never made durable. Open writers keep
  // working on the surviving state (tests normally drop them first).
  void SimulateCrash();
  // While set (non-OK), every WritableFile::Append fails with this status.
  void SetAppendError(Status s);
  // While set (non-OK), every WritableFile::Sync fails with this status.
  void SetSyncError(Status s);
  // Cuts `path` to `size` bytes (also its synced length). NotFound if absent.
  Status Truncate(const std::string& path, uint64_t size);
  // XORs the byte at `offset` with `mask`. InvalidArgument past the end.
  Status CorruptByte(const std::string& path, uint64_t offset, uint8_t mask = 0x40);
  // Called at the start of every WritableFile::Sync, outside MemEnv's locks
  // (tests use it to hold a sync while other threads queue up). Empty: none.
  void SetSyncHook(std::function<void()> hook);
  // Number of successful WritableFile::Sync calls so far.
  uint64_t SyncCount() const { return sync_count_.load(); }

  // Used by the file objects (not part of the Env interface).
  Status CheckAppend() const;
  Status CheckSync();

 private:
  std::shared_ptr<FileState> Find(const std::string& path) const;
  Result<std::unique_ptr<WritableFile>> OpenWritable(const std::string& path, bool truncate);

  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<FileState>> files_;  // guarded by mu_
  std::set<std::string> dirs_;                               // guarded by mu_
  std::set<std::string> locks_;                              // guarded by mu_
  Status append_error_;                                      // guarded by mu_
  Status sync_error_;                                        // guarded by mu_
  std::function<void()> sync_hook_;                          // guarded by mu_
  std::atomic<uint64_t> sync_count_{0};
};

}  // namespace skald::common
