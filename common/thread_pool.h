// ThreadPool: a fixed set of worker threads running submitted tasks, used for
// per-chunk query tasks. ParallelFor runs n indexed tasks on the pool and the
// calling thread and returns when all are done.
//
// Concurrency: Submit and ParallelFor are thread-safe. Tasks must not throw.
// Destruction waits for queued tasks to finish.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace skald::common {

class ThreadPool {
 public:
  // `threads` == 0: one per hardware thread.
  explicit ThreadPool(size_t threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  size_t size() const { return workers_.size(); }
  void Submit(std::function<void()> task);

  // Runs fn(0) … fn(n-1), spread over at most `parallelism` threads (the
  // caller's included; 0 = pool size + 1). Each index runs exactly once.
  void ParallelFor(size_t n, const std::function<void(size_t)>& fn, size_t parallelism = 0);

 private:
  void WorkerLoop();

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;  // guarded by mu_
  bool stopping_ = false;                    // guarded by mu_
  std::vector<std::thread> workers_;
};

}  // namespace skald::common
