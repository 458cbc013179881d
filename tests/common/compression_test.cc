#include "common/compression.h"

#include <doctest/doctest.h>

#include <string>

using skald::common::DecodeContentEncoding;
using skald::common::DeflateCompress;
using skald::common::GzipCompress;
using skald::common::StatusCode;
using skald::common::ZstdCompress;

namespace {

constexpr size_t kCap = 1 << 20;

std::string SampleText() {
  std::string s;
  for (int i = 0; i < 2000; ++i) s += "line " + std::to_string(i) + " héllo wörld\n";
  return s;
}

// Every compressing encoding with its encoder.
struct Codec {
  const char* name;
  std::string (*compress)(std::string_view);
};
const Codec kCodecs[] = {
    {"gzip", [](std::string_view d) { return GzipCompress(d); }},
    {"deflate", [](std::string_view d) { return DeflateCompress(d); }},
    {"zstd", [](std::string_view d) { return ZstdCompress(d); }},
};

}  // namespace

TEST_CASE("compression round-trips every encoding, including empty input") {
  for (const Codec& c : kCodecs) {
    for (const std::string& data : {SampleText(), std::string(), std::string("x")}) {
      auto r = DecodeContentEncoding(c.name, c.compress(data), kCap);
      REQUIRE_MESSAGE(r.ok(), c.name << ": " << r.status().message());
      CHECK_MESSAGE(*r == data, c.name);
    }
  }
}

TEST_CASE("compression treats none and snappy as identity") {
  for (const char* enc : {"", "snappy"}) {
    auto r = DecodeContentEncoding(enc, "raw \x00 bytes", kCap);
    REQUIRE(r.ok());
    CHECK(*r == "raw \x00 bytes");
  }
}

TEST_CASE("compression accepts zlib-wrapped deflate by sniffing the header") {
  const std::string data = SampleText();
  auto r = DecodeContentEncoding("deflate", DeflateCompress(data, /*zlib_wrapped=*/true), kCap);
  REQUIRE(r.ok());
  CHECK(*r == data);
}

TEST_CASE("compression reads concatenated gzip members like Go") {
  auto r = DecodeContentEncoding("gzip", GzipCompress("first ") + GzipCompress("second"), kCap);
  REQUIRE(r.ok());
  CHECK(*r == "first second");
}

TEST_CASE("compression rejects an unknown encoding with Loki's message") {
  for (const char* enc : {"br", "GZIP", "lz4", "identity"}) {
    auto r = DecodeContentEncoding(enc, "x", kCap);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == StatusCode::kInvalidArgument);
    CHECK(r.status().message() == std::string("Content-Encoding \"") + enc + "\" not supported");
  }
}

TEST_CASE("compression reports a truncated body for every encoding") {
  const std::string data = SampleText();
  for (const Codec& c : kCodecs) {
    std::string z = c.compress(data);
    for (size_t keep : {size_t{0}, size_t{1}, z.size() / 2, z.size() - 1}) {
      auto r = DecodeContentEncoding(c.name, std::string_view(z).substr(0, keep), kCap);
      REQUIRE_FALSE_MESSAGE(r.ok(), c.name << " keep=" << keep);
      CHECK(r.status().code() == StatusCode::kInvalidArgument);
      CHECK(r.status().message().find(c.name) == 0);
    }
  }
}

TEST_CASE("compression reports a corrupt body for every encoding") {
  const std::string data = SampleText();
  for (const Codec& c : kCodecs) {
    std::string z = c.compress(data);
    for (size_t i = 0; i < z.size(); i += 7) z[i] = static_cast<char>(z[i] ^ 0x5a);
    auto r = DecodeContentEncoding(c.name, z, kCap);
    REQUIRE_FALSE_MESSAGE(r.ok(), c.name);
    CHECK(r.status().code() == StatusCode::kInvalidArgument);
  }
  auto garbage = DecodeContentEncoding("gzip", "this is not gzip at all", kCap);
  REQUIRE_FALSE(garbage.ok());
  CHECK(garbage.status().message().find("gzip: body is corrupt") == 0);
}

TEST_CASE("compression rejects trailing garbage after a gzip member") {
  auto r = DecodeContentEncoding("gzip", GzipCompress("ok") + "junk", kCap);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == StatusCode::kInvalidArgument);
}

TEST_CASE("compression stops a zip bomb at the decompressed-size cap") {
  const std::string zeros(8 << 20, '\0');  // 8 MiB compresses to a few KiB
  for (const Codec& c : kCodecs) {
    std::string bomb = c.compress(zeros);
    CHECK(bomb.size() < 64 << 10);
    auto r = DecodeContentEncoding(c.name, bomb, kCap);
    REQUIRE_FALSE_MESSAGE(r.ok(), c.name);
    CHECK(r.status().code() == StatusCode::kTooLarge);
    CHECK(r.status().message().find("request body too large") == 0);
  }
}

TEST_CASE("compression allows output of exactly the cap") {
  const std::string data(4096, 'a');
  for (const Codec& c : kCodecs) {
    auto exact = DecodeContentEncoding(c.name, c.compress(data), data.size());
    REQUIRE_MESSAGE(exact.ok(), c.name);
    CHECK(*exact == data);
    auto over = DecodeContentEncoding(c.name, c.compress(data), data.size() - 1);
    REQUIRE_FALSE(over.ok());
    CHECK(over.status().code() == StatusCode::kTooLarge);
  }
}
