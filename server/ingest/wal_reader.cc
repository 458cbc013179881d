#include "server/ingest/wal_reader.h"

#include <spdlog/spdlog.h>

#include "common/coding.h"
#include "common/crc32c.h"

namespace skald::server::ingest {

using common::Status;

common::Result<WalBatch> DecodeWalBatch(std::string_view in) {
  auto bad = [](const char* what) { return Status::Corruption(what, "wal batch"); };
  uint64_t version = 0, nstreams = 0;
  std::string_view tenant;
  if (!common::GetVarint64(&in, &version) || version != kWalBatchVersion) return bad("version");
  if (!common::GetLengthPrefixed(&in, &tenant) || !common::GetVarint64(&in, &nstreams) ||
      nstreams > in.size()) {
    return bad("header");
  }
  WalBatch b;
  b.tenant.assign(tenant);
  b.streams.resize(nstreams);
  for (common::PushStream& s : b.streams) {
    std::string_view labels;
    uint64_t n = 0;
    if (!common::GetLengthPrefixed(&in, &labels) || !common::GetVarint64(&in, &n) || n > in.size()) {
      return bad("stream");
    }
    s.labels.assign(labels);
    s.entries.resize(n);
    for (common::Entry& e : s.entries) {
      std::string_view line;
      uint64_t nmeta = 0;
      if (!common::GetVarsint64(&in, &e.timestamp_ns) || !common::GetLengthPrefixed(&in, &line) ||
          !common::GetVarint64(&in, &nmeta) || nmeta > in.size()) {
        return bad("entry");
      }
      e.line.assign(line);
      e.metadata.resize(nmeta);
      for (common::Label& l : e.metadata) {
        std::string_view name, value;
        if (!common::GetLengthPrefixed(&in, &name) || !common::GetLengthPrefixed(&in, &value)) {
          return bad("metadata");
        }
        l.name.assign(name);
        l.value.assign(value);
      }
    }
  }
  if (!in.empty()) return bad("trailing bytes");
  return b;
}

common::Result<std::unique_ptr<WalReader>> WalReader::Open(common::Env* env, std::string dir,
                                                           uint64_t min_segment) {
  auto segs = ListWalSegments(*env, dir);
  if (!segs.ok()) return segs.status();
  std::vector<uint64_t> keep;
  for (uint64_t s : *segs) {
    if (s >= min_segment) keep.push_back(s);
  }
  return std::unique_ptr<WalReader>(new WalReader(env, std::move(dir), std::move(keep)));
}

bool WalReader::LoadNextSegment() {
  while (next_segment_ < segments_.size()) {
    current_ = segments_[next_segment_++];
    std::string path = WalSegmentPath(dir_, current_);
    auto data = common::ReadFileToString(*env_, path);
    if (!data.ok()) {
      if (data.status().code() == common::StatusCode::kNotFound) continue;  // removed meanwhile
      status_ = data.status();
      return false;
    }
    buf_ = std::move(*data);
    pos_ = 0;
    ++stats_.segments;
    return true;
  }
  return false;
}

bool WalReader::ValidAt(size_t pos) const {
  if (buf_.size() - pos < kWalHeaderBytes) return false;
  const char* p = buf_.data() + pos;
  uint32_t len = common::DecodeFixed32(p + 4);
  if (len > kMaxWalRecordBytes || len > buf_.size() - pos - kWalHeaderBytes) return false;
  uint32_t want = common::crc32c::Unmask(common::DecodeFixed32(p));
  return common::crc32c::Value(p + 4, 5 + size_t{len}) == want;
}

size_t WalReader::FindValid(size_t from) const {
  for (size_t p = from; p + kWalHeaderBytes <= buf_.size(); ++p) {
    if (ValidAt(p)) return p;
  }
  return std::string::npos;
}

bool WalReader::Next(std::string_view* payload, uint64_t* segment) {
  while (status_.ok()) {
    if (!loaded_ || pos_ >= buf_.size()) {
      loaded_ = LoadNextSegment();
      if (!loaded_) return false;
      continue;
    }
    if (!ValidAt(pos_)) {
      // Try the damaged record's own length first, then scan.
      size_t next = std::string::npos;
      if (buf_.size() - pos_ >= kWalHeaderBytes) {
        uint64_t skip = kWalHeaderBytes + uint64_t{common::DecodeFixed32(buf_.data() + pos_ + 4)};
        if (skip < buf_.size() - pos_ && ValidAt(pos_ + skip)) next = pos_ + skip;
      }
      if (next == std::string::npos) next = FindValid(pos_ + 1);
      if (next == std::string::npos) {
        spdlog::warn("wal: torn tail in segment {} at offset {}: {} bytes ignored", current_, pos_,
                     buf_.size() - pos_);
        ++stats_.torn_tails;
        stats_.skipped_bytes += buf_.size() - pos_;
        pos_ = buf_.size();
      } else {
        spdlog::warn("wal: corrupt record in segment {} at offset {}: {} bytes skipped", current_,
                     pos_, next - pos_);
        ++stats_.corrupt_records;
        stats_.skipped_bytes += next - pos_;
        pos_ = next;
      }
      continue;
    }
    const char* p = buf_.data() + pos_;
    uint32_t len = common::DecodeFixed32(p + 4);
    auto type = static_cast<uint8_t>(p[8]);
    size_t start = pos_;
    pos_ += kWalHeaderBytes + len;
    if (type != static_cast<uint8_t>(WalRecordType::kBatch)) {
      spdlog::warn("wal: unknown record type {} in segment {} at offset {}", type, current_, start);
      ++stats_.corrupt_records;
      stats_.skipped_bytes += kWalHeaderBytes + len;
      continue;
    }
    *payload = std::string_view(p + kWalHeaderBytes, len);
    *segment = current_;
    ++stats_.records;
    return true;
  }
  return false;
}

Status ReplayWal(common::Env* env, const std::string& dir,
                 const std::function<Status(uint64_t segment, std::string_view payload)>& fn,
                 WalReadStats* stats) {
  auto reader = WalReader::Open(env, dir);
  if (!reader.ok()) return reader.status();
  std::string_view payload;
  uint64_t segment = 0;
  Status s;
  while (s.ok() && (*reader)->Next(&payload, &segment)) s = fn(segment, payload);
  if (stats != nullptr) *stats = (*reader)->stats();
  if (!s.ok()) return s;
  return (*reader)->status();
}

}  // namespace skald::server::ingest
