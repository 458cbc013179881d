// libFuzzer target: every push/OTLP decoder must turn arbitrary bytes into a
// value or an error Status, never a crash, hang or unbounded allocation.
// Built only with -DSKALD_FUZZ=ON and clang (see tests/fuzz/CMakeLists.txt).
#include <google/protobuf/stubs/logging.h>

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/clock.h"
#include "common/compression.h"
#include "common/otlp_codec.h"
#include "common/push_codec.h"

namespace {

// Small cap so a fuzzed zip bomb or snappy header cannot exhaust the
// fuzzer's memory limit.
constexpr size_t kFuzzMaxDecompressedBytes = 4 << 20;

void DiscardProtobufLog(google::protobuf::LogLevel, const char*, int, const std::string&) {}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // Invalid UTF-8 in OTLP string fields is logged by protobuf on every parse.
  google::protobuf::SetLogHandler(&DiscardProtobufLog);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace skald::common;  // NOLINT: one-function file
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  static FakeClock clock(1'700'000'000'000'000'000);
  OtlpOptions otlp;
  otlp.clock = &clock;
  otlp.max_decompressed_bytes = kFuzzMaxDecompressedBytes;

  (void)DecodePushProtobuf(body, kFuzzMaxDecompressedBytes);
  (void)DecodePushJson(body);
  (void)DecodeLegacyPushJson(body);
  (void)DecodeOtlpLogs("application/x-protobuf", "", body, otlp);
  (void)DecodeOtlpLogs("application/json", "", body, otlp);
  for (const char* enc : {"gzip", "deflate", "zstd"}) {
    (void)DecodeContentEncoding(enc, body, kFuzzMaxDecompressedBytes);
  }
  // A successful decode must survive re-encoding and decoding again.
  auto req = DecodePushJson(body);
  if (req.ok()) {
    (void)DecodePushProtobuf(EncodePushProtobuf(*req), kFuzzMaxDecompressedBytes);
    (void)DecodePushJson(EncodePushJson(*req));
  }
  return 0;
}
