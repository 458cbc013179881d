// Byte-level encoding helpers: little-endian fixed-width integers, varints
// (LEB128, as leveldb and protobuf) and length-prefixed strings.
//
// Put* functions append to a std::string; Get* functions consume from the
// front of a std::string_view and return false (leaving the input in an
// unspecified position) when it is too short or malformed. Stateless free
// functions; safe from any thread.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace skald::common {

// The longest encoding of a 64-bit varint.
constexpr size_t kMaxVarint64Bytes = 10;
constexpr size_t kMaxVarint32Bytes = 5;

inline void EncodeFixed32(char* dst, uint32_t v) {
  for (int i = 0; i < 4; ++i) dst[i] = static_cast<char>(v >> (8 * i));
}
inline void EncodeFixed64(char* dst, uint64_t v) {
  for (int i = 0; i < 8; ++i) dst[i] = static_cast<char>(v >> (8 * i));
}
inline uint32_t DecodeFixed32(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return uint32_t{u[0]} | (uint32_t{u[1]} << 8) | (uint32_t{u[2]} << 16) | (uint32_t{u[3]} << 24);
}
inline uint64_t DecodeFixed64(const char* p) {
  return uint64_t{DecodeFixed32(p)} | (uint64_t{DecodeFixed32(p + 4)} << 32);
}

void PutFixed32(std::string* dst, uint32_t v);
void PutFixed64(std::string* dst, uint64_t v);
void PutVarint32(std::string* dst, uint32_t v);
void PutVarint64(std::string* dst, uint64_t v);
// Zig-zag encoded signed varint (small magnitudes, either sign, stay short).
void PutVarsint64(std::string* dst, int64_t v);
// Varint length followed by the bytes.
void PutLengthPrefixed(std::string* dst, std::string_view s);

// Writes the varint of `v` at `dst` (room for kMaxVarint64Bytes) and returns
// the byte past its end.
char* EncodeVarint64(char* dst, uint64_t v);
// Number of bytes PutVarint64(v) appends.
int VarintLength(uint64_t v);

bool GetFixed32(std::string_view* in, uint32_t* v);
bool GetFixed64(std::string_view* in, uint64_t* v);
bool GetVarint32(std::string_view* in, uint32_t* v);
inline bool GetVarint64(std::string_view* in, uint64_t* v);
inline bool GetVarsint64(std::string_view* in, int64_t* v);
// On success `out` views bytes inside the original input.
bool GetLengthPrefixed(std::string_view* in, std::string_view* out);
// Consumes `n` varints without decoding them (8 bytes at a time: it counts
// the bytes whose high bit is clear, which end a varint). False when fewer
// than `n` complete varints are left. Lengths are not checked against
// kMaxVarint64Bytes: for skipping over a run, not for validating it.
bool SkipVarints(std::string_view* in, uint64_t n);

// Decodes a varint from [p, limit); returns the byte past it or nullptr when
// truncated or longer than kMaxVarint64Bytes.
// Inline: block decoding reads millions of them per query (three per stored
// entry). With 8 readable bytes on a little-endian machine it finds the
// length from the stop bits and gathers the 7-bit groups in three steps,
// without a branch per byte; otherwise (and for 9-10 byte varints) byte by
// byte.
inline const char* DecodeVarint64(const char* p, const char* limit, uint64_t* v) {
  if constexpr (std::endian::native == std::endian::little) {
    if (limit - p >= 8) {
      uint64_t x;
      std::memcpy(&x, p, 8);
      const uint64_t stops = ~x & 0x8080808080808080ULL;
      if (stops != 0) {
        // Bytes up to the first stop byte, without their high bits.
        x &= (stops ^ (stops - 1)) & 0x7f7f7f7f7f7f7f7fULL;
        x = (x & 0x007f007f007f007fULL) | ((x & 0x7f007f007f007f00ULL) >> 1);
        x = (x & 0x00003fff00003fffULL) | ((x & 0x3fff00003fff0000ULL) >> 2);
        x = (x & 0x000000000fffffffULL) | ((x & 0x0fffffff00000000ULL) >> 4);
        *v = x;
        return p + (std::countr_zero(stops) >> 3) + 1;
      }
    }
  }
  uint64_t result = 0;
  for (unsigned shift = 0; shift < 64 && p < limit; shift += 7) {
    uint64_t byte = static_cast<unsigned char>(*p++);
    result |= (byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) {
      *v = result;
      return p;
    }
  }
  return nullptr;
}

inline uint64_t ZigZagEncode(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
inline int64_t ZigZagDecode(uint64_t v) {
  return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1);
}

inline bool GetVarint64(std::string_view* in, uint64_t* v) {
  const char* p = DecodeVarint64(in->data(), in->data() + in->size(), v);
  if (p == nullptr) return false;
  in->remove_prefix(static_cast<size_t>(p - in->data()));
  return true;
}

inline bool GetVarsint64(std::string_view* in, int64_t* v) {
  uint64_t u = 0;
  if (!GetVarint64(in, &u)) return false;
  *v = ZigZagDecode(u);
  return true;
}

}  // namespace skald::common
