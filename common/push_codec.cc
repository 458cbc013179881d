// Protobuf half of the push codec, media-type parsing and body dispatch.
// The JSON half lives in push_json_codec.cc.
#include "common/push_codec.h"
#include "common/time.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/wire_format_lite.h>
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

// The wire of logproto.PushRequest (push.proto), walked with protobuf's
// CodedInputStream so that labels, lines and metadata become views into the
// decompressed body instead of one heap string each. Accepts and rejects
// what the generated parser does: unknown fields (and known fields of an
// unexpected wire type) are skipped, a repeated non-repeated field keeps its
// last value (a repeated timestamp message is merged field by field), and
// tag 0, a stray end-group tag, a truncated varint or a length past the
// enclosing message is malformed. `parsed` (field 4, response-only) is
// parsed and dropped.
using google::protobuf::io::CodedInputStream;
using Wire = google::protobuf::internal::WireFormatLite;

constexpr uint32_t kFieldNumberShift = 3;
constexpr uint32_t kWireTypeMask = 7;

class ViewParser {
 public:
  ViewParser(const char* base, int size, PushRequestView* out)
      : base_(base), size_(size), in_(reinterpret_cast<const uint8_t*>(base), size), out_(out) {}

  // Parses the whole buffer into out_; false when malformed.
  bool Parse() {
    if (!ParseRequest(size_)) return false;
    // Entry metadata spans point into out_->metadata(), complete only now.
    const LabelView* md = out_->metadata().data();
    size_t k = 0;
    for (PushStreamView& s : out_->streams) {
      for (EntryView& e : s.entries) {
        e.metadata = std::span<const LabelView>(md + md_begin_[k], md_count_[k]);
        ++k;
      }
    }
    return true;
  }

 private:
  // Reads a tag; false at `end` (the message is done) or on error (*ok=false).
  bool NextTag(int end, uint32_t* tag, bool* ok) {
    if (in_.CurrentPosition() == end) return false;
    *tag = in_.ReadTag();
    if (*tag == 0 || (*tag >> kFieldNumberShift) == 0) {
      *ok = false;
      return false;
    }
    return true;
  }

  bool ReadView(std::string_view* out) {
    uint32_t len = 0;
    if (!in_.ReadVarint32(&len)) return false;
    const int pos = in_.CurrentPosition();
    if (len > static_cast<uint32_t>(size_ - pos)) return false;
    if (!in_.Skip(static_cast<int>(len))) return false;
    *out = std::string_view(base_ + pos, len);
    return true;
  }

  // Enters a length-delimited sub-message; *end is its end position.
  bool Enter(int* end, CodedInputStream::Limit* limit) {
    uint32_t len = 0;
    if (!in_.ReadVarint32(&len)) return false;
    const int pos = in_.CurrentPosition();
    if (len > static_cast<uint32_t>(size_ - pos)) return false;
    *end = pos + static_cast<int>(len);
    *limit = in_.PushLimit(static_cast<int>(len));
    return true;
  }

  bool Skip(uint32_t tag) { return Wire::SkipField(&in_, tag); }

  static bool IsLengthDelimited(uint32_t tag) {
    return (tag & kWireTypeMask) == static_cast<uint32_t>(Wire::WIRETYPE_LENGTH_DELIMITED);
  }
  static bool IsVarint(uint32_t tag) {
    return (tag & kWireTypeMask) == static_cast<uint32_t>(Wire::WIRETYPE_VARINT);
  }

  bool ParseRequest(int end) {
    uint32_t tag = 0;
    bool ok = true;
    while (NextTag(end, &tag, &ok)) {
      if ((tag >> kFieldNumberShift) == 1 && IsLengthDelimited(tag)) {
        if (!ParseStream()) return false;
      } else if (!Skip(tag)) {
        return false;  // `format` (2) is skipped as bytes, like any unknown field
      }
    }
    return ok;
  }

  bool ParseStream() {
    int end = 0;
    CodedInputStream::Limit limit;
    if (!Enter(&end, &limit)) return false;
    PushStreamView& s = out_->streams.emplace_back();
    uint32_t tag = 0;
    bool ok = true;
    while (NextTag(end, &tag, &ok)) {
      const uint32_t field = tag >> kFieldNumberShift;
      if (field == 1 && IsLengthDelimited(tag)) {
        if (!ReadView(&s.labels)) return false;
      } else if (field == 2 && IsLengthDelimited(tag)) {
        if (!ParseEntry(&s)) return false;
      } else if (!Skip(tag)) {
        return false;
      }
    }
    in_.PopLimit(limit);
    return ok;
  }

  bool ParseEntry(PushStreamView* s) {
    int end = 0;
    CodedInputStream::Limit limit;
    if (!Enter(&end, &limit)) return false;
    EntryView e;
    bool has_ts = false;
    int64_t seconds = 0;
    int32_t nanos = 0;
    const size_t md_begin = out_->metadata().size();
    uint32_t tag = 0;
    bool ok = true;
    while (NextTag(end, &tag, &ok)) {
      const uint32_t field = tag >> kFieldNumberShift;
      if (field == 1 && IsLengthDelimited(tag)) {
        has_ts = true;
        if (!ParseTimestamp(&seconds, &nanos)) return false;
      } else if (field == 2 && IsLengthDelimited(tag)) {
        if (!ReadView(&e.line)) return false;
      } else if ((field == 3 || field == 4) && IsLengthDelimited(tag)) {
        LabelView l;
        if (!ParseLabelPair(&l)) return false;
        if (field == 3) out_->metadata().push_back(l);
      } else if (!Skip(tag)) {
        return false;
      }
    }
    in_.PopLimit(limit);
    if (!ok) return false;
    // An absent timestamp is Go's zero time.Time (0001-01-01).
    auto ts = has_ts ? TimestampToNanos(seconds, nanos) : Result<int64_t>(std::numeric_limits<int64_t>::min());
    if (ts.ok()) {
      e.timestamp_ns = *ts;
    } else if (bad_timestamp_.ok()) {
      // Reported only if the whole message parses (malformed wins, as when
      // the generated parser ran first).
      bad_timestamp_ = ts.status();
    }
    // The span is set in Parse(), once the metadata array stops growing.
    md_begin_.push_back(md_begin);
    md_count_.push_back(out_->metadata().size() - md_begin);
    s->entries.push_back(e);
    return true;
  }

  bool ParseTimestamp(int64_t* seconds, int32_t* nanos) {
    int end = 0;
    CodedInputStream::Limit limit;
    if (!Enter(&end, &limit)) return false;
    uint32_t tag = 0;
    bool ok = true;
    while (NextTag(end, &tag, &ok)) {
      const uint32_t field = tag >> kFieldNumberShift;
      uint64_t v = 0;
      if ((field == 1 || field == 2) && IsVarint(tag)) {
        if (!in_.ReadVarint64(&v)) return false;
        if (field == 1) {
          *seconds = static_cast<int64_t>(v);
        } else {
          *nanos = static_cast<int32_t>(static_cast<uint32_t>(v));  // int32 fields truncate
        }
      } else if (!Skip(tag)) {
        return false;
      }
    }
    in_.PopLimit(limit);
    return ok;
  }

  bool ParseLabelPair(LabelView* l) {
    int end = 0;
    CodedInputStream::Limit limit;
    if (!Enter(&end, &limit)) return false;
    uint32_t tag = 0;
    bool ok = true;
    while (NextTag(end, &tag, &ok)) {
      const uint32_t field = tag >> kFieldNumberShift;
      if (field == 1 && IsLengthDelimited(tag)) {
        if (!ReadView(&l->name)) return false;
      } else if (field == 2 && IsLengthDelimited(tag)) {
        if (!ReadView(&l->value)) return false;
      } else if (!Skip(tag)) {
        return false;
      }
    }
    in_.PopLimit(limit);
    return ok;
  }

 public:
  // The first timestamp out of range (the message parsed on past it).
  Status bad_timestamp_;

 private:
  const char* const base_;
  const int size_;
  CodedInputStream in_;
  PushRequestView* const out_;
  // Per entry, in parse order: its first pair in out_->metadata(), and count.
  std::vector<size_t> md_begin_;
  std::vector<size_t> md_count_;
};

}  // namespace

Result<PushRequestView> DecodePushProtobufView(std::string_view snappy_body, size_t max_decompressed_bytes) {
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
  PushRequestView out;
  out.body() = PushBuffer::Take(raw_size);
  char* raw = out.body().data();
  if (!snappy::RawUncompress(snappy_body.data(), snappy_body.size(), raw)) {
    return Status::InvalidArgument("snappy: corrupt input");
  }
  ViewParser parser(raw, static_cast<int>(raw_size), &out);
  if (!parser.Parse()) return Status::InvalidArgument("proto: cannot parse PushRequest: malformed protobuf");
  if (!parser.bad_timestamp_.ok()) return parser.bad_timestamp_;
  return out;
}

Result<PushRequest> DecodePushProtobuf(std::string_view snappy_body, size_t max_decompressed_bytes) {
  auto view = DecodePushProtobufView(snappy_body, max_decompressed_bytes);
  if (!view.ok()) return view.status();
  return view->ToOwned();
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

namespace {

// DecodePushBody's steps; `protobuf` decodes a protobuf payload, `json` a
// JSON one (v1 or legacy), each into the caller's result type.
template <typename T, typename Protobuf, typename Json>
Result<T> DecodeBody(const PushBodyInfo& info, std::string_view body, Protobuf protobuf, Json json) {
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
    return json(payload);
  }
  return protobuf(payload);
}

}  // namespace

Result<PushRequest> DecodePushBody(const PushBodyInfo& info, std::string_view body) {
  return DecodeBody<PushRequest>(
      info, body, [&](std::string_view p) { return DecodePushProtobuf(p, info.max_decompressed_bytes); },
      [&](std::string_view p) { return info.v1_path ? DecodePushJson(p) : DecodeLegacyPushJson(p); });
}

Result<PushRequestView> DecodePushBodyView(const PushBodyInfo& info, std::string_view body) {
  return DecodeBody<PushRequestView>(
      info, body, [&](std::string_view p) { return DecodePushProtobufView(p, info.max_decompressed_bytes); },
      [&](std::string_view p) -> Result<PushRequestView> {
        auto r = info.v1_path ? DecodePushJson(p) : DecodeLegacyPushJson(p);
        if (!r.ok()) return r.status();
        return PushRequestView::Own(std::move(r).value());
      });
}

}  // namespace skald::common
