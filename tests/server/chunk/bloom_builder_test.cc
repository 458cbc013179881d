// BloomBuilder::Finish must produce exactly the bytes of the documented
// layout (FORMAT.md "Bloom": bit_i = (h1 + i*h2) mod nbits), whatever the
// arithmetic it uses internally; readers compute bits with a plain modulo.
#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "common/coding.h"
#include "common/crc32c.h"
#include "server/chunk/bloom.h"
#include "server/chunk/format.h"

namespace skald::server::chunk {
namespace {

// The layout as FORMAT.md spells it, with a division per probe.
std::string ReferenceBloom(const std::vector<uint64_t>& distinct_hashes, uint8_t flags) {
  size_t nbits = std::max(kMinBloomBits, distinct_hashes.size() * kBloomBitsPerKey);
  size_t nbytes = (nbits + 7) / 8;
  nbits = nbytes * 8;
  std::string out(1 + nbytes, '\0');
  out[0] = static_cast<char>(kBloomProbes | flags);
  for (uint64_t h : distinct_hashes) {
    if (h == 0) h = 1;
    uint32_t h1 = static_cast<uint32_t>(h), h2 = static_cast<uint32_t>(h >> 32);
    for (uint32_t i = 0; i < kBloomProbes; ++i) {
      size_t bit = (h1 + i * h2) % nbits;
      out[1 + bit / 8] = static_cast<char>(static_cast<unsigned char>(out[1 + bit / 8]) | (1u << (bit % 8)));
    }
  }
  common::PutFixed32(&out, common::crc32c::Mask(common::crc32c::Value(out.data(), out.size())));
  return out;
}

std::vector<uint64_t> Hashes(size_t n, uint64_t seed) {
  std::vector<uint64_t> out;
  uint64_t x = seed;
  for (size_t i = 0; i < n; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    out.push_back(x | 1);
  }
  return out;
}

TEST_CASE("bloom builder output equals the modulo layout for every size") {
  for (size_t n : {size_t{0}, size_t{1}, size_t{5}, size_t{7}, size_t{100}, size_t{999}, size_t{4096},
                   size_t{33333}}) {
    CAPTURE(n);
    const std::vector<uint64_t> hashes = Hashes(n, 0x9e3779b97f4a7c15ull + n);
    BloomBuilder b;
    for (uint64_t h : hashes) b.AddHash(h);
    std::string got;
    b.Finish(&got, kBloomHasGrams);
    CHECK(got == ReferenceBloom(hashes, kBloomHasGrams));
  }
}

TEST_CASE("bloom builder counts a repeated hash once") {
  const std::vector<uint64_t> hashes = Hashes(50, 42);
  BloomBuilder b;
  for (int round = 0; round < 3; ++round) {
    for (uint64_t h : hashes) b.AddHash(h);
  }
  std::string got;
  b.Finish(&got);
  CHECK(got == ReferenceBloom(hashes, 0));
}

TEST_CASE("bloom builder is empty again after Finish") {
  BloomBuilder b;
  for (uint64_t h : Hashes(500, 7)) b.AddHash(h);
  std::string first;
  b.Finish(&first);
  const std::vector<uint64_t> second_keys = Hashes(3, 99);
  for (uint64_t h : second_keys) b.AddHash(h);
  std::string second;
  b.Finish(&second);
  CHECK(second == ReferenceBloom(second_keys, 0));
}

}  // namespace
TEST_CASE("bloom builder counts repeated hashes once, in any order") {
  for (size_t n : {size_t{3}, size_t{1500}, size_t{20000}}) {
    CAPTURE(n);
    const std::vector<uint64_t> distinct = Hashes(n, 0x1234567 + n);
    // Each hash three times, interleaved, as a block's repeated tokens come.
    BloomBuilder b;
    for (int round = 0; round < 3; ++round) {
      for (size_t i = 0; i < n; ++i) b.AddHash(distinct[(i * 7 + static_cast<size_t>(round)) % n]);
    }
    std::string got;
    b.Finish(&got, 0);
    CHECK(got == ReferenceBloom(distinct, 0));
  }
}

TEST_CASE("bloom builder treats hash 0 as hash 1 and starts empty after Finish") {
  BloomBuilder b;
  b.AddHash(0);
  b.AddHash(1);
  std::string got;
  b.Finish(&got, 0);
  CHECK(got == ReferenceBloom({1}, 0));  // one distinct key, not two
  b.AddHash(42);
  std::string second;
  b.Finish(&second, 0);
  CHECK(second == ReferenceBloom({42}, 0));  // nothing left over from the first filter
}

}  // namespace skald::server::chunk
