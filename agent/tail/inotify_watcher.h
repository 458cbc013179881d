// InotifyWatcher: wakes the agent's reader thread when a watched directory
// changes (a file in it is written, created, moved in/out, removed or
// truncated), so new lines are read within milliseconds instead of at the
// next poll. Watching the directories (not the files) covers rotation by
// rename and files that do not exist yet. The reader keeps polling on a
// timeout as a fallback (filesystems without inotify, missed events).
//
// Thread-safety: Wait and Watch are called by one thread (the reader);
// Wake may be called from any thread (used by Stop).
#pragma once

#include <cstdint>
#include <memory>
#include <map>
#include <set>
#include <string>

#include "common/status.h"

namespace skald::agent::tail {

// Most directories watched at once; beyond it Watch fails with
// ResourceExhausted and those directories are only polled.
inline constexpr size_t kMaxWatchedDirs = 4096;

class InotifyWatcher {
 public:
  // What a Wait saw.
  struct Events {
    bool changed = false;  // any event (including creations)
    bool created = false;  // a file was created or moved into a watched dir
    bool woken = false;    // Wake() was called
  };

  // IOError when inotify or the wake-up eventfd cannot be created.
  static common::Result<std::unique_ptr<InotifyWatcher>> Create();
  ~InotifyWatcher();
  InotifyWatcher(const InotifyWatcher&) = delete;
  InotifyWatcher& operator=(const InotifyWatcher&) = delete;

  // Watches directory `dir` (idempotent). IOError when it cannot be watched
  // (e.g. it does not exist), ResourceExhausted past kMaxWatchedDirs.
  common::Status Watch(const std::string& dir);
  bool IsWatched(const std::string& dir) const { return dirs_.contains(dir); }

  // Blocks until an event, Wake(), or timeout_ns (0: just check) and drains
  // all pending events.
  Events Wait(int64_t timeout_ns);
  // Makes the current or next Wait return with woken set.
  void Wake();

 private:
  InotifyWatcher(int inotify_fd, int event_fd) : inotify_fd_(inotify_fd), event_fd_(event_fd) {}

  const int inotify_fd_;
  const int event_fd_;
  std::set<std::string> dirs_;
  std::map<int, std::string> wd_dirs_;  // watch descriptor -> dir
};

// The directory to watch for `pattern`: its longest leading path without
// glob characters ("/var/log/pods/*/x/*.log" -> "/var/log/pods").
std::string GlobBaseDir(const std::string& pattern);

}  // namespace skald::agent::tail
