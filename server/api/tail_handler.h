// Live tail: GET /loki/api/v1/tail and the legacy /api/prom/tail over
// WebSocket (CONTRACT §1.4, §5.3).
//
// Parameters are validated before the upgrade (400 with Loki's texts). An
// accepted session first replays the last `limit` entries in [start, now),
// then polls the LogQL engine every kTailPollInterval over
// [last delivered timestamp, now - delay_for) and sends what is new. There
// are no ingester changes: everything pushed is queryable at once, so polling
// sees it. Entries pushed with a timestamp older than the last delivered one
// are not seen (that is what delay_for is for).
//
// The pure pieces (parameter parsing, message encoding, the de-duplicating
// cursor) are exposed for tests.
//
// Concurrency: ParseTailParams, EncodeTailMessage are pure. A TailCursor is
// owned by one session and not thread-safe. The registered handlers are safe
// to call from many threads; the per-tenant session count is mutex-guarded.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "common/http/request.h"
#include "common/http/router.h"
#include "common/labels.h"
#include "common/status.h"
#include "server/api/query_handler.h"
#include "server/logql/query_result.h"

namespace skald::server::api {

// Loki's maxDelayForInTailing: a larger `delay_for` is rejected.
inline constexpr int64_t kMaxTailDelayForSeconds = 5;
// How often a session asks the engine for new entries.
inline constexpr std::chrono::milliseconds kTailPollInterval{250};
// querier.tail-max-duration: a session ends (close 1011) after this long.
inline constexpr std::chrono::hours kTailMaxDuration{1};
// Entries per message, as Loki batches them; more entries -> more messages.
inline constexpr size_t kMaxTailEntriesPerMessage = 100;
// Entries delivered per poll. Past it, the next (up to kMaxTailDroppedEntries)
// are reported in `dropped_entries` and the tail skips ahead.
inline constexpr size_t kMaxTailEntriesPerPoll = 1000;
// Loki caps `dropped_entries` at 1000 per message.
inline constexpr size_t kMaxTailDroppedEntries = 1000;

struct TailParams {
  std::string query;          // validated log query (legacy `regexp` folded in)
  uint32_t limit = 100;       // entries in the historic replay
  int64_t start_ns = 0;       // replay start (inclusive)
  int64_t delay_for_ns = 0;   // live entries are sent once older than this
};

// Parses `query`, `limit`, `start` (default now-1h), `delay_for` and the
// legacy `regexp` with Loki's defaults. Returns InvalidArgument with Loki's
// message (parse error, `delay_for can't be greater than 5`, strconv errors).
common::Result<TailParams> ParseTailParams(const common::http::Request& req, int64_t now_ns);

enum class TailFormat : uint8_t {
  kV1 = 0,             // /loki/api/v1/tail, all labels merged into `stream`
  kV1Categorized = 1,  // ... with X-Loki-Response-Encoding-Flags: categorize-labels
  kLegacy = 2,         // /api/prom/tail
};

struct TailDroppedEntry {
  common::Labels labels;
  int64_t timestamp_ns = 0;
};

// One text frame: the lines (in order, grouped by label set in order of
// first appearance) and the dropped entries (at most kMaxTailDroppedEntries
// are written). Returns the JSON; never fails.
std::string EncodeTailMessage(const std::vector<logql::LogLine>& lines,
                              const std::vector<TailDroppedEntry>& dropped, TailFormat format);

// Remembers how far a session has delivered: the newest delivered timestamp
// and the entries delivered at exactly that timestamp, so a poll window that
// starts at that timestamp (to catch entries arriving late at it) does not
// send them twice.
class TailCursor {
 public:
  // Nothing delivered yet; the first window starts at `start_ns`.
  explicit TailCursor(int64_t start_ns) : from_ns_(start_ns) {}
  TailCursor(const TailCursor&) = delete;
  TailCursor& operator=(const TailCursor&) = delete;

  // Inclusive start of the next poll window.
  int64_t from_ns() const { return from_ns_; }

  // Takes the lines of a window starting at from_ns() (oldest first) and
  // returns those not delivered before, in order; advances the cursor past
  // them.
  std::vector<logql::LogLine> Advance(std::vector<logql::LogLine> lines);

  // Forgets everything before `ns` (used when skipping ahead).
  void SkipTo(int64_t ns);

 private:
  static std::string Key(const logql::LogLine& line);

  int64_t from_ns_;
  std::set<std::string> seen_at_from_;  // label string + line, at from_ns_
};

// Counts live sessions per tenant (max_concurrent_tail_requests).
// Thread-safe.
class TailSessionCounter {
 public:
  TailSessionCounter() = default;
  TailSessionCounter(const TailSessionCounter&) = delete;
  TailSessionCounter& operator=(const TailSessionCounter&) = delete;

  // Takes a slot for `tenant`. Returns OK, or (taking nothing) Unavailable
  // `max concurrent tail requests limit exceeded, count > limit (N > M)` when
  // `limit` (> 0) sessions are already open. limit <= 0: unlimited.
  common::Status Acquire(const std::string& tenant, int64_t limit);
  // Gives back a slot taken by Acquire.
  void Release(const std::string& tenant);
  int64_t Count(const std::string& tenant) const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, int64_t> counts_;  // guarded by mu_; no zero entries
};

// Registers GET /loki/api/v1/tail and /api/prom/tail. Bad parameters or
// tenant: 400/401 before the upgrade; otherwise the session streams until
// the client closes, the server stops, an error or kTailMaxDuration.
// `api` must outlive the router.
void RegisterTailRoutes(common::http::Router* router, const QueryApi* api);

}  // namespace skald::server::api
