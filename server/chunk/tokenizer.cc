#include "server/chunk/tokenizer.h"

#include <algorithm>

#include "server/chunk/format.h"

namespace skald::server::chunk {

static_assert(kMinTokenBytes == 3, "ForEachLineToken hard-codes the minimum token length");

std::vector<std::string_view> NeedleTokens(std::string_view needle) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < needle.size()) {
    while (i < needle.size() && !IsTokenByte(static_cast<unsigned char>(needle[i]))) ++i;
    size_t start = i;
    while (i < needle.size() && IsTokenByte(static_cast<unsigned char>(needle[i]))) ++i;
    bool bounded = start > 0 && i < needle.size();
    if (bounded && i - start >= kMinTokenBytes) out.push_back(needle.substr(start, i - start));
  }
  std::stable_sort(out.begin(), out.end(),
                   [](std::string_view a, std::string_view b) { return a.size() > b.size(); });
  return out;
}

std::vector<GramAlternatives> NeedleGramRuns(std::string_view needle) {
  std::vector<GramAlternatives> out;
  size_t i = 0;
  while (i < needle.size()) {
    while (i < needle.size() && !IsTokenByte(static_cast<unsigned char>(needle[i]))) ++i;
    size_t start = i;
    while (i < needle.size() && IsTokenByte(static_cast<unsigned char>(needle[i]))) ++i;
    std::string_view run = needle.substr(start, i - start);
    if (run.size() < kMinGramRunBytes) continue;
    GramAlternatives alts(kGramStride);
    for (size_t r = 0; r < kGramStride; ++r) {
      ForEachTokenGram(run.substr(r), [&](std::string_view k) { alts[r].emplace_back(k); });
    }
    out.push_back(std::move(alts));
  }
  return out;
}

std::string MetadataCheckKey(std::string_view name, std::string_view value) {
  std::string key(1, kMetadataCheckKeyPrefix);
  key.append(MetadataKey(name, value));
  return key;
}

std::string MetadataKey(std::string_view name, std::string_view value) {
  std::string key;
  key.reserve(name.size() + 1 + value.size());
  key.append(name);
  key.push_back('=');
  key.append(value);
  return key;
}

}  // namespace skald::server::chunk
