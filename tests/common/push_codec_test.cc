#include "common/push_codec.h"

#include <doctest/doctest.h>
#include <snappy.h>

#include <limits>
#include <string>

#include "common/compression.h"
#include "push.pb.h"

using namespace skald::common;  // NOLINT: test brevity

namespace {

PushRequest SampleRequest() {
  PushRequest req;
  PushStream a;
  a.labels = R"({env="prod", job="api"})";
  a.entries.push_back(Entry{1700000000000000000, "plain line", {}});
  a.entries.push_back(Entry{1700000000000000001, "", {}});  // empty line
  a.entries.push_back(Entry{1700000000123456789,
                            "héllo wörld ✓ \"quoted\" \\ <html>&",
                            {{"trace_id", "abc123"}, {"user", "ünïcode"}}});
  req.streams.push_back(a);
  PushStream b;
  b.labels = R"({job="worker"})";
  b.entries.push_back(Entry{1, "tab\there\nnewline", {{"k", ""}}});
  req.streams.push_back(b);
  return req;
}

void CheckSame(const PushRequest& got, const PushRequest& want) {
  REQUIRE(got.streams.size() == want.streams.size());
  for (size_t i = 0; i < want.streams.size(); ++i) {
    CHECK(got.streams[i].labels == want.streams[i].labels);
    CHECK(got.streams[i].entries == want.streams[i].entries);
  }
}

std::string SnappyOf(const std::string& raw) {
  std::string out;
  snappy::Compress(raw.data(), raw.size(), &out);
  return out;
}

std::string ProtoWithTimestamp(int64_t seconds, int32_t nanos) {
  logproto::PushRequest msg;
  auto* e = msg.add_streams()->add_entries();
  e->mutable_timestamp()->set_seconds(seconds);
  e->mutable_timestamp()->set_nanos(nanos);
  e->set_line("x");
  return SnappyOf(msg.SerializeAsString());
}

// Content-Encoding name -> encoder, for every encoding Loki's push accepts.
struct Encoding {
  const char* name;
  std::string (*encode)(std::string_view);
};
const Encoding kEncodings[] = {
    {"", [](std::string_view b) { return std::string(b); }},
    {"snappy", [](std::string_view b) { return std::string(b); }},
    {"gzip", [](std::string_view b) { return GzipCompress(b); }},
    {"deflate", [](std::string_view b) { return DeflateCompress(b); }},
};

Result<PushRequest> DecodeAs(const char* content_type, std::string_view encoding,
                             std::string_view body, bool v1 = true) {
  PushBodyInfo info;
  info.content_type = content_type;
  info.content_encoding = encoding;
  info.v1_path = v1;
  return DecodePushBody(info, body);
}

}  // namespace

// ---- protobuf ----

TEST_CASE("push protobuf round-trips streams, metadata, unicode and empty lines") {
  const PushRequest req = SampleRequest();
  auto got = DecodePushProtobuf(EncodePushProtobuf(req));
  REQUIRE(got.ok());
  CheckSame(*got, req);
}

TEST_CASE("push protobuf round-trips timestamps before the epoch and at the int64 edges") {
  for (int64_t ts : {int64_t{-1}, int64_t{-1'500'000'000}, int64_t{0},
                     std::numeric_limits<int64_t>::max(), std::numeric_limits<int64_t>::min()}) {
    PushRequest req;
    req.streams.push_back(PushStream{"{a=\"1\"}", {Entry{ts, "x", {}}}});
    auto got = DecodePushProtobuf(EncodePushProtobuf(req));
    REQUIRE(got.ok());
    CHECK(got->streams[0].entries[0].timestamp_ns == ts);
  }
}

TEST_CASE("push protobuf keeps invalid UTF-8 bytes in lines and labels") {
  PushRequest req;
  req.streams.push_back(
      PushStream{"{a=\"\xff\"}", {Entry{5, "bad \xc3\x28 utf8", {{"m", "\xfe"}}}}});
  auto got = DecodePushProtobuf(EncodePushProtobuf(req));
  REQUIRE(got.ok());
  CheckSame(*got, req);
}

TEST_CASE("push protobuf decodes a huge label string") {
  PushRequest req;
  req.streams.push_back(
      PushStream{"{a=\"" + std::string(20 << 20, 'v') + "\"}", {Entry{1, "x", {}}}});
  auto got = DecodePushProtobuf(EncodePushProtobuf(req));
  REQUIRE(got.ok());
  CHECK(got->streams[0].labels.size() == req.streams[0].labels.size());
}

TEST_CASE("push protobuf decodes an empty request") {
  auto got = DecodePushProtobuf(EncodePushProtobuf(PushRequest{}));
  REQUIRE(got.ok());
  CHECK(got->streams.empty());
}

TEST_CASE("push protobuf maps an absent timestamp to Go's zero time") {
  logproto::PushRequest msg;
  msg.add_streams()->add_entries()->set_line("no ts");
  auto got = DecodePushProtobuf(SnappyOf(msg.SerializeAsString()));
  REQUIRE(got.ok());
  CHECK(got->streams[0].entries[0].timestamp_ns == std::numeric_limits<int64_t>::min());
}

TEST_CASE("push protobuf rejects bad snappy") {
  const std::string proto = EncodePushProtobuf(SampleRequest());
  std::string raw;
  REQUIRE(snappy::Uncompress(proto.data(), proto.size(), &raw));
  for (const std::string& bad :
       {std::string("not snappy at all"), std::string("\xff\xff\xff\xff\xff"),
        proto.substr(0, proto.size() / 2), raw}) {
    auto got = DecodePushProtobuf(bad);
    REQUIRE_FALSE(got.ok());
    CHECK(got.status().code() == StatusCode::kInvalidArgument);
  }
  CHECK(DecodePushProtobuf("not snappy at all").status().message() == "snappy: corrupt input");
}

TEST_CASE("push protobuf rejects a snappy header claiming an implausible size") {
  // Varint 0xFFFFFFFF (4 GiB) followed by one literal byte.
  auto got = DecodePushProtobuf(std::string("\xff\xff\xff\xff\x0f\x00x", 7));
  REQUIRE_FALSE(got.ok());
  CHECK(got.status().message() == "snappy: corrupt input");
}

TEST_CASE("push protobuf enforces the decompressed-size cap") {
  const std::string body = EncodePushProtobuf(SampleRequest());
  auto got = DecodePushProtobuf(body, 10);
  REQUIRE_FALSE(got.ok());
  CHECK(got.status().code() == StatusCode::kTooLarge);
}

TEST_CASE("push protobuf rejects malformed protobuf inside valid snappy") {
  for (const std::string& raw : {std::string("\x0a\xff\x01garbage"), std::string("\xff\xff\xff"),
                                 std::string("\x0a\x05\x12\x03\x0a")}) {
    auto got = DecodePushProtobuf(SnappyOf(raw));
    REQUIRE_FALSE(got.ok());
    CHECK(got.status().code() == StatusCode::kInvalidArgument);
    CHECK(got.status().message().find("proto") == 0);
  }
}

TEST_CASE("push protobuf rejects timestamps outside Go's time range") {
  struct Case {
    int64_t seconds;
    int32_t nanos;
    const char* what;
  };
  for (const Case& c :
       {Case{0, -1, "nanos not in range"}, Case{0, 1'000'000'000, "nanos not in range"},
        Case{kMinProtoTimestampSeconds - 1, 0, "before 0001-01-01"},
        Case{kMaxProtoTimestampSeconds, 0, "after 10000-01-01"}}) {
    auto got = DecodePushProtobuf(ProtoWithTimestamp(c.seconds, c.nanos));
    REQUIRE_FALSE(got.ok());
    CHECK(got.status().code() == StatusCode::kInvalidArgument);
    CHECK(got.status().message().find(c.what) != std::string::npos);
  }
}

TEST_CASE("push protobuf clamps in-range timestamps beyond int64 nanoseconds") {
  auto lo = DecodePushProtobuf(ProtoWithTimestamp(kMinProtoTimestampSeconds, 0));
  REQUIRE(lo.ok());
  CHECK(lo->streams[0].entries[0].timestamp_ns == std::numeric_limits<int64_t>::min());
  auto hi = DecodePushProtobuf(ProtoWithTimestamp(kMaxProtoTimestampSeconds - 1, 999'999'999));
  REQUIRE(hi.ok());
  CHECK(hi->streams[0].entries[0].timestamp_ns == std::numeric_limits<int64_t>::max());
}

// ---- HTTP body dispatch ----

TEST_CASE("push body decodes protobuf and JSON under every Content-Encoding") {
  const PushRequest req = SampleRequest();
  for (const Encoding& enc : kEncodings) {
    auto pb = DecodeAs("application/x-protobuf", enc.name, enc.encode(EncodePushProtobuf(req)));
    REQUIRE_MESSAGE(pb.ok(), enc.name << ": " << pb.status().message());
    CheckSame(*pb, req);
    auto js = DecodeAs("application/json", enc.name, enc.encode(EncodePushJson(req)));
    REQUIRE_MESSAGE(js.ok(), enc.name << ": " << js.status().message());
    CheckSame(*js, req);
  }
}

TEST_CASE("push body parses the media type: parameters and case are fine") {
  const std::string json = EncodePushJson(SampleRequest());
  for (const char* ct : {"application/json; charset=utf-8", "Application/JSON",
                         " application/json ;", "application/json;charset=\"utf-8\""}) {
    auto got = DecodeAs(ct, "", json);
    CHECK_MESSAGE(got.ok(), ct << ": " << got.status().message());
  }
}

TEST_CASE("push body treats any non-JSON media type as snappy protobuf") {
  const std::string pb = EncodePushProtobuf(SampleRequest());
  for (const char* ct :
       {"application/x-protobuf", "text/plain", "application/octet-stream", "text"}) {
    CHECK_MESSAGE(DecodeAs(ct, "", pb).ok(), ct);
  }
  auto json_as_pb = DecodeAs("application/x-protobuf", "", EncodePushJson(SampleRequest()));
  REQUIRE_FALSE(json_as_pb.ok());
  CHECK(json_as_pb.status().message() == "snappy: corrupt input");
}

TEST_CASE("push body without Content-Type fails with Go's mime error") {
  auto got = DecodeAs("", "", EncodePushProtobuf(SampleRequest()));
  REQUIRE_FALSE(got.ok());
  CHECK(got.status().code() == StatusCode::kInvalidArgument);
  CHECK(got.status().message() == "mime: no media type");
}

TEST_CASE("push body rejects malformed media types") {
  CHECK(ParseMediaType("application/").status().message() == "mime: expected token after slash");
  CHECK(ParseMediaType("application json").status().message() ==
        "mime: expected slash after first token");
  CHECK(ParseMediaType("a/b c").status().message() ==
        "mime: unexpected content after media subtype");
  CHECK(ParseMediaType("a/b; x").status().message() == "mime: invalid media parameter");
  CHECK(ParseMediaType("a/b; x=1; X=2").status().message() == "mime: duplicate parameter name");
  CHECK(ParseMediaType("a/b; x=\"unterminated").status().message() ==
        "mime: invalid media parameter");
  CHECK(*ParseMediaType("Text/Plain; q=\"a\\\"b\"") == "text/plain");
}

TEST_CASE("push body rejects encodings Loki's push does not accept") {
  for (const char* enc : {"zstd", "br", "GZIP", "x-gzip"}) {
    auto got = DecodeAs("application/json", enc, "{}");
    REQUIRE_FALSE(got.ok());
    CHECK(got.status().message() == std::string("Content-Encoding \"") + enc + "\" not supported");
  }
}

TEST_CASE("push body reports a truncated gzip body") {
  std::string gz = GzipCompress(EncodePushProtobuf(SampleRequest()));
  auto got = DecodeAs("application/x-protobuf", "gzip", gz.substr(0, gz.size() - 4));
  REQUIRE_FALSE(got.ok());
  CHECK(got.status().code() == StatusCode::kInvalidArgument);
  CHECK(got.status().message().find("gzip") == 0);
}

TEST_CASE("push body stops a gzip zip bomb at the cap") {
  PushBodyInfo info;
  info.content_type = "application/json";
  info.content_encoding = "gzip";
  info.max_decompressed_bytes = 1 << 20;
  auto got = DecodePushBody(info, GzipCompress(std::string(16 << 20, ' ')));
  REQUIRE_FALSE(got.ok());
  CHECK(got.status().code() == StatusCode::kTooLarge);
}

TEST_CASE("push body picks the legacy JSON decoder off the v1 path") {
  const char* legacy =
      R"({"streams":[{"labels":"{foo=\"bar\"}","entries":[{"ts":"2018-12-18T08:28:06Z","line":"x"}]}]})";
  auto got = DecodeAs("application/json", "", legacy, /*v1=*/false);
  REQUIRE(got.ok());
  CHECK(got->streams[0].labels == R"({foo="bar"})");
  // The v1 decoder ignores the legacy keys: a stream without labels or values.
  auto v1 = DecodeAs("application/json", "", legacy, /*v1=*/true);
  REQUIRE(v1.ok());
  CHECK(v1->streams[0].entries.empty());
}
