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

// Distinct(): groups hold about this many hashes on average, so a group's
// dedupe table (2x, 8 bytes a slot) stays within 32 KiB.
constexpr size_t kTargetGroupHashes = 1024;
// At most 2^kMaxGroupBits groups.
constexpr int kMaxGroupBits = 12;

inline size_t SlotOf(uint64_t h, size_t mask) { return static_cast<size_t>(h ^ (h >> 29)) & mask; }

}  // namespace

void BloomBuilder::AddKey(std::string_view key) { AddHash(XXH3_64bits(key.data(), key.size())); }

size_t BloomBuilder::Distinct() {
  const size_t n = hashes_.size();
  if (n == 0) return 0;
  int bits = 0;
  while (bits < kMaxGroupBits && (n >> bits) > kTargetGroupHashes) ++bits;
  const size_t groups = size_t{1} << bits;
  const int shift = 64 - bits;
  auto group_of = [bits, shift](uint64_t h) { return bits == 0 ? size_t{0} : static_cast<size_t>(h >> shift); };
  // Counting sort by the top bits: one sequential pass to count, one to scatter.
  group_end_.assign(groups, 0);
  for (uint64_t h : hashes_) ++group_end_[group_of(h)];
  uint32_t sum = 0;
  for (uint32_t& c : group_end_) {
    sum += c;
    c = sum;  // end of the group; the scatter below moves it back to its start
  }
  scratch_.resize(n);
  for (size_t i = n; i-- > 0;) scratch_[--group_end_[group_of(hashes_[i])]] = hashes_[i];
  // group_end_[g] is now group g's start; dedupe each group into hashes_.
  size_t out = 0;
  for (size_t g = 0; g < groups; ++g) {
    const size_t begin = group_end_[g];
    const size_t end = g + 1 < groups ? group_end_[g + 1] : n;
    if (begin == end) continue;
    size_t slots = 16;
    while (slots < 2 * (end - begin)) slots *= 2;
    table_.assign(slots, 0);
    const size_t mask = slots - 1;
    for (size_t k = begin; k < end; ++k) {
      const uint64_t h = scratch_[k];
      for (size_t i = SlotOf(h, mask);; i = (i + 1) & mask) {
        if (table_[i] == h) break;
        if (table_[i] == 0) {
          table_[i] = h;
          hashes_[out++] = h;
          break;
        }
      }
    }
  }
  hashes_.resize(out);
  return out;
}

void BloomBuilder::Finish(std::string* out, uint8_t flags) {
  const size_t count = Distinct();
  size_t nbits = std::max(kMinBloomBits, count * kBloomBitsPerKey);
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
    for (uint64_t h : hashes_) {
      uint32_t h1 = static_cast<uint32_t>(h), h2 = static_cast<uint32_t>(h >> 32);
      for (uint32_t i = 0; i < kBloomProbes; ++i) {
        const uint32_t a = h1 + i * h2;
        const auto bit = static_cast<size_t>((static_cast<Uint128>(m * a) * d) >> 64);
        bits[bit / 8] |= static_cast<unsigned char>(1u << (bit % 8));
      }
    }
  } else {
    for (uint64_t h : hashes_) {
      uint32_t h1 = static_cast<uint32_t>(h), h2 = static_cast<uint32_t>(h >> 32);
      for (uint32_t i = 0; i < kBloomProbes; ++i) {
        size_t bit = (h1 + i * h2) % nbits;
        bits[bit / 8] |= static_cast<unsigned char>(1u << (bit % 8));
      }
    }
  }
  uint32_t crc = common::crc32c::Value(out->data() + start, 1 + nbytes);
  common::PutFixed32(out, common::crc32c::Mask(crc));
  hashes_.clear();
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
