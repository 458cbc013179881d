#include "agent/tail/inotify_watcher.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace skald::agent::tail {

using common::Result;
using common::Status;

Result<std::unique_ptr<InotifyWatcher>> InotifyWatcher::Create() {
  int in = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (in < 0) return Status::IOError(std::string("inotify_init1: ") + std::strerror(errno));
  int ev = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (ev < 0) {
    ::close(in);
    return Status::IOError(std::string("eventfd: ") + std::strerror(errno));
  }
  return std::unique_ptr<InotifyWatcher>(new InotifyWatcher(in, ev));
}

InotifyWatcher::~InotifyWatcher() {
  ::close(inotify_fd_);
  ::close(event_fd_);
}

Status InotifyWatcher::Watch(const std::string& dir) {
  if (dirs_.contains(dir)) return Status::OK();
  if (dirs_.size() >= kMaxWatchedDirs) {
    return Status::ResourceExhausted("too many watched directories");
  }
  constexpr uint32_t kMask = IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE |
                             IN_CLOSE_WRITE | IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF;
  int wd = ::inotify_add_watch(inotify_fd_, dir.c_str(), kMask);
  if (wd < 0) return Status::IOError("inotify_add_watch " + dir + ": " + std::strerror(errno));
  dirs_.insert(dir);
  wd_dirs_[wd] = dir;
  return Status::OK();
}

InotifyWatcher::Events InotifyWatcher::Wait(int64_t timeout_ns) {
  Events ev;
  pollfd fds[2] = {{inotify_fd_, POLLIN, 0}, {event_fd_, POLLIN, 0}};
  int timeout_ms = static_cast<int>((timeout_ns + 999'999) / 1'000'000);
  int n = ::poll(fds, 2, timeout_ms);
  if (n <= 0) return ev;
  if (fds[1].revents & POLLIN) {
    uint64_t v;
    while (::read(event_fd_, &v, sizeof v) > 0) {
    }
    ev.woken = true;
  }
  if (fds[0].revents & POLLIN) {
    alignas(inotify_event) char buf[16384];
    while (true) {
      ssize_t r = ::read(inotify_fd_, buf, sizeof buf);
      if (r <= 0) break;
      for (ssize_t off = 0; off < r;) {
        const auto* e = reinterpret_cast<const inotify_event*>(buf + off);
        ev.changed = true;
        if (e->mask & (IN_CREATE | IN_MOVED_TO)) ev.created = true;
        if (e->mask & IN_IGNORED) {
          // The directory went away: forget it so a later Watch re-adds it.
          auto it = wd_dirs_.find(e->wd);
          if (it != wd_dirs_.end()) {
            dirs_.erase(it->second);
            wd_dirs_.erase(it);
          }
          ev.created = true;
        }
        off += static_cast<ssize_t>(sizeof(inotify_event) + e->len);
      }
    }
  }
  return ev;
}

void InotifyWatcher::Wake() {
  uint64_t one = 1;
  ssize_t r = ::write(event_fd_, &one, sizeof one);
  (void)r;
}

std::string GlobBaseDir(const std::string& pattern) {
  size_t meta = pattern.find_first_of("*?[{");
  std::string prefix = pattern.substr(0, meta);
  size_t slash = prefix.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return prefix.substr(0, slash);
}

}  // namespace skald::agent::tail
