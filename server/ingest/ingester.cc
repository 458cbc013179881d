#include "server/ingest/ingester.h"

#include <fmt/format.h>
#include <malloc.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <utility>

#include "common/time.h"
#include "server/ingest/wal_record.h"

namespace skald::server::ingest {

using common::Entry;
using common::EntryView;
using common::Status;

namespace {

// Loki's per-stream error (one line per rejected entry, capped).
std::string StreamErrorText(const std::vector<EntryView>& failed, size_t total, const std::string& reason,
                            std::string_view tenant, const std::string& labels, size_t max_lines) {
  std::string out;
  for (size_t i = 0; i < failed.size() && (max_lines == 0 || i < max_lines); ++i) {
    out += fmt::format("entry with timestamp {} ignored, reason: '{}',\n",
                       common::FormatGoTimeString(failed[i].timestamp_ns), reason);
  }
  out += fmt::format("user '{}', total ignored: {} out of {} for stream: {}", tenant, failed.size(), total,
                     labels);
  return out;
}

// flagext.ByteSize text as Loki prints it in the per-stream rate error.
std::string ByteSizeText(uint64_t b) {
  static constexpr std::pair<uint64_t, const char*> kUnits[] = {
      {1ull << 60, "EB"}, {1ull << 50, "PB"}, {1ull << 40, "TB"}, {1ull << 30, "GB"}, {1ull << 20, "MB"},
      {1ull << 10, "KB"}, {1, "B"}};
  if (b == 0) return "0B";
  std::string out;
  for (const auto& [unit, name] : kUnits) {
    if (b >= unit) {
      out += std::to_string(b / unit) + name;
      b %= unit;
    }
  }
  return out;
}

// Head blocks smaller than this are not compressed early to meet the memory
// budget: half a default block. Smaller blocks compress worse (with 32 KiB,
// slowly pushed data took 2.5% more disk; with this, 1%); sealing is the
// remedy for those.
constexpr uint64_t kMinCompactHeadBytes = 128 * 1024;

bool Overlaps(const HeadStats& s, int64_t from, int64_t through) {
  return s.entries > 0 && s.max_ts >= from && s.min_ts <= through;
}

}  // namespace

Ingester::Ingester(IngesterOptions options, IngesterLimitsFn limits, WriteLog* wal, ChunkWriter* writer,
                   const common::Clock* clock, common::MetricsRegistry* metrics)
    : options_(std::move(options)),
      limits_(std::move(limits)),
      wal_(wal),
      writer_(writer),
      clock_(clock),
      metrics_(metrics),
      env_(options_.env != nullptr ? options_.env : common::Env::Default()) {
  if (metrics_ != nullptr) {
    memory_streams_ = metrics_->AddGauge("loki_ingester_memory_streams",
                                         "The total number of streams in memory per tenant.", {"tenant"});
    chunks_flushed_ = metrics_->AddCounter("loki_ingester_chunks_flushed_total",
                                           "Total flushed chunks per reason.", {"reason"});
    flush_failures_ = metrics_->AddCounter("loki_ingester_chunks_flush_failures_total",
                                           "Total number of flush failures.");
    head_compactions_ = metrics_->AddCounter(
        "skald_ingester_head_compactions_total",
        "Head blocks compressed early (their chunks kept open) because the head was over its memory budget.");
    memory_waits_ = metrics_->AddCounter(
        "skald_ingester_memory_waits_total",
        "Pushes that waited because the unflushed data was over the hard memory cap (2x the budget).");
    wal_append_seconds_ =
        metrics_
            ->AddHistogram("skald_ingester_wal_append_duration_seconds",
                           "Time to make a push durable in the WAL (group commit included).", {},
                           common::ExponentialBuckets(0.0001, 2, 16))
            ->Get();
    metrics_->AddGauge("skald_ingester_head_bytes", "Unflushed line and metadata bytes in memory.");
  }
}

Ingester::~Ingester() {
  CloseMemoryGate();
  {
    std::lock_guard<std::mutex> lock(loop_mu_);
    stopping_ = true;
  }
  loop_cv_.notify_all();
  if (loop_.joinable()) loop_.join();
}

Instance* Ingester::GetInstance(std::string_view tenant, bool create) const {
  auto* self = const_cast<Ingester*>(this);
  std::lock_guard<std::mutex> lock(self->tenants_mu_);
  auto it = self->tenants_.find(tenant);
  if (it != self->tenants_.end()) return it->second.get();
  if (!create) return nullptr;
  return self->tenants_.emplace(std::string(tenant), std::make_unique<Instance>(std::string(tenant)))
      .first->second.get();
}

void Ingester::UpdateStreamGauge(const std::string& tenant, size_t n) {
  if (memory_streams_ != nullptr) memory_streams_->WithLabels({tenant})->Set(static_cast<double>(n));
}

Status Ingester::Push(std::string_view tenant, std::vector<ValidStream>&& streams) {
  size_t pairs = 0;
  for (const ValidStream& s : streams) {
    for (const Entry& e : s.entries) pairs += e.metadata.size();
  }
  std::vector<common::LabelView> metadata;
  metadata.reserve(pairs);  // the views below point into it
  std::vector<ValidStreamView> views;
  views.reserve(streams.size());
  for (const ValidStream& s : streams) views.push_back(ViewOfStream(s, &metadata));
  return PushViews(tenant, std::move(views));
}

Status Ingester::WaitForMemory(std::string_view tenant) {
  const uint64_t cap = MemoryHardCap();
  if (cap == 0 || memory_estimate_.load(std::memory_order_relaxed) <= cap) return Status::OK();
  std::unique_lock<std::mutex> lock(memory_mu_);
  if (!memory_gate_) return Status::OK();  // no flush loop to wait for (tests, shutdown)
  if (memory_waits_ != nullptr) memory_waits_->Get()->Inc();
  // Have the loop measure now rather than at its next period.
  loop_cv_.notify_all();
  const bool below = memory_cv_.wait_for(lock, std::chrono::nanoseconds(options_.memory_wait_timeout_ns), [&] {
    return !memory_gate_ || memory_estimate_.load(std::memory_order_relaxed) <= cap;
  });
  if (below) return Status::OK();
  return Status::ResourceExhausted(fmt::format(
      "ingester memory limit exceeded for user {}: {} MiB of data not yet flushed (limit {} MiB) did not go "
      "down within {}s, retry later",
      tenant, memory_estimate_.load() >> 20, cap >> 20, options_.memory_wait_timeout_ns / 1'000'000'000));
}

void Ingester::CloseMemoryGate() {
  {
    std::lock_guard<std::mutex> lock(memory_mu_);
    memory_gate_ = false;
  }
  memory_cv_.notify_all();
}

void Ingester::PublishMemory(uint64_t bytes) {
  memory_estimate_.store(bytes, std::memory_order_relaxed);
  { std::lock_guard<std::mutex> lock(memory_mu_); }  // a waiter is either before its check or waiting
  memory_cv_.notify_all();
}

Status Ingester::PushViews(std::string_view tenant, std::vector<ValidStreamView>&& streams) {
  if (Status mem = WaitForMemory(tenant); !mem.ok()) {
    DiscardCounts discards;
    for (const ValidStreamView& vs : streams) {
      discards.Add(reason::kMemoryLimit, vs.entries.size(), EntriesSize(vs.entries));
    }
    ReportDiscards(metrics_, tenant, discards);
    return mem;
  }
  const IngesterLimits limits = limits_(tenant);
  Instance* instance = GetInstance(tenant, true);
  const int64_t now = clock_->NowNanos();

  struct Pending {
    std::shared_ptr<Stream> stream;
    uint64_t seq;
    std::vector<EntryView> entries;
  };
  std::vector<Pending> pending;
  std::vector<std::string> records;
  Status last_error;
  DiscardCounts discards;
  bool created_any = false;

  std::shared_lock<std::shared_mutex> append_lock(append_mu_);
  for (ValidStreamView& vs : streams) {
    bool created = false;
    auto stream = instance->GetOrCreate(vs.labels, vs.labels_text, vs.fingerprint, limits.per_stream_rate_bytes,
                                        limits.per_stream_burst_bytes, limits.max_streams, &created);
    created_any |= created;
    if (stream == nullptr) {
      discards.Add(reason::kStreamLimit, vs.entries.size(), EntriesSize(vs.entries));
      last_error = Status::ResourceExhausted(fmt::format(
          "maximum active stream limit exceeded when trying to create stream {}, reduce the number of active "
          "streams (reduce labels or reduce label values), or contact your Loki administrator to see if the "
          "limit can be increased, user: '{}'",
          vs.labels_text, tenant));
      continue;
    }
    const size_t total = vs.entries.size();
    std::vector<EntryView> accepted, rejected;
    accepted.reserve(vs.entries.size());
    const uint64_t seq = stream->Admit(now, vs.entries, &next_seq_, &accepted, &rejected);
    if (!rejected.empty()) {
      const uint64_t bytes = EntriesSize(rejected);
      discards.Add(reason::kStreamRateLimit, rejected.size(), bytes);
      const std::string why = fmt::format(
          "Per stream rate limit exceeded (limit: {}/sec) while attempting to ingest for stream '{}' totaling "
          "{}, consider splitting a stream via additional labels or contact your Loki administrator to see if "
          "the limit can be increased",
          ByteSizeText(static_cast<uint64_t>(limits.per_stream_rate_bytes)), vs.labels_text, ByteSizeText(bytes));
      last_error = Status::ResourceExhausted(
          StreamErrorText(rejected, total, why, tenant, vs.labels_text, options_.max_returned_stream_errors));
    }
    if (seq == 0) continue;
    records.emplace_back();
    EncodeWalRecord(seq, tenant, vs.labels_text, vs.fingerprint, std::span<const EntryView>(accepted),
                    &records.back());
    pending.push_back(Pending{std::move(stream), seq, std::move(accepted)});
  }
  ReportDiscards(metrics_, tenant, discards);
  if (created_any) UpdateStreamGauge(std::string(tenant), instance->size());
  if (pending.empty()) return last_error;

  const int64_t t0 = clock_->MonotonicNanos();
  auto segment = wal_->Append(records);
  if (wal_append_seconds_ != nullptr) {
    wal_append_seconds_->Observe(static_cast<double>(clock_->MonotonicNanos() - t0) / 1e9);
  }
  if (!segment.ok()) {
    for (Pending& p : pending) p.stream->Abort(p.seq);
    spdlog::error("wal append failed: {}", segment.status().ToString());
    return Status::Internal("wal append failed: " + segment.status().message());
  }
  const int64_t mono = clock_->MonotonicNanos();
  uint64_t applied = 0;
  for (Pending& p : pending) {
    p.stream->Apply(p.seq, p.entries, *segment, mono, options_.stream);
    applied += EntriesSize(p.entries);
  }
  memory_estimate_.fetch_add(applied, std::memory_order_relaxed);
  return last_error;
}

Status Ingester::ReplayRecord(uint64_t segment, std::string_view bytes) {
  auto rec = DecodeWalRecord(bytes);
  if (!rec.ok()) {
    spdlog::warn("skipping undecodable wal record in segment {}: {}", segment, rec.status().ToString());
    return Status::OK();
  }
  uint64_t seen = next_seq_.load();
  if (rec->seq > seen) next_seq_.store(rec->seq);
  auto mark = marks_.find(MarkKey(rec->tenant, rec->labels));
  if (mark != marks_.end() && rec->seq <= mark->second.seq) return Status::OK();  // already in chunks
  auto labels = common::ParseLabels(rec->labels);
  if (!labels.ok()) return Status::Corruption("wal record with bad labels: " + rec->labels);
  Instance* instance = GetInstance(rec->tenant, true);
  const IngesterLimits limits = limits_(rec->tenant);
  bool created = false;
  auto stream = instance->GetOrCreate(*labels, rec->labels, rec->fingerprint, limits.per_stream_rate_bytes,
                                      limits.per_stream_burst_bytes, /*max_streams=*/0, &created);
  size_t pairs = 0;
  for (const Entry& e : rec->entries) pairs += e.metadata.size();
  std::vector<common::LabelView> metadata;
  metadata.reserve(pairs);  // the views below point into it
  std::vector<EntryView> entries;
  entries.reserve(rec->entries.size());
  for (const Entry& e : rec->entries) {
    const size_t begin = metadata.size();
    common::AppendLabelViews(e.metadata, &metadata);
    entries.push_back(
        EntryView{e.timestamp_ns, e.line, std::span<const common::LabelView>(metadata.data() + begin, e.metadata.size())});
  }
  stream->Apply(rec->seq, entries, segment, clock_->MonotonicNanos(), options_.stream);
  return Status::OK();
}

Status Ingester::Recover() {
  std::lock_guard<std::mutex> lock(flush_mu_);
  if (!options_.marks_path.empty()) {
    auto marks = LoadFlushMarks(env_, options_.marks_path);
    if (!marks.ok()) return marks.status();
    marks_ = std::move(marks).value();
    for (const auto& [k, m] : marks_) {
      if (m.seq > next_seq_.load()) next_seq_.store(m.seq);
    }
  }
  SKALD_RETURN_IF_ERROR(
      wal_->Replay([this](uint64_t segment, std::string_view rec) { return ReplayRecord(segment, rec); }));
  std::lock_guard<std::mutex> tl(tenants_mu_);
  size_t streams = 0;
  for (const auto& [t, inst] : tenants_) {
    UpdateStreamGauge(t, inst->size());
    streams += inst->size();
  }
  spdlog::info("wal replay done: {} streams in memory, next seq {}", streams, next_seq_.load() + 1);
  return Status::OK();
}

void Ingester::Start() {
  loop_ = std::thread([this] { FlushLoop(); });
  std::lock_guard<std::mutex> lock(memory_mu_);
  memory_gate_ = true;
}

void Ingester::FlushLoop() {
  std::unique_lock<std::mutex> lock(loop_mu_);
  int64_t wait = options_.flush_check_period_ns;
  if (options_.max_head_memory_bytes > 0) wait = std::min(wait, options_.memory_check_period_ns);
  // The loop's own cadence is real time (as the wait is), whatever clock_ is.
  auto last_due = std::chrono::steady_clock::now();
  while (!stopping_) {
    loop_cv_.wait_for(lock, std::chrono::nanoseconds(wait));
    if (stopping_) break;
    lock.unlock();
    if (options_.max_head_memory_bytes > 0) {
      Status s = EnforceMemoryBudget();
      if (!s.ok()) spdlog::error("flush for memory failed: {}", s.ToString());
    }
    if (std::chrono::steady_clock::now() - last_due >= std::chrono::nanoseconds(options_.flush_check_period_ns)) {
      last_due = std::chrono::steady_clock::now();
      Status s = FlushDue();
      if (!s.ok()) spdlog::error("flush failed: {}", s.ToString());
    }
    lock.lock();
  }
}

Status Ingester::EnforceMemoryBudget() {
  if (options_.max_head_memory_bytes == 0) return Status::OK();
  std::vector<std::pair<uint64_t, std::shared_ptr<Stream>>> streams;
  {
    std::lock_guard<std::mutex> tl(tenants_mu_);
    for (const auto& [t, inst] : tenants_) {
      for (auto& s : inst->Streams()) streams.emplace_back(0, std::move(s));
    }
  }
  // Each stream's memory into its pair; the sum.
  auto measure = [&streams] {
    uint64_t sum = 0;
    for (auto& [bytes, s] : streams) {
      bytes = s->MemoryBytes();
      sum += bytes;
    }
    return sum;
  };
  uint64_t total = measure();
  if (total <= options_.max_head_memory_bytes) {
    PublishMemory(total);
    return Status::OK();
  }
  const uint64_t goal = options_.max_head_memory_bytes / 2;
  // First compress the biggest head blocks in place: their chunks stay open
  // and go on toward chunk_target_size at about a third of the memory.
  // Sealing instead would leave many small chunks whenever many streams push
  // slowly, and every chunk costs each later query an index row, a chunk
  // open and its bloom probes. Heads under kMinCompactHeadBytes are left
  // alone (a block that small compresses poorly).
  std::vector<std::pair<uint64_t, Stream*>> heads;
  for (auto& [bytes, s] : streams) {
    const uint64_t head = s->OpenHeadRawBytes();
    if (head >= kMinCompactHeadBytes) heads.emplace_back(head, s.get());
  }
  std::sort(heads.begin(), heads.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  size_t compacted = 0;
  for (auto& [head, s] : heads) {
    if (total <= goal) break;
    total -= std::min(total, s->CompactHead());
    ++compacted;
  }
  if (compacted > 0 && head_compactions_ != nullptr) head_compactions_->Get()->Inc(static_cast<double>(compacted));
  size_t sealed = 0;
  if (total > goal) {
    // Compressed data alone is over: seal the largest chunks and flush them.
    total = measure();
    std::sort(streams.begin(), streams.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
    for (auto& [bytes, s] : streams) {
      if (total <= goal) break;
      s->SealNow(FlushReason::kMemory);
      total -= bytes;
      ++sealed;
    }
  }
  if (sealed == 0) {
    PublishMemory(total);
    return Status::OK();
  }
  Status flushed = FlushCycle(false, FlushReason::kFull);
  PublishMemory(measure());
  if (spdlog::should_log(spdlog::level::debug)) {
    // Where the process' memory is, next to what the head accounts for:
    // glibc's in-use bytes, its free-but-held bytes (fragmentation) and
    // mmapped blocks.
    const struct mallinfo2 mi = mallinfo2();
    spdlog::debug(
        "head over its memory budget: compressed {} head blocks, sealed {} chunks ({} MiB accounted after the "
        "flush); malloc in use {} MiB, free in arenas {} MiB, mmapped {} MiB",
        compacted, sealed, total >> 20, mi.uordblks >> 20, mi.fordblks >> 20, mi.hblkhd >> 20);
  }
  return flushed;
}

Status Ingester::Shutdown() {
  CloseMemoryGate();
  {
    std::lock_guard<std::mutex> lock(loop_mu_);
    stopping_ = true;
  }
  loop_cv_.notify_all();
  if (loop_.joinable()) loop_.join();
  if (!options_.flush_on_shutdown) return Status::OK();
  return FlushCycle(true, FlushReason::kShutdown);
}

Status Ingester::Flush() { return FlushCycle(true, FlushReason::kForced); }
Status Ingester::FlushDue() { return FlushCycle(false, FlushReason::kFull); }

Status Ingester::FlushCycle(bool force, FlushReason forced_reason) {
  std::lock_guard<std::mutex> lock(flush_mu_);
  std::vector<Instance*> instances;
  {
    std::lock_guard<std::mutex> tl(tenants_mu_);
    for (const auto& [t, inst] : tenants_) instances.push_back(inst.get());
  }
  const int64_t now = clock_->MonotonicNanos();
  Status first_error;
  bool flushed_any = false;
  for (Instance* inst : instances) {
    std::vector<std::shared_ptr<Stream>> streams = inst->Streams();
    std::vector<std::shared_ptr<Stream>> with_chunks;
    std::vector<StreamChunks> batch;
    for (const auto& s : streams) {
      if (force) {
        s->SealNow(forced_reason);
      } else {
        s->SealIfDue(now, options_.stream);
      }
      auto sealed = s->SealedForFlush();
      if (sealed.empty()) continue;
      with_chunks.push_back(s);
      batch.push_back(StreamChunks{&s->labels(), std::move(sealed)});
    }
    // Write in groups of at most max_flush_batch_bytes (at least one stream).
    for (size_t begin = 0; begin < batch.size();) {
      size_t end = begin;
      uint64_t group_bytes = 0;
      while (end < batch.size() && (end == begin || group_bytes < options_.max_flush_batch_bytes)) {
        for (const SealedChunk* c : batch[end].chunks) group_bytes += c->chunk->CompressedBytes();
        ++end;
      }
      std::vector<StreamChunks> group(batch.begin() + static_cast<ptrdiff_t>(begin),
                                      batch.begin() + static_cast<ptrdiff_t>(end));
      auto written = writer_->Write(inst->tenant(), group);
      if (!written.ok()) {
        if (flush_failures_ != nullptr) flush_failures_->Get()->Inc();
        spdlog::error("flushing {} streams of tenant {} failed: {}", group.size(), inst->tenant(),
                      written.status().ToString());
        if (first_error.ok()) first_error = written.status();
        begin = end;
        continue;
      }
      uint64_t raw_total = 0;
      for (const auto& b : group) {
        for (const SealedChunk* c : b.chunks) raw_total += c->raw_bytes;
      }
      for (size_t i = begin; i < end; ++i) {
        uint64_t raw = 0;
        for (const SealedChunk* c : batch[i].chunks) {
          raw += c->raw_bytes;
          if (chunks_flushed_ != nullptr) {
            chunks_flushed_->WithLabels({std::string(FlushReasonName(c->reason))})->Inc();
          }
        }
        // Compressed bytes are known per group; spread them by raw share for the ratio estimate.
        const uint64_t compressed =
            raw_total == 0 ? 0 : static_cast<uint64_t>(static_cast<double>(*written) * raw / raw_total);
        with_chunks[i]->ReleaseFlushed(batch[i].chunks.size(), raw, compressed);
        marks_[MarkKey(inst->tenant(), with_chunks[i]->text())] =
            FlushMark{with_chunks[i]->flushed_through(), wal_->ActiveSegment()};
      }
      flushed_any = true;
      begin = end;
    }
  }
  Status cp = Checkpoint(flushed_any);
  if (first_error.ok()) first_error = cp;
  return first_error;
}

Status Ingester::Checkpoint(bool flushed_any) {
  if (flushed_any && !options_.marks_path.empty()) {
    SKALD_RETURN_IF_ERROR(SaveFlushMarks(env_, options_.marks_path, marks_));
  }
  uint64_t cut = kNoSegment;
  uint64_t heads = 0;
  {
    std::unique_lock<std::shared_mutex> exclusive(append_mu_);
    std::vector<std::pair<std::string, Instance*>> instances;
    {
      std::lock_guard<std::mutex> tl(tenants_mu_);
      for (const auto& [t, inst] : tenants_) instances.emplace_back(t, inst.get());
    }
    const int64_t idle_before = clock_->MonotonicNanos() - options_.stream.chunk_idle_period_ns;
    for (auto& [t, inst] : instances) {
      if (inst->RemoveEmpty(idle_before) > 0) UpdateStreamGauge(t, inst->size());
      for (const auto& s : inst->Streams()) {
        cut = std::min(cut, s->OldestSegment());
        heads += s->HeadBytes();
      }
    }
    if (flushed_any) {
      auto rotated = wal_->Rotate();
      if (!rotated.ok()) return rotated.status();
    }
    cut = std::min(cut, wal_->ActiveSegment());
  }
  if (metrics_ != nullptr) {
    metrics_->AddGauge("skald_ingester_head_bytes", "")->Get()->Set(static_cast<double>(heads));
  }
  SKALD_RETURN_IF_ERROR(wal_->RemoveSegmentsBefore(cut));
  for (auto it = marks_.begin(); it != marks_.end();) {
    it = it->second.segment < cut ? marks_.erase(it) : std::next(it);
  }
  return Status::OK();
}

void Ingester::ForEachStream(std::string_view tenant, const std::vector<common::Matcher>& matchers,
                             int64_t from_ns, int64_t through_ns, iter::Direction direction,
                             const StreamVisitor& visit) const {
  Instance* inst = GetInstance(tenant, false);
  if (inst == nullptr) return;
  for (const auto& s : inst->Streams()) {
    if (!common::MatchesAll(matchers, s->labels())) continue;
    HeadStats st = s->Stats();
    if (!Overlaps(st, from_ns, through_ns - 1)) continue;
    visit(s->labels(), s->Iterator(from_ns, through_ns, direction));
  }
}

void Ingester::ForEachStreamStats(std::string_view tenant, const std::vector<common::Matcher>& matchers,
                                  int64_t from_ns, int64_t through_ns, const StatsVisitor& visit) const {
  Instance* inst = GetInstance(tenant, false);
  if (inst == nullptr) return;
  for (const auto& s : inst->Streams()) {
    if (!common::MatchesAll(matchers, s->labels())) continue;
    HeadStats st = s->Stats();
    if (!Overlaps(st, from_ns, through_ns)) continue;
    visit(s->labels(), st);
  }
}

size_t Ingester::StreamCount() const {
  std::lock_guard<std::mutex> lock(const_cast<Ingester*>(this)->tenants_mu_);
  size_t n = 0;
  for (const auto& [t, inst] : tenants_) n += inst->size();
  return n;
}

}  // namespace skald::server::ingest
