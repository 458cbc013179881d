#include "server/ingest/stream.h"

#include <xxhash.h>

#include <algorithm>
#include <utility>

#include "server/ingest/validator.h"

namespace skald::server::ingest {

using common::Entry;

uint64_t EntryHash(const Entry& e) {
  thread_local std::string buf;
  buf.clear();
  auto put = [](std::string_view v) {
    const uint64_t n = v.size();
    buf.append(reinterpret_cast<const char*>(&n), sizeof(n));
    buf.append(v);
  };
  buf.append(reinterpret_cast<const char*>(&e.timestamp_ns), sizeof(e.timestamp_ns));
  put(e.line);
  for (const auto& l : e.metadata) {
    put(l.name);
    put(l.value);
  }
  return XXH3_64bits(buf.data(), buf.size());
}

Stream::Stream(common::Labels labels, std::string text, uint64_t fingerprint, double rate_bytes,
               double burst_bytes)
    : labels_(std::move(labels)),
      text_(std::move(text)),
      fingerprint_(fingerprint),
      limiter_(rate_bytes, burst_bytes) {}

uint64_t Stream::Admit(int64_t now_ns, std::vector<Entry>* entries, std::atomic<uint64_t>* seq_counter,
                       std::vector<Entry>* accepted, std::vector<Entry>* rejected) {
  for (Entry& e : *entries) {
    if (limiter_.AllowN(now_ns, static_cast<double>(e.line.size()))) {
      accepted->push_back(std::move(e));
    } else {
      rejected->push_back(std::move(e));
    }
  }
  if (accepted->empty()) return 0;
  std::lock_guard<std::mutex> lock(mu_);
  const uint64_t seq = seq_counter->fetch_add(1) + 1;
  in_flight_.insert(seq);
  return seq;
}

void Stream::Abort(uint64_t seq) {
  std::lock_guard<std::mutex> lock(mu_);
  in_flight_.erase(seq);
}

size_t Stream::Apply(uint64_t seq, std::vector<Entry>&& entries, uint64_t segment, int64_t now_mono_ns,
                     const StreamConfig& config) {
  std::lock_guard<std::mutex> lock(mu_);
  in_flight_.erase(seq);
  max_applied_seq_ = std::max(max_applied_seq_, seq);
  size_t stored = 0;
  for (Entry& e : entries) {
    if (!seen_.insert(EntryHash(e)).second) continue;  // exact duplicate of an unflushed entry
    if (open_.entries.empty()) open_.created_mono = now_mono_ns;
    const uint64_t size = EntrySize(e);
    open_.raw_bytes += size;
    head_bytes_ += size;
    open_.min_segment = std::min(open_.min_segment, segment);
    open_.entries.push_back(std::move(e));
    ++stored;
  }
  if (stored > 0) last_append_mono_ = now_mono_ns;
  if (static_cast<double>(open_.raw_bytes) / ratio_ >= static_cast<double>(config.chunk_target_size)) {
    SealLocked(FlushReason::kFull);
  }
  return stored;
}

uint64_t Stream::WatermarkLocked() const {
  if (!in_flight_.empty()) return *in_flight_.begin() - 1;
  return max_applied_seq_;
}

void Stream::SealLocked(FlushReason reason) {
  if (open_.entries.empty()) return;
  auto c = std::make_unique<SealedChunk>();
  c->reason = reason;
  c->entries = std::move(open_.entries);
  std::stable_sort(c->entries.begin(), c->entries.end(), [](const Entry& a, const Entry& b) {
    if (a.timestamp_ns != b.timestamp_ns) return a.timestamp_ns < b.timestamp_ns;
    return a.line < b.line;
  });
  c->raw_bytes = open_.raw_bytes;
  c->min_segment = open_.min_segment;
  sealed_.push_back(std::move(c));
  sealed_through_.push_back(WatermarkLocked());
  open_ = OpenChunk{};
}

bool Stream::SealIfDue(int64_t now_mono_ns, const StreamConfig& config) {
  std::lock_guard<std::mutex> lock(mu_);
  if (open_.entries.empty()) return false;
  if (now_mono_ns - open_.created_mono >= config.max_chunk_age_ns) {
    SealLocked(FlushReason::kMaxAge);
    return true;
  }
  if (now_mono_ns - last_append_mono_ >= config.chunk_idle_period_ns) {
    SealLocked(FlushReason::kIdle);
    return true;
  }
  return false;
}

void Stream::SealNow(FlushReason reason) {
  std::lock_guard<std::mutex> lock(mu_);
  SealLocked(reason);
}

std::vector<const SealedChunk*> Stream::SealedForFlush() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<const SealedChunk*> out;
  out.reserve(sealed_.size());
  for (const auto& c : sealed_) out.push_back(c.get());
  return out;
}

void Stream::ReleaseFlushed(size_t n, uint64_t raw_bytes, uint64_t compressed_bytes) {
  std::lock_guard<std::mutex> lock(mu_);
  n = std::min(n, sealed_.size());
  for (size_t i = 0; i < n; ++i) {
    for (const Entry& e : sealed_.front()->entries) seen_.erase(EntryHash(e));
    head_bytes_ -= sealed_.front()->raw_bytes;
    flushed_through_ = std::max(flushed_through_, sealed_through_.front());
    sealed_.pop_front();
    sealed_through_.pop_front();
  }
  if (raw_bytes > 0 && compressed_bytes > 0) {
    ratio_ = std::max(1.0, static_cast<double>(raw_bytes) / static_cast<double>(compressed_bytes));
  }
}

uint64_t Stream::flushed_through() const {
  std::lock_guard<std::mutex> lock(mu_);
  return flushed_through_;
}

uint64_t Stream::OldestSegment() const {
  std::lock_guard<std::mutex> lock(mu_);
  uint64_t oldest = open_.min_segment;
  for (const auto& c : sealed_) oldest = std::min(oldest, c->min_segment);
  return oldest;
}

bool Stream::Empty() const {
  std::lock_guard<std::mutex> lock(mu_);
  return open_.entries.empty() && sealed_.empty() && in_flight_.empty();
}

int64_t Stream::last_append_mono() const {
  std::lock_guard<std::mutex> lock(mu_);
  return last_append_mono_;
}

uint64_t Stream::HeadBytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return head_bytes_;
}

HeadStats Stream::Stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  HeadStats s;
  auto add = [&s](const std::vector<Entry>& entries) {
    for (const Entry& e : entries) {
      s.min_ts = std::min(s.min_ts, e.timestamp_ns);
      s.max_ts = std::max(s.max_ts, e.timestamp_ns);
    }
    s.entries += entries.size();
  };
  if (!open_.entries.empty()) {
    add(open_.entries);
    s.chunks += 1;
  }
  for (const auto& c : sealed_) {
    add(c->entries);
    s.chunks += 1;
  }
  s.bytes = head_bytes_;
  return s;
}

std::unique_ptr<iter::EntryIterator> Stream::Iterator(int64_t from_ns, int64_t through_ns,
                                                      iter::Direction direction) const {
  std::vector<Entry> out;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto take = [&](const std::vector<Entry>& entries) {
      for (const Entry& e : entries) {
        if (e.timestamp_ns >= from_ns && e.timestamp_ns < through_ns) out.push_back(e);
      }
    };
    for (const auto& c : sealed_) take(c->entries);
    take(open_.entries);
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const Entry& a, const Entry& b) { return a.timestamp_ns < b.timestamp_ns; });
  return iter::NewVectorEntryIterator(text_, std::move(out), direction);
}

}  // namespace skald::server::ingest
