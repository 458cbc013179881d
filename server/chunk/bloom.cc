#include "server/chunk/bloom.h"

#include <algorithm>
#include <limits>
// Header-only xxh3: inlined into BloomHash and AddKey (short keys).
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "common/coding.h"
#include "common/crc32c.h"
#include "server/chunk/format.h"

namespace skald::server::chunk {

namespace {
__extension__ using Uint128 = unsigned __int128;
}  // namespace

uint64_t BloomHash(std::string_view key) { return XXH3_64bits(key.data(), key.size()); }

namespace {
inline size_t SlotOf(uint64_t h, size_t mask) { return static_cast<size_t>(h ^ (h >> 29)) & mask; }
}  // namespace

void BloomBuilder::AddKey(std::string_view key) { AddHash(XXH3_64bits(key.data(), key.size())); }

void BloomBuilder::AddHash(uint64_t h) {
  if (h == 0) h = 1;  // 0 marks an empty slot
  if (!table_.empty()) __builtin_prefetch(&table_[SlotOf(h, table_.size() - 1)]);
  pending_[pending_count_++] = h;
  if (pending_count_ == kPendingHashes) Drain();
}

void BloomBuilder::Drain() {
  for (size_t i = 0; i < pending_count_; ++i) Insert(pending_[i]);
  pending_count_ = 0;
}

void BloomBuilder::Insert(uint64_t h) {
  if ((count_ + 1) * 2 > table_.size()) Grow();
  size_t mask = table_.size() - 1;
  for (size_t i = SlotOf(h, mask);; i = (i + 1) & mask) {
    if (table_[i] == h) return;
    if (table_[i] == 0) {
      table_[i] = h;
      ++count_;
      return;
    }
  }
}

void BloomBuilder::Grow() {
  std::vector<uint64_t> old = std::move(table_);
  table_.assign(std::max<size_t>(1024, old.size() * 2), 0);
  count_ = 0;
  for (uint64_t h : old) {
    if (h != 0) Insert(h);
  }
}

void BloomBuilder::Finish(std::string* out, uint8_t flags) {
  Drain();
  size_t nbits = std::max(kMinBloomBits, count_ * kBloomBitsPerKey);
  size_t nbytes = (nbits + 7) / 8;
  nbits = nbytes * 8;
  size_t start = out->size();
  out->push_back(static_cast<char>(kBloomProbes | (flags & kBloomFlagMask)));
  out->resize(start + 1 + nbytes, '\0');
  auto* bits = reinterpret_cast<unsigned char*>(out->data() + start + 1);
  if (nbits <= std::numeric_limits<uint32_t>::max()) {
    // (h1 + i*h2) is a 32-bit value and nbits < 2^32: Lemire's exact
    // "fastmod" (two multiplications) gives the same bit as `% nbits`
    // without a division per probe.
    const uint32_t d = static_cast<uint32_t>(nbits);
    const uint64_t m = std::numeric_limits<uint64_t>::max() / d + 1;
    for (uint64_t h : table_) {
      if (h == 0) continue;
      uint32_t h1 = static_cast<uint32_t>(h), h2 = static_cast<uint32_t>(h >> 32);
      for (uint32_t i = 0; i < kBloomProbes; ++i) {
        const uint32_t a = h1 + i * h2;
        const auto bit = static_cast<size_t>((static_cast<Uint128>(m * a) * d) >> 64);
        bits[bit / 8] |= static_cast<unsigned char>(1u << (bit % 8));
      }
    }
  } else {
    for (uint64_t h : table_) {
      if (h == 0) continue;
      uint32_t h1 = static_cast<uint32_t>(h), h2 = static_cast<uint32_t>(h >> 32);
      for (uint32_t i = 0; i < kBloomProbes; ++i) {
        size_t bit = (h1 + i * h2) % nbits;
        bits[bit / 8] |= static_cast<unsigned char>(1u << (bit % 8));
      }
    }
  }
  uint32_t crc = common::crc32c::Value(out->data() + start, 1 + nbytes);
  common::PutFixed32(out, common::crc32c::Mask(crc));
  std::fill(table_.begin(), table_.end(), 0);
  count_ = 0;
}

common::Result<Bloom> Bloom::Parse(std::string_view bytes, std::string_view where) {
  if (bytes.size() < 1 + 8 + 4) return common::Status::Corruption("bloom too short", where);
  size_t body = bytes.size() - 4;
  uint32_t stored = common::crc32c::Unmask(common::DecodeFixed32(bytes.data() + body));
  if (stored != common::crc32c::Value(bytes.data(), body)) {
    return common::Status::Corruption("bloom checksum mismatch", where);
  }
  Bloom b;
  const auto head = static_cast<uint8_t>(bytes[0]);
  b.flags_ = head & kBloomFlagMask;
  b.probes_ = head & static_cast<uint8_t>(~kBloomFlagMask);
  if (b.probes_ == 0 || b.probes_ > 30 || (head & 0x20) != 0) return common::Status::Corruption("bloom probe count", where);
  b.bits_ = bytes.substr(1, body - 1);
  return b;
}

bool Bloom::MayContainHash(uint64_t h) const {
  if (bits_.empty()) return true;
  if (h == 0) h = 1;  // as BloomBuilder::AddHash
  size_t nbits = bits_.size() * 8;
  uint32_t h1 = static_cast<uint32_t>(h), h2 = static_cast<uint32_t>(h >> 32);
  const auto* bits = reinterpret_cast<const unsigned char*>(bits_.data());
  for (uint32_t i = 0; i < probes_; ++i) {
    size_t bit = (h1 + i * h2) % nbits;
    if ((bits[bit / 8] & (1u << (bit % 8))) == 0) return false;
  }
  return true;
}

}  // namespace skald::server::chunk
