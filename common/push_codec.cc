// Protobuf half of the push codec, media-type parsing and body dispatch.
// The JSON half lives in push_json_codec.cc.
#include "common/push_codec.h"
#include "common/time.h"

#include <google/protobuf/arena.h>
#include <snappy.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <limits>
#include <memory>
#include <set>
#include <utility>

#include "push.pb.h"

namespace skald::common {
namespace {

// Snappy's densest element (a 3-byte copy of 64 bytes) expands ~21x; a header
// announcing more than this per input byte is corrupt. Checked before the
// output buffer is allocated so a tiny body cannot claim 4 GiB.
constexpr size_t kMaxSnappyExpansion = 32;

Status TimestampError(int64_t seconds, int32_t nanos, const char* what) {
  return Status::InvalidArgument("timestamp: seconds:" + std::to_string(seconds) +
                                 " nanos:" + std::to_string(nanos) + " " + what);
}

// google.protobuf.Timestamp -> Unix ns with Go's range rules (see header).
Result<int64_t> TimestampToNanos(int64_t seconds, int32_t nanos) {
  if (nanos < 0 || nanos >= 1'000'000'000) {
    return TimestampError(seconds, nanos, "nanos not in range [0, 1e9)");
  }
  if (seconds < kMinProtoTimestampSeconds) {
    return TimestampError(seconds, nanos, "before 0001-01-01");
  }
  if (seconds >= kMaxProtoTimestampSeconds) {
    return TimestampError(seconds, nanos, "after 10000-01-01");
  }
  constexpr int64_t kMaxSec = std::numeric_limits<int64_t>::max() / 1'000'000'000;
  constexpr int64_t kMinSec = std::numeric_limits<int64_t>::min() / 1'000'000'000;
  if (seconds > kMaxSec ||
      (seconds == kMaxSec && nanos > std::numeric_limits<int64_t>::max() % 1'000'000'000)) {
    return std::numeric_limits<int64_t>::max();
  }
  if (seconds < kMinSec) return std::numeric_limits<int64_t>::min();
  return seconds * 1'000'000'000 + nanos;  // kMinSec * 1e9 + nanos >= INT64_MIN
}

// Bytes of snappy output kept per thread for reuse; larger bodies get a
// buffer of their own that is freed after the call.
constexpr size_t kMaxRetainedScratchBytes = 16 << 20;
// Arena blocks for the parsed message: few large blocks instead of one
// malloc per entry, timestamp and string.
constexpr size_t kArenaStartBlockBytes = 64 << 10;
constexpr size_t kArenaMaxBlockBytes = 4 << 20;

// A per-thread buffer of at least `n` bytes, or a fresh one in `*own` when
// `n` is above the retention limit. Valid until the next call on this thread.
char* ScratchBytes(size_t n, std::unique_ptr<char[]>* own) {
  if (n > kMaxRetainedScratchBytes) {
    *own = std::make_unique_for_overwrite<char[]>(n);
    return own->get();
  }
  thread_local std::unique_ptr<char[]> buf;
  thread_local size_t cap = 0;
  if (n > cap || !buf) {
    cap = std::max(n, size_t{64} << 10);
    buf = std::make_unique_for_overwrite<char[]>(cap);
  }
  return buf.get();
}

// Moves the parsed message's strings into our value type. The std::string
// objects live on the arena but their buffers are ordinary heap memory, so
// moving steals the buffer: no copy per line.
Status ConvertMessage(logproto::PushRequest* msg, PushRequest* out) {
  out->streams.reserve(msg->streams_size());
  for (logproto::StreamAdapter& s : *msg->mutable_streams()) {
    PushStream& stream = out->streams.emplace_back();
    stream.labels = std::move(*s.mutable_labels());
    stream.entries.reserve(s.entries_size());
    for (logproto::EntryAdapter& e : *s.mutable_entries()) {
      Entry& entry = stream.entries.emplace_back();
      // An absent timestamp is Go's zero time.Time (0001-01-01).
      auto ts = e.has_timestamp() ? TimestampToNanos(e.timestamp().seconds(), e.timestamp().nanos())
                                  : Result<int64_t>(std::numeric_limits<int64_t>::min());
      if (!ts.ok()) return ts.status();
      entry.timestamp_ns = *ts;
      entry.line = std::move(*e.mutable_line());
      if (e.structuredmetadata_size() > 0) {
        entry.metadata.reserve(e.structuredmetadata_size());
        for (logproto::LabelPairAdapter& p : *e.mutable_structuredmetadata()) {
          entry.metadata.push_back(
              Label{std::move(*p.mutable_name()), std::move(*p.mutable_value())});
        }
      }
    }
  }
  return Status::OK();
}

}  // namespace

Result<PushRequest> DecodePushProtobuf(std::string_view snappy_body,
                                       size_t max_decompressed_bytes) {
  size_t raw_size = 0;
  if (!snappy::GetUncompressedLength(snappy_body.data(), snappy_body.size(), &raw_size) ||
      raw_size > snappy_body.size() * kMaxSnappyExpansion) {
    return Status::InvalidArgument("snappy: corrupt input");
  }
  if (raw_size > max_decompressed_bytes) {
    return Status::TooLarge("request body too large: decompressed size exceeds " +
                            std::to_string(max_decompressed_bytes) + " bytes");
  }
  if (raw_size > static_cast<size_t>(std::numeric_limits<int>::max())) {
    return Status::TooLarge("request body too large: protobuf message over 2 GiB");
  }
  std::unique_ptr<char[]> own;
  char* raw = ScratchBytes(raw_size, &own);
  if (!snappy::RawUncompress(snappy_body.data(), snappy_body.size(), raw)) {
    return Status::InvalidArgument("snappy: corrupt input");
  }
  google::protobuf::ArenaOptions options;
  options.start_block_size = kArenaStartBlockBytes;
  options.max_block_size = kArenaMaxBlockBytes;
  google::protobuf::Arena arena(options);
  auto* msg = google::protobuf::Arena::CreateMessage<logproto::PushRequest>(&arena);
  if (!msg->ParseFromArray(raw, static_cast<int>(raw_size))) {
    return Status::InvalidArgument("proto: cannot parse PushRequest: malformed protobuf");
  }
  PushRequest out;
  SKALD_RETURN_IF_ERROR(ConvertMessage(msg, &out));
  return out;
}

std::string EncodePushProtobuf(const PushRequest& req) {
  logproto::PushRequest msg;
  msg.mutable_streams()->Reserve(static_cast<int>(req.streams.size()));
  for (const PushStream& stream : req.streams) {
    logproto::StreamAdapter* s = msg.add_streams();
    s->set_labels(stream.labels);
    s->mutable_entries()->Reserve(static_cast<int>(stream.entries.size()));
    for (const Entry& entry : stream.entries) {
      logproto::EntryAdapter* e = s->add_entries();
      const SecondsNanos t = SplitUnixNanos(entry.timestamp_ns);
      e->mutable_timestamp()->set_seconds(t.seconds);
      e->mutable_timestamp()->set_nanos(t.nanos);
      e->set_line(entry.line);
      for (const Label& m : entry.metadata) {
        logproto::LabelPairAdapter* p = e->add_structuredmetadata();
        p->set_name(m.name);
        p->set_value(m.value);
      }
    }
  }
  std::string raw = msg.SerializeAsString();
  std::string out;
  snappy::Compress(raw.data(), raw.size(), &out);
  return out;
}

// ---- media type (Go's mime.ParseMediaType) ----

namespace {

bool IsTSpecial(char c) { return c != '\0' && std::strchr("()<>@,;:\\\"/[]?=", c) != nullptr; }

bool IsTokenChar(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u > 0x20 && u < 0x7f && !IsTSpecial(c);
}

bool IsGoSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

std::string_view TrimLeft(std::string_view s) {
  while (!s.empty() && IsGoSpace(s.front())) s.remove_prefix(1);
  return s;
}

std::string_view Trim(std::string_view s) {
  s = TrimLeft(s);
  while (!s.empty() && IsGoSpace(s.back())) s.remove_suffix(1);
  return s;
}

// Splits the leading run of token characters off `*s`.
std::string_view ConsumeToken(std::string_view* s) {
  size_t n = 0;
  while (n < s->size() && IsTokenChar((*s)[n])) ++n;
  std::string_view tok = s->substr(0, n);
  s->remove_prefix(n);
  return tok;
}

// A token or a quoted-string; false when neither is present.
bool ConsumeValue(std::string_view* s) {
  if (s->empty()) return false;
  if ((*s)[0] != '"') return !ConsumeToken(s).empty();
  for (size_t i = 1; i < s->size(); ++i) {
    const char c = (*s)[i];
    if (c == '"') {
      s->remove_prefix(i + 1);
      return true;
    }
    if (c == '\\' && i + 1 < s->size() && IsTSpecial((*s)[i + 1])) {
      ++i;
      continue;
    }
    if (c == '\r' || c == '\n') return false;
  }
  return false;  // no closing quote
}

// One `; name=value` parameter; returns the lower-cased name, or "" when the
// text at `*s` is not a parameter (then `*s` is unchanged).
std::string ConsumeParam(std::string_view* s) {
  std::string_view rest = TrimLeft(*s);
  if (rest.empty() || rest[0] != ';') return {};
  rest = TrimLeft(rest.substr(1));
  std::string_view name = ConsumeToken(&rest);
  if (name.empty()) return {};
  rest = TrimLeft(rest);
  if (rest.empty() || rest[0] != '=') return {};
  rest = TrimLeft(rest.substr(1));
  if (!ConsumeValue(&rest)) return {};
  *s = rest;
  std::string lower(name);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower;
}

Status CheckMediaType(std::string_view mt) {
  std::string_view rest = mt;
  if (ConsumeToken(&rest).empty()) return Status::InvalidArgument("mime: no media type");
  if (rest.empty()) return Status::OK();
  if (rest[0] != '/') return Status::InvalidArgument("mime: expected slash after first token");
  rest.remove_prefix(1);
  if (ConsumeToken(&rest).empty())
    return Status::InvalidArgument("mime: expected token after slash");
  if (!rest.empty()) return Status::InvalidArgument("mime: unexpected content after media subtype");
  return Status::OK();
}

}  // namespace

Result<std::string> ParseMediaType(std::string_view content_type) {
  const size_t semi = content_type.find(';');
  std::string_view base = content_type.substr(0, semi);
  std::string media(Trim(base));
  for (char& c : media) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  SKALD_RETURN_IF_ERROR(CheckMediaType(media));
  std::string_view params = content_type.substr(base.size());
  std::set<std::string, std::less<>> seen;
  while (!params.empty()) {
    params = TrimLeft(params);
    if (params.empty()) break;
    std::string name = ConsumeParam(&params);
    if (name.empty()) {
      if (Trim(params) == ";") break;  // a trailing semicolon is fine
      return Status::InvalidArgument("mime: invalid media parameter");
    }
    if (!seen.insert(std::move(name)).second) {
      return Status::InvalidArgument("mime: duplicate parameter name");
    }
  }
  return media;
}

// ---- HTTP body dispatch ----

Result<PushRequest> DecodePushBody(const PushBodyInfo& info, std::string_view body) {
  std::string decoded;
  std::string_view payload = body;
  if (!IsIdentityContentEncoding(info.content_encoding)) {
    if (info.content_encoding != "gzip" && info.content_encoding != "deflate") {
      std::string msg = "Content-Encoding \"";
      msg.append(info.content_encoding);
      msg += "\" not supported";
      return Status::InvalidArgument(msg);
    }
    auto d = DecodeContentEncoding(info.content_encoding, body, info.max_decompressed_bytes);
    if (!d.ok()) return d.status();
    decoded = std::move(d).value();
    payload = decoded;
  }
  auto media = ParseMediaType(info.content_type);
  if (!media.ok()) return media.status();
  if (*media == "application/json") {
    if (payload.size() > info.max_decompressed_bytes) {
      return Status::TooLarge("request body too large: decompressed size exceeds " +
                              std::to_string(info.max_decompressed_bytes) + " bytes");
    }
    return info.v1_path ? DecodePushJson(payload) : DecodeLegacyPushJson(payload);
  }
  return DecodePushProtobuf(payload, info.max_decompressed_bytes);
}

}  // namespace skald::common
