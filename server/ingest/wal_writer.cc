#include "server/ingest/wal_writer.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>

#include "common/coding.h"
#include "common/crc32c.h"
#include "server/ingest/wal_reader.h"

namespace skald::server::ingest {

using common::Status;

namespace {

// A leader stops adding followers' bytes to its group past this size, so
// one huge group cannot delay the leader's own acknowledgement unboundedly.
constexpr size_t kMaxGroupBytes = size_t{4} << 20;

void FrameRecord(std::string_view payload, std::string* out) {
  char header[kWalHeaderBytes];
  common::EncodeFixed32(header + 4, static_cast<uint32_t>(payload.size()));
  header[8] = static_cast<char>(WalRecordType::kBatch);
  uint32_t crc = common::crc32c::Value(header + 4, 5);
  crc = common::crc32c::Extend(crc, payload.data(), payload.size());
  common::EncodeFixed32(header, common::crc32c::Mask(crc));
  out->append(header, kWalHeaderBytes);
  out->append(payload);
}

}  // namespace

void EncodeWalBatch(const WalBatch& batch, std::string* out) {
  common::PutVarint64(out, kWalBatchVersion);
  common::PutLengthPrefixed(out, batch.tenant);
  common::PutVarint64(out, batch.streams.size());
  for (const common::PushStream& s : batch.streams) {
    common::PutLengthPrefixed(out, s.labels);
    common::PutVarint64(out, s.entries.size());
    for (const common::Entry& e : s.entries) {
      common::PutVarsint64(out, e.timestamp_ns);
      common::PutLengthPrefixed(out, e.line);
      common::PutVarint64(out, e.metadata.size());
      for (const common::Label& l : e.metadata) {
        common::PutLengthPrefixed(out, l.name);
        common::PutLengthPrefixed(out, l.value);
      }
    }
  }
}

std::string WalSegmentPath(std::string_view dir, uint64_t seq) {
  char name[32];
  std::snprintf(name, sizeof(name), "%016" PRIu64 ".wal", seq);
  return common::JoinPath(dir, name);
}

common::Result<std::vector<uint64_t>> ListWalSegments(common::Env& env, const std::string& dir) {
  auto names = env.GetChildren(dir);
  if (!names.ok()) {
    if (names.status().code() == common::StatusCode::kNotFound) return std::vector<uint64_t>{};
    return names.status();
  }
  std::vector<uint64_t> out;
  for (const std::string& n : *names) {
    if (n.size() <= kWalSuffix.size() || !n.ends_with(kWalSuffix)) continue;
    std::string_view digits(n.data(), n.size() - kWalSuffix.size());
    if (!std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
        digits.size() > 19) {
      continue;
    }
    out.push_back(std::stoull(std::string(digits)));
  }
  std::sort(out.begin(), out.end());
  return out;
}

struct WalWriter::Writer {
  std::string framed;                                   // records to append
  const std::function<Status()>* exclusive = nullptr;  // or a control operation
  Status status;
  uint64_t segment = 0;
  bool done = false;
  std::condition_variable cv;
};

WalWriter::WalWriter(common::Env* env, WalOptions options)
    : env_(env), options_(std::move(options)) {}

WalWriter::~WalWriter() { (void)Close(); }

common::Result<std::unique_ptr<WalWriter>> WalWriter::Open(common::Env* env, WalOptions options) {
  SKALD_RETURN_IF_ERROR(env->CreateDirs(options.dir));
  auto segs = ListWalSegments(*env, options.dir);
  if (!segs.ok()) return segs.status();
  uint64_t seq = segs->empty() ? 1 : segs->back() + 1;
  std::unique_ptr<WalWriter> w(new WalWriter(env, std::move(options)));
  SKALD_RETURN_IF_ERROR(w->OpenSegment(seq));
  return w;
}

Status WalWriter::OpenSegment(uint64_t seq) {
  auto file = env_->NewWritableFile(WalSegmentPath(options_.dir, seq));
  if (!file.ok()) return file.status();
  if (options_.sync == WalSyncPolicy::kGroup) {
    SKALD_RETURN_IF_ERROR((*file)->Sync());  // makes the new name durable
  }
  file_ = std::move(*file);
  std::lock_guard<std::mutex> l(mu_);
  active_seq_ = seq;
  return Status::OK();
}

common::Result<uint64_t> WalWriter::Append(std::span<const std::string> records) {
  Writer w;
  size_t total = 0;
  for (const std::string& r : records) {
    if (r.size() > kMaxWalRecordBytes) {
      return Status::TooLarge("wal record larger than kMaxWalRecordBytes");
    }
    total += kWalHeaderBytes + r.size();
  }
  w.framed.reserve(total);
  for (const std::string& r : records) FrameRecord(r, &w.framed);
  std::unique_lock<std::mutex> l(mu_);
  if (closed_) return Status::Unavailable("wal is closed");
  if (!error_.ok()) return error_;
  writers_.push_back(&w);
  while (!w.done && &w != writers_.front()) w.cv.wait(l);
  if (w.done) {
    if (!w.status.ok()) return w.status;
    return w.segment;
  }

  // Leader: gather followers up to a control operation or the size cap.
  std::vector<Writer*> group;
  size_t bytes = 0;
  for (Writer* x : writers_) {
    if (x->exclusive != nullptr || (!group.empty() && bytes + x->framed.size() > kMaxGroupBytes)) {
      break;
    }
    group.push_back(x);
    bytes += x->framed.size();
  }
  const uint64_t segment = active_seq_;
  Status s = closed_ ? Status::Unavailable("wal is closed") : error_;
  l.unlock();

  if (s.ok()) {
    // One append per writer: the file writes buffers larger than its own
    // straight through, so the group is never copied into one buffer.
    for (Writer* x : group) {
      if (s.ok()) s = file_->Append(x->framed);
    }
    if (s.ok()) s = options_.sync == WalSyncPolicy::kGroup ? file_->Sync() : file_->Flush();
    if (s.ok() && file_->Size() >= options_.segment_bytes) {
      Status rs = file_->Close();
      if (rs.ok()) rs = OpenSegment(segment + 1);  // takes mu_ briefly
      l.lock();
      if (!rs.ok()) error_ = rs;
      l.unlock();
    }
  }

  l.lock();
  if (!s.ok() && error_.ok()) error_ = s;
  for (Writer* x : group) {
    writers_.pop_front();
    x->status = s;
    x->segment = segment;
    x->done = true;
    if (x != &w) x->cv.notify_one();
  }
  if (!writers_.empty()) writers_.front()->cv.notify_one();
  if (!s.ok()) return s;
  return segment;
}

common::Result<uint64_t> WalWriter::AppendBatch(const WalBatch& batch) {
  std::string payload;
  EncodeWalBatch(batch, &payload);
  return Append(std::span<const std::string>(&payload, 1));
}

Status WalWriter::RunExclusive(const std::function<Status()>& fn) {
  Writer w;
  w.exclusive = &fn;
  std::unique_lock<std::mutex> l(mu_);
  writers_.push_back(&w);
  while (&w != writers_.front()) w.cv.wait(l);
  l.unlock();
  Status s = fn();
  l.lock();
  writers_.pop_front();
  if (!writers_.empty()) writers_.front()->cv.notify_one();
  return s;
}

common::Result<uint64_t> WalWriter::Rotate() {
  uint64_t next = 0;
  Status s = RunExclusive([&]() -> Status {
    uint64_t cur;
    {
      std::lock_guard<std::mutex> l(mu_);
      if (closed_) return Status::Unavailable("wal is closed");
      if (!error_.ok()) return error_;
      cur = active_seq_;
    }
    Status st = options_.sync == WalSyncPolicy::kGroup ? file_->Sync() : Status::OK();
    if (st.ok()) st = file_->Close();
    if (st.ok()) st = OpenSegment(cur + 1);
    if (!st.ok()) {
      std::lock_guard<std::mutex> l(mu_);
      error_ = st;
      return st;
    }
    next = cur + 1;
    return Status::OK();
  });
  if (!s.ok()) return s;
  return next;
}

size_t WalWriter::QueueDepthForTest() const {
  std::lock_guard<std::mutex> l(mu_);
  return writers_.size();
}

uint64_t WalWriter::ActiveSegment() const {
  std::lock_guard<std::mutex> l(mu_);
  return active_seq_;
}

Status WalWriter::RemoveSegmentsBefore(uint64_t segment) {
  auto segs = ListWalSegments(*env_, options_.dir);
  if (!segs.ok()) return segs.status();
  uint64_t active = ActiveSegment();
  for (uint64_t s : *segs) {
    if (s >= segment || s >= active) break;
    Status st = env_->RemoveFile(WalSegmentPath(options_.dir, s));
    if (!st.ok() && st.code() != common::StatusCode::kNotFound) return st;
  }
  return Status::OK();
}

Status WalWriter::Replay(const std::function<Status(uint64_t, std::string_view)>& fn) {
  return ReplayWal(env_, options_.dir, fn);
}

Status WalWriter::Close() {
  return RunExclusive([&]() -> Status {
    {
      std::lock_guard<std::mutex> l(mu_);
      if (closed_) return Status::OK();
      closed_ = true;
    }
    if (!file_) return Status::OK();
    Status s = options_.sync == WalSyncPolicy::kGroup ? file_->Sync() : file_->Flush();
    Status c = file_->Close();
    file_.reset();
    return s.ok() ? c : s;
  });
}

}  // namespace skald::server::ingest
