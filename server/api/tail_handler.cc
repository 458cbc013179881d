#include "server/api/tail_handler.h"

#include <algorithm>
#include <charconv>
#include <deque>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <thread>
#include <utility>

#include "common/json_writer.h"
#include "common/logql/parser.h"
#include "common/time.h"
#include "server/api/error_response.h"
#include "server/api/query_params.h"

namespace skald::server::api {

using common::JsonWriter;
using common::Labels;
using common::Result;
using common::Status;
using common::http::Request;
using common::http::Response;
using common::http::WebSocketStream;
using logql::LogLine;

namespace {

constexpr int64_t kDefaultTailSince = common::kNanosPerHour;
// Loki's text when a session reaches kTailMaxDuration.
constexpr std::string_view kTailMaxDurationMessage = "reached tail max duration limit";

const Labels kNoLabels;

const Labels& OutputLabels(const LogLine& l, TailFormat format) {
  if (!l.labels) return kNoLabels;
  return format == TailFormat::kV1Categorized ? l.labels->stream : l.labels->labels;
}

void WriteLabelObject(JsonWriter& w, const Labels& labels) {
  w.BeginObject();
  for (const auto& p : labels.pairs()) w.Key(p.name).String(p.value);
  w.EndObject();
}

struct Group {
  const Labels* labels = nullptr;
  std::vector<const LogLine*> lines;
};

// Groups lines by output label set in order of first appearance.
std::vector<Group> GroupLines(const std::vector<LogLine>& lines, TailFormat format) {
  std::vector<Group> groups;
  std::map<std::string, size_t> index;
  for (const auto& l : lines) {
    const Labels& labels = OutputLabels(l, format);
    auto [it, inserted] = index.emplace(labels.ToString(), groups.size());
    if (inserted) groups.push_back(Group{&labels, {}});
    groups[it->second].lines.push_back(&l);
  }
  return groups;
}

void WriteV1(JsonWriter& w, const std::vector<LogLine>& lines,
             const std::vector<TailDroppedEntry>& dropped, TailFormat format) {
  const bool categorize = format == TailFormat::kV1Categorized;
  w.BeginObject().Key("streams").BeginArray();
  for (const auto& g : GroupLines(lines, format)) {
    w.BeginObject().Key("stream");
    WriteLabelObject(w, *g.labels);
    w.Key("values").BeginArray();
    for (const LogLine* l : g.lines) {
      w.BeginArray().String(std::to_string(l->timestamp_ns)).String(l->line);
      if (categorize) {
        w.BeginObject();
        if (l->labels && !l->labels->metadata.empty()) {
          w.Key("structuredMetadata");
          WriteLabelObject(w, l->labels->metadata);
        }
        if (l->labels && !l->labels->parsed.empty()) {
          w.Key("parsed");
          WriteLabelObject(w, l->labels->parsed);
        }
        w.EndObject();
      }
      w.EndArray();
    }
    w.EndArray().EndObject();
  }
  w.EndArray();
  if (!dropped.empty()) {
    w.Key("dropped_entries").BeginArray();
    const size_t n = std::min(dropped.size(), kMaxTailDroppedEntries);
    for (size_t i = 0; i < n; ++i) {
      w.BeginObject().Key("labels");
      WriteLabelObject(w, dropped[i].labels);
      w.Key("timestamp").String(std::to_string(dropped[i].timestamp_ns)).EndObject();
    }
    w.EndArray();
  }
  if (categorize) w.Key("encodingFlags").BeginArray().String("categorize-labels").EndArray();
  w.EndObject();
}

void WriteLegacy(JsonWriter& w, const std::vector<LogLine>& lines,
                 const std::vector<TailDroppedEntry>& dropped) {
  w.BeginObject().Key("streams").BeginArray();
  for (const auto& g : GroupLines(lines, TailFormat::kLegacy)) {
    w.BeginObject().Key("labels").String(g.labels->ToString());
    w.Key("entries").BeginArray();
    for (const LogLine* l : g.lines) {
      w.BeginObject().Key("ts").String(common::FormatRFC3339Nano(l->timestamp_ns));
      w.Key("line").String(l->line).EndObject();
    }
    w.EndArray().EndObject();
  }
  w.EndArray();
  if (!dropped.empty()) {
    w.Key("dropped_entries").BeginArray();
    const size_t n = std::min(dropped.size(), kMaxTailDroppedEntries);
    for (size_t i = 0; i < n; ++i) {
      w.BeginObject().Key("Timestamp").String(common::FormatRFC3339Nano(dropped[i].timestamp_ns));
      w.Key("Labels").String(dropped[i].labels.ToString()).EndObject();
    }
    w.EndArray();
  }
  w.EndObject();
}

// Go's strconv.Atoi with its error text.
Result<int64_t> GoAtoi(std::string_view v) {
  int64_t n = 0;
  auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec == std::errc() && ptr == v.data() + v.size()) return n;
  std::string quoted;
  common::AppendGoQuoted(&quoted, v);
  const bool range = ec == std::errc::result_out_of_range;
  return Status::InvalidArgument("strconv.Atoi: parsing " + quoted + ": " +
                                 (range ? "value out of range" : "invalid syntax"));
}

bool CategorizeLabels(const Request& req) {
  return req.Header("X-Loki-Response-Encoding-Flags").find("categorize-labels") !=
         std::string_view::npos;
}

// One live tail session. The transport calls Next() from a worker thread;
// Next runs the replay query first, then a poll query at most every
// kTailPollInterval, and hands out the resulting messages one at a time.
// Polls only happen when the queue is empty, so at most
// kMaxTailEntriesPerPoll / kMaxTailEntriesPerMessage + 1 messages are queued.
class TailStream final : public WebSocketStream {
 public:
  TailStream(const QueryApi* api, std::shared_ptr<TailSessionCounter> counter, std::string tenant,
             TailParams params, TailFormat format, Status admission)
      : api_(api),
        counter_(std::move(counter)),
        tenant_(std::move(tenant)),
        params_(std::move(params)),
        format_(format),
        error_(std::move(admission)),
        holds_slot_(error_.ok()),
        started_mono_ns_(api_->clock->MonotonicNanos()),
        cursor_(params_.start_ns) {}

  ~TailStream() override { Release(); }

  Result<std::optional<std::string>> Next(std::chrono::milliseconds max_wait) override {
    if (!error_.ok()) return error_;
    if (!pending_.empty()) return PopPending();
    const int64_t now_mono = api_->clock->MonotonicNanos();
    if (now_mono - started_mono_ns_ >=
        std::chrono::duration_cast<std::chrono::nanoseconds>(kTailMaxDuration).count()) {
      error_ = Status::Unavailable(std::string(kTailMaxDurationMessage));
      return error_;
    }
    if (replayed_) {
      const int64_t wait_ns = next_poll_mono_ns_ - now_mono;
      if (wait_ns > 0) {
        const auto wait = std::min<std::chrono::nanoseconds>(std::chrono::nanoseconds(wait_ns),
                                                             max_wait);
        std::this_thread::sleep_for(wait);
        if (api_->clock->MonotonicNanos() < next_poll_mono_ns_) return std::optional<std::string>();
      }
    }
    Status s = replayed_ ? Poll() : Replay();
    replayed_ = true;
    next_poll_mono_ns_ = api_->clock->MonotonicNanos() +
                         std::chrono::duration_cast<std::chrono::nanoseconds>(kTailPollInterval).count();
    if (!s.ok()) {
      error_ = s;
      return error_;
    }
    if (pending_.empty()) return std::optional<std::string>();
    return PopPending();
  }

  void Close() override { Release(); }

 private:
  void Release() {
    if (holds_slot_) counter_->Release(tenant_);
    holds_slot_ = false;
  }

  std::optional<std::string> PopPending() {
    std::string msg = std::move(pending_.front());
    pending_.pop_front();
    return msg;
  }

  logql::QueryRequest BaseRequest() const {
    logql::QueryRequest q;
    q.tenant = tenant_;
    q.query = params_.query;
    q.limits = api_->limits(tenant_);
    return q;
  }

  // The last `limit` entries in [start, now), sent oldest first.
  Status Replay() {
    logql::QueryRequest q = BaseRequest();
    q.start_ns = params_.start_ns;
    q.end_ns = api_->clock->NowNanos();
    q.limit = params_.limit;
    q.direction = iter::Direction::kBackward;
    auto result = api_->engine->Query(q);
    if (!result.ok()) return result.status();
    std::vector<LogLine> lines = std::move(result->lines);
    std::reverse(lines.begin(), lines.end());
    lines = cursor_.Advance(std::move(lines));
    Enqueue(std::move(lines), {});
    return Status::OK();
  }

  // New entries in [cursor, now - delay_for). If the window holds more than
  // kMaxTailEntriesPerPoll new entries, the first are sent, the next (up to
  // kMaxTailDroppedEntries) are reported in dropped_entries, and if even more
  // may exist the tail skips ahead to the window's end: anything between the
  // last fetched entry and the window end is lost without being reported.
  Status Poll() {
    const int64_t end_ns = api_->clock->NowNanos() - std::max<int64_t>(params_.delay_for_ns, 0);
    if (end_ns <= cursor_.from_ns()) return Status::OK();
    logql::QueryRequest q = BaseRequest();
    size_t fetch = kMaxTailEntriesPerPoll + kMaxTailDroppedEntries;
    if (q.limits.max_entries_limit_per_query > 0) {
      fetch = std::min<size_t>(fetch, static_cast<size_t>(q.limits.max_entries_limit_per_query));
    }
    q.start_ns = cursor_.from_ns();
    q.end_ns = end_ns;
    q.limit = static_cast<uint32_t>(fetch);
    q.direction = iter::Direction::kForward;
    auto result = api_->engine->Query(q);
    if (!result.ok()) return result.status();
    const bool full = result->lines.size() >= fetch;
    std::vector<LogLine> fresh = cursor_.Advance(std::move(result->lines));
    std::vector<TailDroppedEntry> dropped;
    if (fresh.size() > kMaxTailEntriesPerPoll) {
      for (size_t i = kMaxTailEntriesPerPoll; i < fresh.size(); ++i) {
        dropped.push_back(TailDroppedEntry{OutputLabels(fresh[i], format_), fresh[i].timestamp_ns});
      }
      fresh.resize(kMaxTailEntriesPerPoll);
    }
    if (full) cursor_.SkipTo(end_ns);
    Enqueue(std::move(fresh), std::move(dropped));
    return Status::OK();
  }

  // Splits lines into messages of at most kMaxTailEntriesPerMessage; the
  // dropped entries ride on the last one.
  void Enqueue(std::vector<LogLine> lines, std::vector<TailDroppedEntry> dropped) {
    if (lines.empty() && dropped.empty()) return;
    size_t i = 0;
    do {
      const size_t n = std::min(kMaxTailEntriesPerMessage, lines.size() - i);
      std::vector<LogLine> batch(std::make_move_iterator(lines.begin() + static_cast<ptrdiff_t>(i)),
                                 std::make_move_iterator(lines.begin() + static_cast<ptrdiff_t>(i + n)));
      i += n;
      const bool last = i >= lines.size();
      pending_.push_back(EncodeTailMessage(batch, last ? dropped : std::vector<TailDroppedEntry>{},
                                           format_));
    } while (i < lines.size());
  }

  const QueryApi* api_;
  std::shared_ptr<TailSessionCounter> counter_;
  std::string tenant_;
  TailParams params_;
  TailFormat format_;
  Status error_;  // non-OK: the session ends with this reason
  bool holds_slot_;
  int64_t started_mono_ns_;
  bool replayed_ = false;
  int64_t next_poll_mono_ns_ = 0;
  TailCursor cursor_;
  std::deque<std::string> pending_;
};

std::variant<Response, std::unique_ptr<WebSocketStream>> StartTail(
    const QueryApi* api, const std::shared_ptr<TailSessionCounter>& counter, const Request& req,
    bool legacy) {
  auto tenant = ReadTenant(req, api->tenants);
  if (!tenant.ok()) return ErrorResponse(tenant.status());
  auto params = ParseTailParams(req, api->clock->NowNanos());
  if (!params.ok()) return ErrorResponse(params.status());
  TailFormat format = TailFormat::kLegacy;
  if (!legacy) format = CategorizeLabels(req) ? TailFormat::kV1Categorized : TailFormat::kV1;
  // Like Loki, the limit is enforced after the upgrade: close 1011 + reason.
  Status admission = counter->Acquire(*tenant, api->limits(*tenant).max_concurrent_tail_requests);
  return std::unique_ptr<WebSocketStream>(std::make_unique<TailStream>(
      api, counter, *tenant, std::move(*params), format, std::move(admission)));
}

}  // namespace

Result<TailParams> ParseTailParams(const Request& req, int64_t now_ns) {
  TailParams p;
  p.query = std::string(req.Param("query"));
  auto selector = common::logql::ParseLogSelector(p.query, true);
  if (!selector.ok()) return selector.status();
  if (std::string_view re = req.Param("regexp"); !re.empty()) {
    std::string quoted;
    common::AppendGoQuoted(&quoted, re);
    p.query += " |~ " + quoted;
    auto with_re = common::logql::ParseLogSelector(p.query, true);
    if (!with_re.ok()) return with_re.status();
  }
  auto limit = ParseLimit(req, 100);
  if (!limit.ok()) return limit.status();
  p.limit = *limit;
  p.start_ns = now_ns - kDefaultTailSince;
  if (std::string_view v = req.Param("start"); !v.empty()) {
    auto start = common::ParseLokiTimestamp(v);
    if (!start.ok()) return start.status();
    p.start_ns = *start;
  }
  if (std::string_view v = req.Param("delay_for"); !v.empty()) {
    auto delay = GoAtoi(v);
    if (!delay.ok()) return delay.status();
    // Loki converts to uint32, so a negative value is "greater than 5" too.
    if (*delay < 0 || *delay > kMaxTailDelayForSeconds) {
      return Status::InvalidArgument("delay_for can't be greater than " +
                                     std::to_string(kMaxTailDelayForSeconds));
    }
    p.delay_for_ns = *delay * common::kNanosPerSecond;
  }
  return p;
}

std::string EncodeTailMessage(const std::vector<LogLine>& lines,
                              const std::vector<TailDroppedEntry>& dropped, TailFormat format) {
  std::string out;
  JsonWriter w(&out);
  if (format == TailFormat::kLegacy) {
    WriteLegacy(w, lines, dropped);
  } else {
    WriteV1(w, lines, dropped, format);
  }
  return out;
}

std::string TailCursor::Key(const LogLine& line) {
  std::string key = line.labels ? line.labels->labels.ToString() : std::string();
  key.push_back('\0');
  key += line.line;
  return key;
}

std::vector<LogLine> TailCursor::Advance(std::vector<LogLine> lines) {
  std::vector<LogLine> out;
  out.reserve(lines.size());
  for (auto& l : lines) {
    if (l.timestamp_ns < from_ns_) continue;  // outside the window: already past it
    if (l.timestamp_ns == from_ns_) {
      if (!seen_at_from_.insert(Key(l)).second) continue;
    } else {
      from_ns_ = l.timestamp_ns;
      seen_at_from_.clear();
      seen_at_from_.insert(Key(l));
    }
    out.push_back(std::move(l));
  }
  return out;
}

void TailCursor::SkipTo(int64_t ns) {
  if (ns <= from_ns_) return;
  from_ns_ = ns;
  seen_at_from_.clear();
}

Status TailSessionCounter::Acquire(const std::string& tenant, int64_t limit) {
  std::lock_guard<std::mutex> lock(mu_);
  int64_t& count = counts_[tenant];
  if (limit > 0 && count >= limit) {
    const int64_t n = count;
    if (n == 0) counts_.erase(tenant);
    return Status::Unavailable("max concurrent tail requests limit exceeded, count > limit (" +
                               std::to_string(n + 1) + " > " + std::to_string(limit) + ")");
  }
  ++count;
  return Status::OK();
}

void TailSessionCounter::Release(const std::string& tenant) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = counts_.find(tenant);
  if (it == counts_.end()) return;
  if (--it->second <= 0) counts_.erase(it);
}

int64_t TailSessionCounter::Count(const std::string& tenant) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = counts_.find(tenant);
  return it == counts_.end() ? 0 : it->second;
}

void RegisterTailRoutes(common::http::Router* router, const QueryApi* api) {
  auto counter = std::make_shared<TailSessionCounter>();
  router->HandleWebSocket("/loki/api/v1/tail", [api, counter](const Request& r) {
    return StartTail(api, counter, r, /*legacy=*/false);
  });
  router->HandleWebSocket("/api/prom/tail", [api, counter](const Request& r) {
    return StartTail(api, counter, r, /*legacy=*/true);
  });
}

}  // namespace skald::server::api
