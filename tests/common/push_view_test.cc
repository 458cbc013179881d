// DecodePushProtobufView against protobuf's generated parser (the reference
// it replaced), PushRequestView ownership and PushBuffer recycling.
#include "common/push_view.h"

#include <doctest/doctest.h>
#include <snappy.h>

#include <limits>
#include <random>
#include <string>

#include "common/push_codec.h"
#include "push.pb.h"

using namespace skald::common;  // NOLINT: test brevity

namespace {

std::string SnappyOf(const std::string& raw) {
  std::string out;
  snappy::Compress(raw.data(), raw.size(), &out);
  return out;
}

// What the generated parser makes of `raw`: false when it rejects it; else
// *out holds the request and *bad_ts is set when a timestamp is outside
// Go's range (the view decoder rejects those).
bool ReferenceDecode(const std::string& raw, PushRequest* out, bool* bad_ts) {
  logproto::PushRequest msg;
  if (!msg.ParseFromString(raw)) return false;
  *bad_ts = false;
  for (const auto& s : msg.streams()) {
    PushStream& ps = out->streams.emplace_back();
    ps.labels = s.labels();
    for (const auto& e : s.entries()) {
      Entry& pe = ps.entries.emplace_back();
      pe.line = e.line();
      if (!e.has_timestamp()) {
        pe.timestamp_ns = std::numeric_limits<int64_t>::min();
      } else {
        const int64_t sec = e.timestamp().seconds();
        const int32_t ns = e.timestamp().nanos();
        if (ns < 0 || ns >= 1'000'000'000 || sec < kMinProtoTimestampSeconds || sec >= kMaxProtoTimestampSeconds) {
          *bad_ts = true;
        } else {
          // Go's time range clamped to int64 nanoseconds.
          const __int128 v = static_cast<__int128>(sec) * 1'000'000'000 + ns;
          pe.timestamp_ns = v > std::numeric_limits<int64_t>::max()   ? std::numeric_limits<int64_t>::max()
                            : v < std::numeric_limits<int64_t>::min() ? std::numeric_limits<int64_t>::min()
                                                                      : static_cast<int64_t>(v);
        }
      }
      for (const auto& m : e.structuredmetadata()) pe.metadata.push_back(Label{m.name(), m.value()});
    }
  }
  return true;
}

std::string SampleMessage() {
  logproto::PushRequest msg;
  for (int s = 0; s < 3; ++s) {
    auto* st = msg.add_streams();
    st->set_labels("{job=\"j" + std::to_string(s) + "\"}");
    st->set_hash(12345);
    for (int i = 0; i < 4; ++i) {
      auto* e = st->add_entries();
      e->mutable_timestamp()->set_seconds(1'700'000'000 + i);
      e->mutable_timestamp()->set_nanos(i * 7);
      e->set_line("line " + std::to_string(s) + "/" + std::to_string(i) + " some words here");
      if (i % 2 == 0) {
        auto* m = e->add_structuredmetadata();
        m->set_name("trace_id");
        m->set_value("abcdef" + std::to_string(i));
      }
      if (i == 3) {
        auto* p = e->add_parsed();
        p->set_name("level");
        p->set_value("info");
      }
    }
  }
  return msg.SerializeAsString();
}

void CheckSame(const PushRequest& got, const PushRequest& want) {
  REQUIRE(got.streams.size() == want.streams.size());
  for (size_t i = 0; i < want.streams.size(); ++i) {
    CHECK(got.streams[i].labels == want.streams[i].labels);
    CHECK(got.streams[i].entries == want.streams[i].entries);
  }
}

}  // namespace

TEST_CASE("push view decoder matches the generated parser on a valid message") {
  const std::string raw = SampleMessage();
  PushRequest want;
  bool bad_ts = false;
  REQUIRE(ReferenceDecode(raw, &want, &bad_ts));
  auto got = DecodePushProtobufView(SnappyOf(raw));
  REQUIRE(got.ok());
  CheckSame(got->ToOwned(), want);
  CHECK(got->streams[0].entries[0].metadata.size() == 1);
  CHECK(got->streams[0].entries[0].metadata[0].value == "abcdef0");
  CHECK(got->streams[0].entries[3].metadata.empty());  // `parsed` is dropped
}

TEST_CASE("push view decoder accepts and rejects what the generated parser does on mutated bodies") {
  const std::string base = SampleMessage();
  std::mt19937 rng(42);
  int accepted = 0, rejected = 0;
  for (int iter = 0; iter < 20000; ++iter) {
    std::string raw = base;
    const int edits = 1 + static_cast<int>(rng() % 3);
    for (int k = 0; k < edits; ++k) {
      const size_t pos = rng() % raw.size();
      switch (rng() % 4) {
        case 0: raw[pos] = static_cast<char>(rng()); break;
        case 1: raw.resize(pos); break;
        case 2: raw.insert(pos, 1, static_cast<char>(rng())); break;
        default: raw.erase(pos, 1 + rng() % 4); break;
      }
      if (raw.empty()) break;
    }
    PushRequest want;
    bool bad_ts = false;
    const bool ref_ok = ReferenceDecode(raw, &want, &bad_ts);
    auto got = DecodePushProtobufView(SnappyOf(raw));
    INFO("iteration ", iter);
    if (!ref_ok) {
      CHECK_FALSE(got.ok());
      ++rejected;
    } else if (bad_ts) {
      REQUIRE_FALSE(got.ok());
      CHECK(got.status().message().rfind("timestamp:", 0) == 0);
      ++rejected;
    } else {
      REQUIRE(got.ok());
      CheckSame(got->ToOwned(), want);
      ++accepted;
    }
  }
  // Both outcomes must be exercised, or the comparison proves nothing.
  CHECK(accepted > 1000);
  CHECK(rejected > 1000);
}

TEST_CASE("push view decoder skips unknown fields and keeps the last value of a repeated scalar field") {
  // Stream with labels twice (last wins), an unknown varint field 9, and an
  // entry whose timestamp comes in two pieces (merged) and line twice.
  std::string entry;
  entry += "\x0a\x02\x08\x05";      // timestamp {seconds: 5}
  entry += "\x12\x03old";           // line "old"
  entry += "\x0a\x02\x10\x07";      // timestamp {nanos: 7} (merged)
  entry += "\x12\x03new";           // line "new"
  entry += "\x48\x01";              // field 9 varint: unknown
  std::string stream;
  stream += "\x0a\x03{a}";
  stream += "\x0a\x07{b=\"1\"}";
  stream += "\x12" + std::string(1, static_cast<char>(entry.size())) + entry;
  stream += "\x18\x05";             // hash
  stream += "\x10\x01";             // field 2 as varint (wrong wire type): skipped like an unknown field
  std::string raw = "\x0a" + std::string(1, static_cast<char>(stream.size())) + stream;
  raw += "\x12\x04loki";            // format
  PushRequest want;
  bool bad_ts = false;
  REQUIRE(ReferenceDecode(raw, &want, &bad_ts));
  auto got = DecodePushProtobufView(SnappyOf(raw));
  REQUIRE(got.ok());
  CheckSame(got->ToOwned(), want);
  REQUIRE(got->streams.size() == 1);
  CHECK(got->streams[0].labels == "{b=\"1\"}");
  REQUIRE(got->streams[0].entries.size() == 1);
  CHECK(got->streams[0].entries[0].line == "new");
  CHECK(got->streams[0].entries[0].timestamp_ns == 5'000'000'007);
}

TEST_CASE("push view decoder rejects tag 0, field 0 and a stray end-group tag") {
  for (const std::string& raw : {std::string("\x00", 1), std::string("\x02\x00", 2), std::string("\x0c", 1),
                                 std::string("\x0a\x02\x00\x00", 4)}) {
    PushRequest want;
    bool bad_ts = false;
    CHECK_FALSE(ReferenceDecode(raw, &want, &bad_ts));
    CHECK_FALSE(DecodePushProtobufView(SnappyOf(raw)).ok());
  }
}

TEST_CASE("a PushRequestView owning a request keeps its views valid when moved") {
  PushRequest req;
  PushStream s;
  s.labels = "{job=\"a long label string beyond SSO\"}";
  s.entries.push_back(Entry{1, "a line long enough not to be stored inline", {{"trace_id", "0123456789abcdef0123"}}});
  s.entries.push_back(Entry{2, "short", {}});
  req.streams.push_back(s);
  PushRequestView v = PushRequestView::Own(std::move(req));
  PushRequestView moved = std::move(v);
  PushRequestView again;
  again = std::move(moved);
  REQUIRE(again.streams.size() == 1);
  CHECK(again.streams[0].labels == "{job=\"a long label string beyond SSO\"}");
  CHECK(again.streams[0].entries[0].line == "a line long enough not to be stored inline");
  REQUIRE(again.streams[0].entries[0].metadata.size() == 1);
  CHECK(again.streams[0].entries[0].metadata[0].name == "trace_id");
  CHECK(again.streams[0].entries[0].metadata[0].value == "0123456789abcdef0123");
  CHECK(again.streams[0].entries[1].metadata.empty());
  CHECK(again.ToOwned().streams[0].entries[0].metadata == std::vector<Label>{{"trace_id", "0123456789abcdef0123"}});
}

TEST_CASE("a released PushBuffer is reused by the next Take on the same thread") {
  const char* first = nullptr;
  {
    PushBuffer b = PushBuffer::Take(1000);
    first = b.data();
    CHECK(b.capacity() >= 1000);
  }
  PushBuffer again = PushBuffer::Take(2000);
  CHECK(again.data() == first);
  // A request larger than the parked buffer gets a new one.
  PushBuffer big = PushBuffer::Take(again.capacity() + 1);
  CHECK(big.data() != again.data());
  CHECK(big.capacity() >= again.capacity() + 1);
}

TEST_CASE("a PushBuffer above the retention limit is not kept") {
  { PushBuffer big = PushBuffer::Take(kMaxRetainedPushBufferBytes + 1); }
  // Had the big buffer been parked, this would get it back.
  PushBuffer small = PushBuffer::Take(10);
  CHECK(small.capacity() <= kMaxRetainedPushBufferBytes);
}
