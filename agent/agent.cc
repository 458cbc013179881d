#include "agent/agent.h"

#include <pthread.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <algorithm>
#include <iostream>

#include "agent/pipeline/stages/custom_metrics.h"
#include "agent/tail/container_metadata.h"
#include "agent/tail/glob.h"
#include "common/time.h"

namespace skald::agent {

using common::Status;

struct Agent::Target {
  std::string job;
  std::string include;
  std::string exclude;
  std::map<std::string, std::string> labels;  // without __ labels
  const ScrapeConfig* scrape = nullptr;
};

struct Agent::File {
  uint64_t id = 0;
  std::string path;
  std::unique_ptr<tail::TailedFile> tf;
  std::unique_ptr<pipeline::Pipeline> pipe;
  pipeline::LabelSet labels;  // shared by every line read from the file
  int64_t rotated_at_ns = 0;  // 0 while `path` names this file
  // For a rotated file resumed at start-up: the live path whose reading
  // waits until this file reached its end (order per stream); else empty.
  std::string blocks_path;
  // A rotated file read to its end (partial line included); it is closed
  // once its entries are acknowledged.
  bool finished = false;
  // Its metric children, looked up once (per pass they cost a map lookup
  // under the family's lock each).
  common::Counter* read_lines = nullptr;
  common::Gauge* read_bytes = nullptr;
  common::Gauge* file_bytes = nullptr;
  // When the path was last checked for naming another file (monotonic ns).
  int64_t replaced_checked_ns = 0;
  // The pipeline labels of recently dispatched entries and what they map
  // to, so the entries of one stream (stdout and stderr interleave) share
  // one label set. Most recent first; at most kLabelCacheSize.
  struct LabelCacheEntry {
    pipeline::LabelSet pipeline_labels;
    client::SharedLabels shared;
    std::string tenant;
  };
  std::vector<LabelCacheEntry> label_cache;
};

namespace {
// Label sets remembered per file (streams of one file seen recently).
constexpr size_t kLabelCacheSize = 4;
}  // namespace

Agent::Agent(AgentOptions options, AgentRunOptions run)
    : options_(std::move(options)), run_(run), clock_(common::Clock::Real()),
      positions_(options_.positions.filename) {
  read_lines_ = metrics_.AddCounter("promtail_read_lines_total", "Number of lines read.", {"path"});
  read_bytes_ = metrics_.AddGauge("promtail_read_bytes_total", "Number of bytes read.", {"path"});
  file_bytes_ = metrics_.AddGauge("promtail_file_bytes_total", "Number of bytes total.", {"path"});
  files_active_ = metrics_.AddGauge("promtail_files_active_total", "Number of active files.");
  dropped_ = metrics_.AddCounter(
      "promtail_dropped_entries_total",
      "Number of log entries dropped because failed to be sent to the ingester after all retries.",
      {"host", "tenant", "reason"});
  rotated_resumed_ = metrics_.AddCounter(
      "skald_agent_rotated_files_resumed_total",
      "Files rotated while not tailed that were found again and drained from their saved offset.");
  rotated_lost_ = metrics_.AddCounter(
      "skald_agent_rotated_files_lost_total",
      "Files rotated while not tailed that could not be found again (their unread lines are lost).");
  for (const ScrapeConfig& s : options_.scrape_configs) {
    for (const StaticConfig& st : s.static_configs) {
      Target t;
      t.job = s.job_name;
      t.scrape = &s;
      for (const auto& [k, v] : st.labels) {
        if (k == "__path__") {
          t.include = v;
        } else if (k == "__path_exclude__") {
          t.exclude = v;
        } else if (!k.starts_with("__")) {
          t.labels[k] = v;
        }
      }
      targets_.push_back(std::move(t));
    }
  }
}

Agent::~Agent() { Stop(); }

Status Agent::Start() {
  if (!run_.dry_run) SKALD_RETURN_IF_ERROR(positions_.Load(options_.positions.ignore_invalid_yaml));
  if (!run_.dry_run) {
    for (const client::ClientConfig& c : options_.clients) {
      auto cl = std::make_unique<client::Client>(
          c, [this](const std::vector<client::AckRef>& acks) { OnAcks(acks); }, &metrics_, clock_);
      SKALD_RETURN_IF_ERROR(cl->Init());
      clients_.push_back(std::move(cl));
    }
  }
  if (!options_.server.disable) {
    router_.Handle({"GET"}, "/ready", [this](const common::http::Request&) {
      return ready_ ? common::http::Response::Text(200, "ready")
                    : common::http::Response::Text(503, "not ready");
    });
    router_.Handle({"GET"}, "/metrics", [this](const common::http::Request&) {
      // Promtail's custom metrics (pipeline `metrics` stages) follow the agent's own.
      common::http::Response r = common::http::Response::Text(
          200, metrics_.Expose() +
                   pipeline::CustomMetrics::Default()->Expose(clock_->MonotonicNanos()));
      r.content_type = "text/plain; version=0.0.4; charset=utf-8";
      return r;
    });
    common::http::HttpServerOptions so;
    so.address = options_.server.http_listen_address;
    so.port = static_cast<uint16_t>(options_.server.http_listen_port);
    so.io_threads = 1;
    so.worker_threads = 2;
    so.shutdown_timeout = std::chrono::milliseconds(2000);
    server_ = std::make_unique<common::http::HttpServer>(so, router_, &metrics_);
    SKALD_RETURN_IF_ERROR(server_->Start());
  }
  auto watcher = tail::InotifyWatcher::Create();
  if (watcher.ok()) {
    watcher_ = std::move(*watcher);
  } else {
    spdlog::warn("inotify unavailable; polling: err={}", watcher.status().message());
  }
  reader_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "agent-reader");  // shows in top/perf
    ReaderLoop();
  });
  ready_ = true;
  return Status::OK();
}

uint16_t Agent::http_port() const { return server_ ? server_->port() : 0; }

void Agent::Stop() {
  {
    std::lock_guard<std::mutex> lock(stop_mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  stop_cv_.notify_all();
  if (watcher_) watcher_->Wake();
  ready_ = false;
  if (reader_.joinable()) reader_.join();
  int64_t timeout = options_.clients.empty() ? 0 : options_.clients[0].timeout_ns;
  for (auto& c : clients_) c->Stop(timeout);
  if (!run_.dry_run) SavePositions();
  if (server_) server_->Stop();
}

void Agent::SyncTargets() {
  for (const Target& t : targets_) {
    if (watcher_) (void)watcher_->Watch(tail::GlobBaseDir(t.include));  // may not exist yet
    for (const std::string& path : tail::ExpandGlob(t.include)) {
      if (!t.exclude.empty() && tail::GlobMatch(t.exclude, path)) continue;
      if (files_.contains(path)) continue;
      OpenFile(path, t);
    }
  }
  files_active_->Get()->Set(static_cast<double>(files_.size()));
}

const Agent::Target* Agent::TargetFor(const std::string& path) const {
  const Target* target = nullptr;
  for (const Target& t : targets_) {
    if (tail::GlobMatch(t.include, path)) target = &t;
  }
  return target;
}

std::unique_ptr<Agent::File> Agent::MakeFile(const std::string& path,
                                             std::unique_ptr<tail::TailedFile> tf,
                                             const Target& t) {
  auto pipe = pipeline::Pipeline::Create(t.scrape->pipeline_stages, t.scrape->file,
                                         "pipeline_stages");
  if (!pipe.ok()) return nullptr;  // validated at config load
  (*pipe)->MarkTopLevel();
  auto f = std::make_unique<File>();
  f->id = next_file_id_++;
  f->path = path;
  f->tf = std::move(tf);
  f->pipe = std::move(*pipe);
  std::map<std::string, std::string> labels = t.labels;
  for (auto& [k, v] : tail::ContainerLabels(path)) labels.emplace(k, v);
  labels["filename"] = path;
  f->labels = labels;
  f->read_lines = read_lines_->WithLabels({path});
  f->read_bytes = read_bytes_->WithLabels({path});
  f->file_bytes = file_bytes_->WithLabels({path});
  return f;
}

void Agent::ResumeRotated(const tail::RotatedPosition& r, const Target& t) {
  std::optional<std::string> found = tail::FindRotatedFile(r.path, r.identity, r.offset);
  if (!found) {
    spdlog::warn("rotated file not found; lines after the saved offset are lost: path={} offset={}",
                 r.path, r.offset);
    rotated_lost_->Get()->Inc();
    return;
  }
  auto tf = tail::TailedFile::Open(*found, r.offset);
  if (!tf.ok()) {
    spdlog::warn("cannot open rotated file: path={} err={}", *found, tf.status().message());
    rotated_lost_->Get()->Inc();
    return;
  }
  std::unique_ptr<File> f = MakeFile(r.path, std::move(*tf), t);
  if (f == nullptr) return;
  f->rotated_at_ns = clock_->MonotonicNanos();
  f->blocks_path = r.path;
  spdlog::info("draining file rotated while not tailed: path={} rotated={} offset={}", r.path,
               *found, f->tf->offset());
  rotated_resumed_->Get()->Inc();
  rotated_.push_back(std::move(f));
}

void Agent::OpenFile(const std::string& path, const Target& t) {
  uint64_t offset = positions_.Get(path).value_or(0);
  if (std::optional<tail::FileIdentity> saved = positions_.GetIdentity(path);
      saved && !tail::IdentityMatches(path, *saved)) {
    // The offset belongs to another file (rotated, or truncated and
    // rewritten, while not tailed): drain that one, read this one from 0.
    ResumeRotated(tail::RotatedPosition{path, *saved, offset}, t);
    offset = 0;
  }
  auto tf = tail::TailedFile::Open(path, offset);
  if (!tf.ok()) {
    spdlog::warn("cannot open file: path={} err={}", path, tf.status().message());
    return;
  }
  std::unique_ptr<File> f = MakeFile(path, std::move(*tf), t);
  if (f == nullptr) return;
  spdlog::info("tail routine started: path={} offset={}", path, f->tf->offset());
  files_[path] = std::move(f);
  if (watcher_) {
    std::string dir = path.substr(0, path.rfind('/'));
    Status w = watcher_->Watch(dir.empty() ? "/" : dir);
    if (!w.ok()) spdlog::warn("cannot watch directory; polling: err={}", w.message());
  }
}

bool Agent::Blocked(const std::string& path) const {
  for (const auto& r : rotated_) {
    if (r->blocks_path == path) return true;
  }
  return false;
}

void Agent::DrainRotated(bool* any) {
  for (size_t i = 0; i < rotated_.size();) {
    File* f = rotated_[i].get();
    bool waiting = false;  // an older rotation of the same path comes first
    for (size_t j = 0; j < i && !f->blocks_path.empty() && !waiting; ++j) {
      waiting = rotated_[j]->blocks_path == f->blocks_path;
    }
    if (waiting) {
      ++i;
      continue;
    }
    int64_t now = clock_->MonotonicNanos();
    if (f->finished) {
      // Kept (and saved as a rotated position) until the server acknowledged
      // its last entries, so a crash now re-sends them.
      if (!HasInflight(f->id) || now - f->rotated_at_ns >= kMaxRotatedOpenNanos) {
        rotated_.erase(rotated_.begin() + static_cast<std::ptrdiff_t>(i));
      } else {
        ++i;
      }
      continue;
    }
    bool read = ReadPass(f, false);
    *any |= read;
    if (!f->blocks_path.empty()) {
      if (read || f->tf->read_offset() < f->tf->Size()) {
        ++i;
        continue;
      }
      f->blocks_path.clear();  // at its end: what follows it may be read now
      f->rotated_at_ns = now;
    }
    int64_t age = now - f->rotated_at_ns;
    // Finished once nothing more arrives at its end. A pass that read
    // nothing because reading is paused at the unacked cap does not count:
    // finishing then would drop the file's unread rest.
    bool at_end = f->tf->read_offset() >= f->tf->Size();
    if ((!read && at_end && age >= kPollNanos * 4) || age >= kMaxRotatedOpenNanos) {
      ReadPass(f, true);
      f->finished = true;
    }
    ++i;
  }
}

void Agent::ReaderLoop() {
  if (!run_.dry_run) {
    for (const tail::RotatedPosition& r : positions_.Rotated()) {
      if (const Target* t = TargetFor(r.path)) ResumeRotated(r, *t);
    }
  }
  SyncTargets();
  int64_t last_sync = clock_->MonotonicNanos(), last_save = last_sync;
  bool any = false;  // the last loop read data from some file
  while (true) {
    {
      std::lock_guard<std::mutex> lock(stop_mu_);
      if (stopping_) break;
    }
    // The previous loop read data, or stopped at the unacked cap (then
    // most files were not read and are not at their end).
    const bool busy = any || hit_cap_;
    any = false;
    hit_cap_ = false;
    std::vector<std::string> replaced;
    for (auto& [path, f] : files_) {
      if (!rotated_.empty() && Blocked(path)) continue;
      any |= ReadPass(f.get(), false);
      // At its end, a file is checked for rotation (a stat of the path);
      // while the reader is busy catching up, at most every
      // kReplacedCheckNanos per file.
      int64_t now = clock_->MonotonicNanos();
      if (!busy || now - f->replaced_checked_ns >= kReplacedCheckNanos) {
        // The check time is taken whether or not the file is at its end:
        // taken only at the end, a file being caught up on was fstat'ed on
        // every loop (~200 fstats per loop with 200 files, 7.5k/s into skald).
        f->replaced_checked_ns = now;
        // A size seen beyond what was read (this pass's truncation check)
        // means not at the end, without another fstat.
        if (f->tf->size_seen() <= f->tf->read_offset() && f->tf->Size() <= f->tf->read_offset() &&
            f->tf->Replaced()) {
          replaced.push_back(path);
        }
      }
    }
    for (const std::string& path : replaced) {
      std::unique_ptr<File> old = std::move(files_[path]);
      files_.erase(path);
      old->rotated_at_ns = clock_->MonotonicNanos();
      const Target* target = TargetFor(path);
      positions_.Put(path, 0);
      struct stat st;
      if (target != nullptr && ::stat(path.c_str(), &st) == 0) OpenFile(path, *target);
      spdlog::info("file rotated or removed; draining old file: path={}", path);
      rotated_.push_back(std::move(old));
    }
    DrainRotated(&any);
    int64_t now = clock_->MonotonicNanos();
    if (now - last_sync >= options_.target.sync_period_ns) {
      SyncTargets();
      last_sync = now;
    }
    if (!run_.dry_run && now - last_save >= options_.positions.sync_period_ns) {
      SavePositions();
      last_save = now;
    }
    if (!any && watcher_) {
      // Rotated files still draining are re-checked at the normal poll rate.
      int64_t wait = rotated_.empty() ? kInotifyFallbackPollNanos : kPollNanos;
      tail::InotifyWatcher::Events ev = watcher_->Wait(wait);
      if (ev.created) {
        SyncTargets();
        last_sync = clock_->MonotonicNanos();
      }
    } else if (!any) {
      std::unique_lock<std::mutex> lock(stop_mu_);
      stop_cv_.wait_for(lock, std::chrono::nanoseconds(kPollNanos),
                        [this] { return stopping_ || wake_; });
      wake_ = false;
    }
  }
  // Shutdown: emit what stages hold so it is sent before positions are saved.
  for (auto& [path, f] : files_) {
    std::vector<pipeline::PipelineEntry> out;
    f->pipe->Flush(clock_->MonotonicNanos(), true, &out);
    Dispatch(f.get(), &out);
  }
}

bool Agent::ReadPass(File* f, bool finishing) {
  std::vector<pipeline::PipelineEntry>& out = scratch_out_;
  std::vector<tail::Line>& lines = scratch_lines_;
  out.clear();
  lines.clear();
  size_t n = 0;
  bool backpressure;
  {
    std::lock_guard<std::mutex> lock(ack_mu_);
    backpressure = inflight_bytes_ > kMaxUnackedBytes;
    if (backpressure) reader_paused_ = true;  // OnAcks wakes us below the cap
  }
  hit_cap_ |= backpressure;
  // A finishing pass reads even at the cap (its file is closed after it).
  if (!backpressure || finishing) {
    if (f->tf->Truncated()) {
      spdlog::info("file truncated; reading from the start: path={}", f->path);
      f->pipe->Flush(clock_->MonotonicNanos(), true, &out);
      f->tf->Reset();
    }
    auto r = f->tf->ReadLines(kMaxReadPerPass, &lines);
    if (!r.ok()) {
      spdlog::warn("read failed: path={} err={}", f->path, r.status().message());
    } else {
      n = *r;
    }
  }
  if (backpressure && !finishing) {
    // Paused at the cap: only what stages held too long moves on; the file
    // is not touched (no syscalls per file while acks catch up).
    f->pipe->Flush(clock_->MonotonicNanos(), false, &out);
    Dispatch(f, &out);
    out.clear();
    return false;
  }
  if (finishing) f->tf->TakePartial(&lines);
  int64_t now_wall = clock_->NowNanos();
  for (tail::Line& l : lines) {
    pipeline::PipelineEntry e;
    e.labels = f->labels;  // shared, not copied
    e.timestamp_ns = now_wall;
    e.start_offset = l.start;
    e.line = std::move(l.text);
    f->pipe->Process(std::move(e), &out);
  }
  if (!lines.empty()) f->read_lines->Inc(static_cast<double>(lines.size()));
  f->pipe->Flush(clock_->MonotonicNanos(), finishing, &out);
  Dispatch(f, &out);
  out.clear();  // frees the entries now; the capacity is kept for the next pass
  lines.clear();
  if (f->rotated_at_ns == 0) {
    f->read_bytes->Set(static_cast<double>(f->tf->read_offset()));
    // The size seen by this pass's truncation check (no second fstat).
    f->file_bytes->Set(static_cast<double>(std::max(f->tf->size_seen(), f->tf->read_offset())));
    positions_.Put(f->path, SafeOffset(f), f->tf->identity());
  }
  return n > 0;
}

void Agent::Dispatch(File* f, std::vector<pipeline::PipelineEntry>* entries) {
  if (entries->empty()) return;
  std::vector<std::vector<client::ClientEntry>> per_client(clients_.size());
  std::vector<std::pair<uint64_t, uint64_t>> pending;  // (start offset, bytes) to register
  const client::LabelMap* prev_labels = nullptr;       // of the last entry queued
  for (pipeline::PipelineEntry& e : *entries) {
    auto& cache = f->label_cache;
    size_t hit = 0;
    // By identity first (a stage memo hands every entry of a stream the
    // same set), then by value.
    while (hit < cache.size() && !cache[hit].pipeline_labels.SharesWith(e.labels)) ++hit;
    if (hit == cache.size()) {
      hit = 0;
      while (hit < cache.size() && cache[hit].pipeline_labels != e.labels) ++hit;
    }
    if (hit == cache.size()) {
      File::LabelCacheEntry c;
      client::LabelMap labels;
      for (auto& [k, v] : e.labels) {
        if (k == pipeline::kTenantLabel) {
          c.tenant = v;
        } else if (!k.starts_with("__") && !v.empty()) {
          labels[k] = v;
        }
      }
      c.shared = std::make_shared<const client::LabelMap>(std::move(labels));
      c.pipeline_labels = e.labels;
      if (cache.size() == kLabelCacheSize) cache.pop_back();
      cache.insert(cache.begin(), std::move(c));
      hit = 0;
    } else {
      // Equal by value: remember this set so its next entries hit by identity.
      if (!cache[hit].pipeline_labels.SharesWith(e.labels)) cache[hit].pipeline_labels = e.labels;
      if (hit > 0) std::swap(cache[hit], cache[0]);  // keep the most recent first
      hit = 0;
    }
    const std::string& tenant = cache[0].tenant;
    const client::SharedLabels& shared = cache[0].shared;
    const client::LabelMap& labels = *shared;
    int64_t max_line = options_.limits.max_line_size;
    if (max_line > 0 && static_cast<int64_t>(e.line.size()) > max_line) {
      if (!options_.limits.max_line_size_truncate) {
        dropped_->WithLabels({"", tenant, "line_too_long"})->Inc();
        continue;
      }
      e.line.resize(static_cast<size_t>(max_line));
    }
    common::Entry entry{e.timestamp_ns, std::move(e.line), std::move(e.metadata)};
    if (run_.dry_run) {
      std::vector<common::Label> pairs;
      for (auto& [k, v] : labels) pairs.push_back({k, v});
      std::ostream& os = run_.out != nullptr ? *run_.out : std::cout;
      os << common::FormatRFC3339Nano(entry.timestamp_ns) << '\t'
         << common::Labels(std::move(pairs)).ToString() << '\t' << entry.line;
      if (!entry.metadata.empty()) {
        os << '\t' << common::Labels(entry.metadata).ToString();
      }
      os << '\n' << std::flush;
      continue;
    }
    // What the entry holds in memory until acknowledged, per client.
    pending.emplace_back(e.start_offset,
                         (entry.line.capacity() + kQueuedEntryOverheadBytes) * clients_.size());
    // A run of one stream carries its labels once (see ClientEntry).
    const bool same_stream = shared.get() == prev_labels;
    prev_labels = shared.get();
    for (size_t i = 0; i < clients_.size(); ++i) {
      bool last = i + 1 == clients_.size();
      per_client[i].push_back(client::ClientEntry{tenant,
                                                  same_stream ? nullptr : shared,
                                                  last ? std::move(entry) : entry,
                                                  client::AckRef{f->id, e.start_offset}});
    }
  }
  if (!pending.empty()) {
    // Registered before sending: an acknowledgement may arrive at once.
    std::lock_guard<std::mutex> lock(ack_mu_);
    std::deque<Inflight>& file_inflight = inflight_[f->id];
    const int acks = static_cast<int>(clients_.size());
    for (const auto& [start, bytes] : pending) {
      inflight_bytes_ += bytes;
      if (file_inflight.empty() || file_inflight.back().start < start) {
        file_inflight.push_back(Inflight{start, acks, bytes});
        continue;
      }
      // Out of order (a stage held an older entry back) or the same start.
      auto it = std::lower_bound(file_inflight.begin(), file_inflight.end(), start,
                                 [](const Inflight& a, uint64_t s) { return a.start < s; });
      if (it != file_inflight.end() && it->start == start) {
        it->pending += acks;
        it->bytes += bytes;
      } else {
        file_inflight.insert(it, Inflight{start, acks, bytes});
      }
    }
  }
  for (size_t i = 0; i < clients_.size(); ++i) clients_[i]->SendAll(&per_client[i]);
}

void Agent::WakeReader() {
  if (watcher_) {
    watcher_->Wake();
    return;
  }
  {
    std::lock_guard<std::mutex> lock(stop_mu_);
    wake_ = true;
  }
  stop_cv_.notify_all();
}

void Agent::OnAcks(const std::vector<client::AckRef>& acks) {
  bool wake = false;
  {
    std::lock_guard<std::mutex> lock(ack_mu_);
    ApplyAcks(acks);
    if (reader_paused_ && inflight_bytes_ <= kMaxUnackedBytes) {
      reader_paused_ = false;
      wake = true;
    }
  }
  if (wake) WakeReader();
}

void Agent::ApplyAcks(const std::vector<client::AckRef>& acks) {
  auto fit = inflight_.end();
  for (const client::AckRef& a : acks) {
    if (fit == inflight_.end() || fit->first != a.source) {
      fit = inflight_.find(a.source);
      if (fit == inflight_.end()) continue;
    }
    std::deque<Inflight>& d = fit->second;
    // Acknowledgements usually arrive oldest first: the front, else search.
    auto it = d.begin();
    if (it->start != a.start_offset) {
      it = std::lower_bound(d.begin(), d.end(), a.start_offset,
                            [](const Inflight& x, uint64_t s) { return x.start < s; });
    }
    if (it == d.end() || it->start != a.start_offset || it->pending <= 0) continue;
    if (--it->pending > 0) continue;
    inflight_bytes_ -= std::min(inflight_bytes_, it->bytes);
    while (!d.empty() && d.front().pending <= 0) d.pop_front();
    if (d.empty()) {
      inflight_.erase(fit);
      fit = inflight_.end();
    }
  }
}

bool Agent::HasInflight(uint64_t file_id) {
  std::lock_guard<std::mutex> lock(ack_mu_);
  return inflight_.contains(file_id);
}

uint64_t Agent::SafeOffset(File* f) {
  uint64_t safe = f->tf->offset();
  if (std::optional<uint64_t> p = f->pipe->PendingStart()) safe = std::min(safe, *p);
  std::lock_guard<std::mutex> lock(ack_mu_);
  auto it = inflight_.find(f->id);
  if (it != inflight_.end() && !it->second.empty()) safe = std::min(safe, it->second.front().start);
  return safe;
}

void Agent::SavePositions() {
  // Refresh the offsets of open files (acks may have arrived since the last pass).
  for (auto& [path, f] : files_) positions_.Put(path, SafeOffset(f.get()), f->tf->identity());
  std::vector<tail::RotatedPosition> rotated;
  for (const auto& f : rotated_) {
    rotated.push_back(tail::RotatedPosition{f->path, f->tf->identity(), SafeOffset(f.get())});
  }
  positions_.SetRotated(std::move(rotated));
  for (const auto& [path, off] : positions_.Snapshot()) {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) positions_.Remove(path);
  }
  Status s = positions_.Save();
  if (!s.ok()) spdlog::error("error writing positions file: err={}", s.message());
}

}  // namespace skald::agent
