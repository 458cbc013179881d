// Helpers shared by the block tests: distinct 32-hex ids and re-sealing a
// block's checksum after a deliberate change.
#pragma once

#include <cstdint>
#include <string>

#include "common/coding.h"
#include "common/crc32c.h"
#include "server/chunk/format.h"

namespace skald::server::chunk::testing {

// A 32-hex-digit id, distinct for each i (like a trace id).
inline std::string Hex32(int i) {
  static const char* kHex = "0123456789abcdef";
  std::string s;
  uint64_t x = 0x9e3779b97f4a7c15ull * static_cast<uint64_t>(i + 1);
  for (int k = 0; k < 32; ++k) {
    s.push_back(kHex[x & 15]);
    x = x * 6364136223846793005ull + 1442695040888963407ull;
  }
  return s;
}

// Recomputes the block's masked crc32c (and its entries crc, when it has
// one) after its bytes were changed.
inline void Recrc(std::string* block) {
  uint32_t crc = common::crc32c::Value(block->data(), kBlockCrcOffset);
  if ((static_cast<uint8_t>((*block)[21]) & kBlockFlagEntriesCrc) != 0) {
    const uint32_t stored_entries = common::DecodeFixed32(block->data() + 36);
    common::EncodeFixed32(block->data() + kBlockHeaderBytes + stored_entries,
                          common::crc32c::Mask(common::crc32c::Extend(
                              crc, block->data() + kBlockHeaderBytes, stored_entries)));
  }
  crc = common::crc32c::Extend(crc, block->data() + kBlockHeaderBytes, block->size() - kBlockHeaderBytes);
  common::EncodeFixed32(block->data() + kBlockCrcOffset, common::crc32c::Mask(crc));
}

}  // namespace skald::server::chunk::testing
