// CRC-32C (Castagnoli), as used by leveldb, ext4 and iSCSI.
//
// Uses the SSE4.2 crc32 instruction when the CPU has it (checked once) and a
// slicing-by-8 table otherwise; both give identical results. Stateless; safe
// from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace skald::common::crc32c {

// Returns the crc32c of concat(A, data[0, n)) where init_crc is crc32c(A).
uint32_t Extend(uint32_t init_crc, const char* data, size_t n);

// Returns the crc32c of data[0, n).
inline uint32_t Value(const char* data, size_t n) { return Extend(0, data, n); }
inline uint32_t Value(std::string_view s) { return Extend(0, s.data(), s.size()); }

// The table-driven path only, so tests can check it against the hardware one.
uint32_t ExtendPortableForTest(uint32_t init_crc, const char* data, size_t n);

// A stored CRC is masked so that computing the CRC of a string that contains
// embedded CRCs does not degenerate (leveldb's rationale).
constexpr uint32_t kMaskDelta = 0xa282ead8u;
inline uint32_t Mask(uint32_t crc) { return ((crc >> 15) | (crc << 17)) + kMaskDelta; }
inline uint32_t Unmask(uint32_t masked) {
  uint32_t rot = masked - kMaskDelta;
  return (rot >> 17) | (rot << 15);
}

}  // namespace skald::common::crc32c
