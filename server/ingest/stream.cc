#include "server/ingest/stream.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>

#include "server/ingest/validator.h"
#include "server/iter/merge_entry_iterator.h"

namespace skald::server::ingest {

using common::EntryView;

Stream::Stream(common::Labels labels, std::string text, uint64_t fingerprint, double rate_bytes,
               double burst_bytes)
    : labels_(std::move(labels)),
      text_(std::move(text)),
      fingerprint_(fingerprint),
      limiter_(rate_bytes, burst_bytes) {}

uint64_t Stream::Admit(int64_t now_ns, const std::vector<EntryView>& entries,
                       std::atomic<uint64_t>* seq_counter, std::vector<EntryView>* accepted,
                       std::vector<EntryView>* rejected) {
  for (const EntryView& e : entries) {
    if (limiter_.AllowN(now_ns, static_cast<double>(e.line.size()))) {
      accepted->push_back(e);
    } else {
      rejected->push_back(e);
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

bool Stream::IsDuplicateLocked(const EntryView& e) {
  if (open_.builder != nullptr && open_.builder->ContainsView(e.timestamp_ns, e.line, e.metadata)) return true;
  for (const auto& c : sealed_) {
    if (e.timestamp_ns < c->min_ts || e.timestamp_ns > c->max_ts) continue;
    if (c->chunk->ContainsView(e.timestamp_ns, e.line, e.metadata)) return true;
  }
  return false;
}

size_t Stream::Apply(uint64_t seq, std::span<const EntryView> entries, uint64_t segment, int64_t now_mono_ns,
                     const StreamConfig& config) {
  std::lock_guard<std::mutex> lock(mu_);
  in_flight_.erase(seq);
  max_applied_seq_ = std::max(max_applied_seq_, seq);
  size_t stored = 0;
  const double target = static_cast<double>(config.chunk_target_size);
  for (const EntryView& e : entries) {
    if (IsDuplicateLocked(e)) continue;  // exact duplicate of an unflushed entry
    if (open_.builder == nullptr) {
      open_.builder = std::make_unique<chunk::ChunkBuilder>(text_, config.chunk);
      open_.created_mono = now_mono_ns;
    }
    common::Status st = open_.builder->AppendView(e.timestamp_ns, e.line, e.metadata);
    if (!st.ok()) spdlog::error("cutting a block of stream {} failed: {}", text_, st.ToString());
    const uint64_t size = EntrySize(e);
    open_.raw_bytes += size;
    head_bytes_ += size;
    open_.min_segment = std::min(open_.min_segment, segment);
    ++stored;
  }
  if (open_.builder != nullptr) open_.builder->ReleaseLookupCache();
  for (const auto& c : sealed_) c->chunk->ReleaseLookupCache();
  if (stored > 0) last_append_mono_ = now_mono_ns;
  // Seal only here, after every entry of `seq` is in the open chunk: the
  // sealed chunk's watermark (max_applied_seq_) then never claims a record
  // whose entries are split across chunks (replay would skip the rest).
  if (open_.builder != nullptr &&
      static_cast<double>(open_.builder->CompressedBytes()) +
              static_cast<double>(open_.builder->HeadRawBytes()) / ratio_ >=
          target) {
    SealLocked(FlushReason::kFull);
  }
  return stored;
}

uint64_t Stream::WatermarkLocked() const {
  if (!in_flight_.empty()) return *in_flight_.begin() - 1;
  return max_applied_seq_;
}

void Stream::SealLocked(FlushReason reason) {
  if (OpenEmptyLocked()) return;
  auto c = std::make_unique<SealedChunk>();
  c->reason = reason;
  common::Status st = open_.builder->Seal();
  if (!st.ok()) spdlog::error("cutting the last block of stream {} failed: {}", text_, st.ToString());
  c->entries = open_.builder->EntryCount();
  c->min_ts = open_.builder->MinTimestamp();
  c->max_ts = open_.builder->MaxTimestamp();
  c->chunk = std::move(open_.builder);
  c->raw_bytes = open_.raw_bytes;
  c->min_segment = open_.min_segment;
  sealed_.push_back(std::move(c));
  sealed_through_.push_back(WatermarkLocked());
  open_ = OpenChunk{};
}

bool Stream::SealIfDue(int64_t now_mono_ns, const StreamConfig& config) {
  std::lock_guard<std::mutex> lock(mu_);
  if (OpenEmptyLocked()) return false;
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

uint64_t Stream::CompactHead() {
  std::lock_guard<std::mutex> lock(mu_);
  if (open_.builder == nullptr || open_.builder->HeadRawBytes() == 0) return 0;
  const uint64_t before = open_.builder->MemoryBytes();
  common::Status st = open_.builder->Seal();
  if (!st.ok()) {
    spdlog::error("compressing the head block of stream {} failed: {}", text_, st.ToString());
    return 0;
  }
  const uint64_t after = open_.builder->MemoryBytes();
  return before > after ? before - after : 0;
}

uint64_t Stream::OpenHeadRawBytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return open_.builder != nullptr ? open_.builder->HeadRawBytes() : 0;
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
  return OpenEmptyLocked() && sealed_.empty() && in_flight_.empty();
}

int64_t Stream::last_append_mono() const {
  std::lock_guard<std::mutex> lock(mu_);
  return last_append_mono_;
}

uint64_t Stream::HeadBytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return head_bytes_;
}

uint64_t Stream::MemoryBytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  uint64_t n = open_.builder != nullptr ? open_.builder->MemoryBytes() : 0;
  for (const auto& c : sealed_) n += c->chunk->MemoryBytes();
  return n;
}

HeadStats Stream::Stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  HeadStats s;
  auto add = [&s](const chunk::ChunkBuilder& b) {
    s.min_ts = std::min(s.min_ts, b.MinTimestamp());
    s.max_ts = std::max(s.max_ts, b.MaxTimestamp());
    s.entries += b.EntryCount();
    s.chunks += 1;
  };
  if (!OpenEmptyLocked()) add(*open_.builder);
  for (const auto& c : sealed_) add(*c->chunk);
  s.bytes = head_bytes_;
  return s;
}

std::unique_ptr<iter::EntryIterator> Stream::Iterator(int64_t from_ns, int64_t through_ns,
                                                      iter::Direction direction) const {
  std::vector<std::unique_ptr<iter::EntryIterator>> children;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto take = [&](const chunk::ChunkBuilder& b) {
      if (b.empty() || b.MaxTimestamp() < from_ns || b.MinTimestamp() >= through_ns) return;
      children.push_back(b.NewIterator(from_ns, through_ns, direction));
    };
    for (const auto& c : sealed_) take(*c->chunk);
    if (!OpenEmptyLocked()) take(*open_.builder);
  }
  if (children.empty()) return iter::NewVectorEntryIterator(text_, {}, direction);
  if (children.size() == 1) return std::move(children.front());
  return iter::NewMergeEntryIterator(std::move(children), direction);
}

}  // namespace skald::server::ingest
