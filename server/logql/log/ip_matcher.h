// IpMatcher: the `ip("…")` pattern of line and label filters — a single
// address, a range `a-b` or a CIDR prefix, IPv4 or IPv6 (Loki's ip.go).
//
// Immutable after Create; thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace skald::server::logql::log {

class IpMatcher {
 public:
  // InvalidArgument `ip: invalid pattern: "<pattern>"` when the pattern is
  // none of address, CIDR, range (same family, from <= to).
  static common::Result<IpMatcher> Create(std::string_view pattern);

  // True when `addr` parses as an IP address within the pattern.
  bool ContainsAddress(std::string_view addr) const;
  // True when any IPv4/IPv6 token of `text` (found with Loki's hints) is
  // within the pattern. False for empty text.
  bool MatchText(std::string_view text) const;

  const std::string& pattern() const { return pattern_; }

 private:
  struct Addr {
    bool v4 = false;
    std::array<uint8_t, 16> b{};  // v4 uses the first 4 bytes
  };
  static bool ParseAddr(std::string_view s, Addr* out);
  bool Contains(const Addr& a) const;

  std::string pattern_;
  Addr lo_;
  Addr hi_;
};

}  // namespace skald::server::logql::log
