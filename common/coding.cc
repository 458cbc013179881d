#include "common/coding.h"

#include <bit>

namespace skald::common {

void PutFixed32(std::string* dst, uint32_t v) {
  char buf[4];
  EncodeFixed32(buf, v);
  dst->append(buf, 4);
}

void PutFixed64(std::string* dst, uint64_t v) {
  char buf[8];
  EncodeFixed64(buf, v);
  dst->append(buf, 8);
}

char* EncodeVarint64(char* dst, uint64_t v) {
  auto* p = reinterpret_cast<unsigned char*>(dst);
  while (v >= 0x80) {
    *p++ = static_cast<unsigned char>(v | 0x80);
    v >>= 7;
  }
  *p++ = static_cast<unsigned char>(v);
  return reinterpret_cast<char*>(p);
}

void PutVarint32(std::string* dst, uint32_t v) { PutVarint64(dst, v); }

void PutVarint64(std::string* dst, uint64_t v) {
  char buf[kMaxVarint64Bytes];
  char* end = EncodeVarint64(buf, v);
  dst->append(buf, static_cast<size_t>(end - buf));
}

void PutVarsint64(std::string* dst, int64_t v) { PutVarint64(dst, ZigZagEncode(v)); }

void PutLengthPrefixed(std::string* dst, std::string_view s) {
  PutVarint64(dst, s.size());
  dst->append(s.data(), s.size());
}

int VarintLength(uint64_t v) {
  int len = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++len;
  }
  return len;
}

bool GetFixed32(std::string_view* in, uint32_t* v) {
  if (in->size() < 4) return false;
  *v = DecodeFixed32(in->data());
  in->remove_prefix(4);
  return true;
}

bool GetFixed64(std::string_view* in, uint64_t* v) {
  if (in->size() < 8) return false;
  *v = DecodeFixed64(in->data());
  in->remove_prefix(8);
  return true;
}


bool GetVarint32(std::string_view* in, uint32_t* v) {
  uint64_t v64 = 0;
  std::string_view save = *in;
  if (!GetVarint64(in, &v64) || v64 > UINT32_MAX) {
    *in = save;
    return false;
  }
  *v = static_cast<uint32_t>(v64);
  return true;
}


bool GetLengthPrefixed(std::string_view* in, std::string_view* out) {
  uint64_t len = 0;
  if (!GetVarint64(in, &len) || len > in->size()) return false;
  *out = in->substr(0, static_cast<size_t>(len));
  in->remove_prefix(static_cast<size_t>(len));
  return true;
}

bool SkipVarints(std::string_view* in, uint64_t n) {
  const char* p = in->data();
  const char* const end = p + in->size();
  if constexpr (std::endian::native == std::endian::little) {
    while (n > 0 && end - p >= 8) {
      uint64_t x;
      std::memcpy(&x, p, 8);
      uint64_t stops = ~x & 0x8080808080808080ULL;
      // Stop bits counted with one multiply (std::popcount is a libgcc call
      // on baseline x86-64).
      const uint64_t ends = ((stops >> 7) * 0x0101010101010101ULL) >> 56;
      if (ends < n) {  // every varint ending here is skipped, and more follow
        n -= ends;
        p += 8;
        continue;
      }
      // The n-th stop bit of this word ends the last varint to skip.
      for (uint64_t i = 1; i < n; ++i) stops &= stops - 1;
      p += (std::countr_zero(stops) >> 3) + 1;
      n = 0;
    }
  }
  for (; n > 0 && p < end; ++p) {
    if ((static_cast<unsigned char>(*p) & 0x80) == 0) --n;
  }
  in->remove_prefix(static_cast<size_t>(p - in->data()));
  return n == 0;
}

}  // namespace skald::common
