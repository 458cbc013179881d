// Clock: all time goes through here so tests can use a fake clock.
// SystemClock is stateless and thread-safe; FakeClock is thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace skald::common {

class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock Unix time in nanoseconds.
  virtual int64_t NowNanos() const = 0;
  // Monotonic nanoseconds, for durations and deadlines.
  virtual int64_t MonotonicNanos() const = 0;

  // The process-wide real clock.
  static Clock* Real();
};

class FakeClock : public Clock {
 public:
  explicit FakeClock(int64_t now_ns) : now_(now_ns) {}
  int64_t NowNanos() const override { return now_.load(); }
  int64_t MonotonicNanos() const override { return now_.load(); }
  void Advance(int64_t ns) { now_.fetch_add(ns); }
  void Set(int64_t ns) { now_.store(ns); }

 private:
  std::atomic<int64_t> now_;
};

}  // namespace skald::common
