// WebSocketStream: the source of text frames for one upgraded connection
// (live tail). The transport polls Next() from a worker thread (never an I/O
// thread) and writes what it returns; it pings the client every second and
// calls Close() exactly once when the session ends for any reason.
//
// Concurrency: Next() and Close() are called from worker threads, never
// concurrently with each other for the same stream.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "common/status.h"

namespace skald::common::http {

class WebSocketStream {
 public:
  virtual ~WebSocketStream() = default;

  // Waits at most `max_wait` for the next text frame. Returns the frame, or
  // nullopt when nothing is ready yet. A non-OK Status ends the session: the
  // transport closes with code 1011 and the message as the reason.
  virtual Result<std::optional<std::string>> Next(std::chrono::milliseconds max_wait) = 0;

  // The session ended (client closed, server stopping, or Next failed).
  virtual void Close() = 0;
};

}  // namespace skald::common::http
