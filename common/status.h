// Status and Result<T>: expected failures as values (no exceptions of ours).
//
// A Status is either OK or carries a code and a human-readable message that
// says what failed and where. Result<T> holds a T or a non-OK Status.
// Both are cheap to move and safe to use from any thread (they are values).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace skald::common {

// Serialized nowhere; numbers are for readability only.
enum class StatusCode : uint8_t {
  kOk = 0,
  kInvalidArgument = 1,   // bad input from a client: 400
  kNotFound = 2,          // 404
  kCorruption = 3,        // stored bytes fail a check
  kIOError = 4,           // the file system failed
  kResourceExhausted = 5, // a rate or count limit: 429
  kUnauthenticated = 6,   // missing tenant: 401
  kTooLarge = 7,          // a size limit: 413
  kUnavailable = 8,       // not ready / shutting down: 503
  kTimeout = 9,           // deadline exceeded: 504
  kCancelled = 10,        // the client went away: 499
  kInternal = 11,         // a bug or an unexpected library failure: 500
  kUnprocessable = 12,    // 422
};

class Status {
 public:
  Status() = default;  // OK

  static Status OK() { return Status(); }
  static Status InvalidArgument(std::string_view msg, std::string_view where = {}) {
    return Status(StatusCode::kInvalidArgument, msg, where);
  }
  static Status NotFound(std::string_view msg, std::string_view where = {}) {
    return Status(StatusCode::kNotFound, msg, where);
  }
  static Status Corruption(std::string_view msg, std::string_view where = {}) {
    return Status(StatusCode::kCorruption, msg, where);
  }
  static Status IOError(std::string_view msg, std::string_view where = {}) {
    return Status(StatusCode::kIOError, msg, where);
  }
  static Status ResourceExhausted(std::string_view msg, std::string_view where = {}) {
    return Status(StatusCode::kResourceExhausted, msg, where);
  }
  static Status Unauthenticated(std::string_view msg, std::string_view where = {}) {
    return Status(StatusCode::kUnauthenticated, msg, where);
  }
  static Status TooLarge(std::string_view msg, std::string_view where = {}) {
    return Status(StatusCode::kTooLarge, msg, where);
  }
  static Status Unavailable(std::string_view msg, std::string_view where = {}) {
    return Status(StatusCode::kUnavailable, msg, where);
  }
  static Status Timeout(std::string_view msg, std::string_view where = {}) {
    return Status(StatusCode::kTimeout, msg, where);
  }
  static Status Cancelled(std::string_view msg, std::string_view where = {}) {
    return Status(StatusCode::kCancelled, msg, where);
  }
  static Status Internal(std::string_view msg, std::string_view where = {}) {
    return Status(StatusCode::kInternal, msg, where);
  }
  static Status Unprocessable(std::string_view msg, std::string_view where = {}) {
    return Status(StatusCode::kUnprocessable, msg, where);
  }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  // The message alone, exactly as a client should see it (Loki's wording).
  const std::string& message() const { return message_; }
  // "<code name>: <message>", for logs.
  std::string ToString() const;
  // The HTTP status a handler answers with for this code (200 when OK).
  int HttpStatus() const;

 private:
  Status(StatusCode code, std::string_view msg, std::string_view where);

  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

// Holds a value or a non-OK Status. Access value() only when ok().
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}                  // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {}           // NOLINT: implicit by design

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace skald::common

// Returns early from the enclosing function when `expr` yields a non-OK Status.
#define SKALD_RETURN_IF_ERROR(expr)                \
  do {                                             \
    ::skald::common::Status _st = (expr);          \
    if (!_st.ok()) return _st;                     \
  } while (0)
