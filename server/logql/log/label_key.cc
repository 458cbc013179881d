#include "server/logql/log/label_key.h"

namespace skald::server::logql::log {

namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

// Byte length of the UTF-8 sequence starting with `c` (1 for invalid bytes,
// which Go decodes as one RuneError each).
size_t RuneLen(std::string_view s, size_t i) {
  unsigned char c = static_cast<unsigned char>(s[i]);
  size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 1;
  if (i + n > s.size()) return 1;
  for (size_t k = 1; k < n; ++k) {
    if ((static_cast<unsigned char>(s[i + k]) & 0xc0) != 0x80) return 1;
  }
  return n;
}

}  // namespace

void AppendSanitizedKey(std::string_view key, bool is_prefix, std::string* out) {
  while (!key.empty() && IsSpace(key.front())) key.remove_prefix(1);
  while (!key.empty() && IsSpace(key.back())) key.remove_suffix(1);
  if (key.empty()) return;
  if (is_prefix && key[0] >= '0' && key[0] <= '9') out->push_back('_');
  for (size_t i = 0; i < key.size();) {
    char c = key[i];
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_') {
      out->push_back(c);
      ++i;
      continue;
    }
    out->push_back('_');
    i += RuneLen(key, i);
  }
}

std::string SanitizeLabelKey(std::string_view key, bool is_prefix) {
  std::string out;
  AppendSanitizedKey(key, is_prefix, &out);
  return out;
}

}  // namespace skald::server::logql::log
