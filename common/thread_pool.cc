#include "common/thread_pool.h"

#include <atomic>
#include <memory>

namespace skald::common {

ThreadPool::ThreadPool(size_t threads) {
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  workers_.reserve(threads);
  for (size_t i = 0; i < threads; ++i) workers_.emplace_back([this] { WorkerLoop(); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> l(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : workers_) t.join();
}

void ThreadPool::Submit(std::function<void()> task) {
  {
    std::lock_guard<std::mutex> l(mu_);
    queue_.push_back(std::move(task));
  }
  cv_.notify_one();
}

void ThreadPool::WorkerLoop() {
  while (true) {
    std::function<void()> task;
    {
      std::unique_lock<std::mutex> l(mu_);
      cv_.wait(l, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping and drained
      task = std::move(queue_.front());
      queue_.pop_front();
    }
    task();
  }
}

void ThreadPool::ParallelFor(size_t n, const std::function<void(size_t)>& fn, size_t parallelism) {
  if (n == 0) return;
  if (parallelism == 0) parallelism = workers_.size() + 1;
  size_t helpers = std::min(parallelism, n) - 1;
  // Helpers that have started and may be running fn. The caller waits only
  // for those: a helper still queued (e.g. behind the very task that called
  // ParallelFor) finds every index claimed when it starts and never calls fn,
  // so waiting for it could deadlock and is unnecessary.
  struct State {
    std::atomic<size_t> next{0};
    std::mutex mu;
    std::condition_variable cv;
    size_t active = 0;
  };
  auto st = std::make_shared<State>();
  const std::function<void(size_t)>* fnp = &fn;
  for (size_t h = 0; h < helpers; ++h) {
    Submit([st, n, fnp] {
      {
        std::lock_guard<std::mutex> l(st->mu);
        ++st->active;
      }
      for (size_t i; (i = st->next.fetch_add(1)) < n;) (*fnp)(i);
      std::lock_guard<std::mutex> l(st->mu);
      if (--st->active == 0) st->cv.notify_all();
    });
  }
  for (size_t i; (i = st->next.fetch_add(1)) < n;) fn(i);
  std::unique_lock<std::mutex> l(st->mu);
  st->cv.wait(l, [&] { return st->active == 0; });
}

}  // namespace skald::common
