#include "server/logql/log/ip_matcher.h"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

namespace skald::server::logql::log {

namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsHex(char c) { return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

constexpr std::string_view kV4Charset = "0123456789.";
constexpr std::string_view kV6Charset = "0123456789abcdefABCDEF:.";

size_t Span(std::string_view s, std::string_view accept) {
  size_t i = 0;
  while (i < s.size() && accept.find(s[i]) != std::string_view::npos) ++i;
  return i;
}

bool V4Hint(std::string_view s, size_t i) {
  return IsDigit(s[i]) && (s[i + 1] == '.' || s[i + 2] == '.' || s[i + 3] == '.');
}

bool V6Hint(std::string_view s, size_t i) {
  const char* p = s.data() + i;
  return (p[0] == ':' && p[1] == ':' && IsHex(p[2])) || (IsHex(p[0]) && p[1] == ':') ||
         (IsHex(p[0]) && IsHex(p[1]) && p[2] == ':') ||
         (IsHex(p[0]) && IsHex(p[1]) && IsHex(p[2]) && p[3] == ':') ||
         (IsHex(p[0]) && IsHex(p[1]) && IsHex(p[2]) && IsHex(p[3]) && p[4] == ':');
}

}  // namespace

bool IpMatcher::ParseAddr(std::string_view s, Addr* out) {
  constexpr size_t kMaxAddrText = 64;
  if (s.empty() || s.size() >= kMaxAddrText) return false;
  char buf[kMaxAddrText];
  std::memcpy(buf, s.data(), s.size());
  buf[s.size()] = '\0';
  *out = Addr{};
  if (s.find(':') == std::string_view::npos) {
    out->v4 = true;
    return inet_pton(AF_INET, buf, out->b.data()) == 1;
  }
  return inet_pton(AF_INET6, buf, out->b.data()) == 1;
}

common::Result<IpMatcher> IpMatcher::Create(std::string_view pattern) {
  IpMatcher m;
  m.pattern_ = std::string(pattern);
  auto invalid = [&] {
    std::string msg = "ip: invalid pattern: \"";
    msg.append(pattern);
    msg.push_back('"');
    return common::Status::InvalidArgument(msg);
  };
  if (ParseAddr(pattern, &m.lo_)) {
    m.hi_ = m.lo_;
    return m;
  }
  size_t slash = pattern.find('/');
  if (slash != std::string_view::npos) {
    if (!ParseAddr(pattern.substr(0, slash), &m.lo_)) return invalid();
    std::string_view bits_text = pattern.substr(slash + 1);
    int bits = -1;
    auto [p, ec] = std::from_chars(bits_text.data(), bits_text.data() + bits_text.size(), bits);
    int max_bits = m.lo_.v4 ? 32 : 128;
    if (ec != std::errc() || p != bits_text.data() + bits_text.size() || bits_text.empty() ||
        bits < 0 || bits > max_bits || (bits_text.size() > 1 && bits_text[0] == '0')) {
      return invalid();
    }
    m.hi_ = m.lo_;
    for (int i = 0; i < max_bits; ++i) {
      if (i < bits) continue;
      uint8_t mask = static_cast<uint8_t>(0x80 >> (i % 8));
      m.lo_.b[i / 8] &= static_cast<uint8_t>(~mask);
      m.hi_.b[i / 8] |= mask;
    }
    return m;
  }
  size_t dash = pattern.find('-');
  if (dash != std::string_view::npos) {
    if (!ParseAddr(pattern.substr(0, dash), &m.lo_) ||
        !ParseAddr(pattern.substr(dash + 1), &m.hi_) || m.lo_.v4 != m.hi_.v4 ||
        std::memcmp(m.lo_.b.data(), m.hi_.b.data(), 16) > 0) {
      return invalid();
    }
    return m;
  }
  return invalid();
}

bool IpMatcher::Contains(const Addr& a) const {
  if (a.v4 != lo_.v4) return false;
  return std::memcmp(a.b.data(), lo_.b.data(), 16) >= 0 &&
         std::memcmp(a.b.data(), hi_.b.data(), 16) <= 0;
}

bool IpMatcher::ContainsAddress(std::string_view addr) const {
  Addr a;
  return ParseAddr(addr, &a) && Contains(a);
}

bool IpMatcher::MatchText(std::string_view line) const {
  size_t n = line.size();
  auto try_at = [&](size_t start, std::string_view charset, size_t* len) {
    *len = Span(line.substr(start), charset);
    Addr a;
    return ParseAddr(line.substr(start, *len), &a) && Contains(a);
  };
  for (size_t i = 0; i < n; ++i) {
    size_t len = 0;
    if (i + 3 < n && V4Hint(line, i)) {
      if (try_at(i, kV4Charset, &len)) return true;
      i += len;
      continue;
    }
    if (i + 4 < n && V6Hint(line, i)) {
      if (try_at(i, kV6Charset, &len)) return true;
      i += len;
      continue;
    }
  }
  return false;
}

}  // namespace skald::server::logql::log
