// Bloom filters over a block's line tokens and metadata keys (tokenizer.h).
//
// BloomBuilder collects 64-bit xxh3 key hashes and encodes a filter sized
// for kBloomBitsPerKey bits per distinct key (~1% false positives). Bloom
// reads an encoded filter in place. Layout (FORMAT.md "Bloom"):
//   probes u8 | bit array (little-endian bytes) | masked crc32c u32
// Probes use double hashing: bit_i = (h1 + i*h2) mod nbits, h1/h2 the low
// and high halves of the key's xxh3.
//
// Builder: single-threaded. Bloom: immutable view, safe to share.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace skald::server::chunk {

uint64_t BloomHash(std::string_view key);

// Flags in the high bits of a bloom's first byte (the low 5 bits are the
// probe count; bit 5 is zero). kBloomHasGrams: the writer indexed token grams (tokenizer.h),
// so a reader may prune by them; blooms without it never hold grams.
inline constexpr uint8_t kBloomHasGrams = 0x80;
// kBloomHasMetadataCheckKeys: every metadata pair is also keyed as
// MetadataCheckKey, so a reader probing both keys of a pair sees false
// positives at ~the square of the filter's rate (a trace_id lookup over
// thousands of blocks then decodes none by mistake).
inline constexpr uint8_t kBloomHasMetadataCheckKeys = 0x40;
inline constexpr uint8_t kBloomFlagMask = 0xC0;

class BloomBuilder {
 public:
  BloomBuilder() = default;
  BloomBuilder(const BloomBuilder&) = delete;
  BloomBuilder& operator=(const BloomBuilder&) = delete;

  // AddHash(BloomHash(key)), with the hash inlined (tokens are short: the
  // call into the shared xxhash library cost more than the hashing).
  void AddKey(std::string_view key);
  // Remembers a key hash once (an open-addressing set: repeated tokens, the
  // common case in logs, cost one probe and no memory). Hashes are queued
  // kPendingHashes at a time with their slots prefetched, so the random
  // probes into a table larger than the cache overlap instead of stalling
  // one after another.
  void AddHash(uint64_t h);
  // Appends the encoded filter with `flags` (kBloom* below) to `*out` and
  // clears the builder.
  void Finish(std::string* out, uint8_t flags = 0);

 private:
  static constexpr size_t kPendingHashes = 16;

  void Insert(uint64_t h);
  void Drain();
  void Grow();

  std::vector<uint64_t> table_;  // 0 = empty slot; size is a power of two
  size_t count_ = 0;             // distinct hashes in table_
  uint64_t pending_[kPendingHashes] = {};  // queued for Insert (never 0)
  size_t pending_count_ = 0;
};

class Bloom {
 public:
  Bloom() = default;  // an empty filter that may contain anything
  // Checks the crc and shape of `bytes`; Corruption (naming `where`) if bad.
  // The returned Bloom views `bytes`, which must outlive it.
  static common::Result<Bloom> Parse(std::string_view bytes, std::string_view where);

  // False only if `key` was certainly never added.
  bool MayContain(std::string_view key) const { return MayContainHash(BloomHash(key)); }
  bool MayContainHash(uint64_t h) const;
  size_t BitCount() const { return bits_.size() * 8; }
  bool HasGrams() const { return (flags_ & kBloomHasGrams) != 0; }
  bool HasMetadataCheckKeys() const { return (flags_ & kBloomHasMetadataCheckKeys) != 0; }
  // False only if the metadata pair `name=value` was certainly never added:
  // MetadataKey, and MetadataCheckKey too when the writer added those.
  bool MayContainMetadata(std::string_view metadata_key, std::string_view check_key) const {
    return MayContain(metadata_key) && (!HasMetadataCheckKeys() || MayContain(check_key));
  }

 private:
  uint8_t probes_ = 0;
  uint8_t flags_ = 0;
  std::string_view bits_;
};

}  // namespace skald::server::chunk
