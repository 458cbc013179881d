#include "common/pattern.h"

#include <set>

namespace skald::common {

namespace {

bool IsIdentStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool IsIdentChar(char c) { return IsIdentStart(c) || (c >= '0' && c <= '9'); }

// Length of a `<identifier>` token at the start of `s`, or 0.
size_t CaptureLen(std::string_view s) {
  if (s.size() < 3 || s[0] != '<' || !IsIdentStart(s[1])) return 0;
  size_t i = 2;
  while (i < s.size() && IsIdentChar(s[i])) ++i;
  if (i < s.size() && s[i] == '>') return i + 1;
  return 0;
}

}  // namespace

Result<Pattern> Pattern::ParseNodes(std::string_view text) {
  Pattern p;
  size_t i = 0;
  while (i < text.size()) {
    size_t n = CaptureLen(text.substr(i));
    if (n > 0) {
      p.nodes_.push_back(Node{true, std::string(text.substr(i + 1, n - 2))});
      i += n;
      continue;
    }
    if (p.nodes_.empty() || p.nodes_.back().capture) p.nodes_.push_back(Node{false, {}});
    p.nodes_.back().text.push_back(text[i]);
    ++i;
  }
  for (size_t k = 0; k + 1 < p.nodes_.size(); ++k) {
    if (p.nodes_[k].capture && p.nodes_[k + 1].capture) {
      return Status::InvalidArgument("found consecutive capture: invalid expression");
    }
  }
  for (const Node& nd : p.nodes_) {
    if (nd.capture && nd.text != "_") p.names_.push_back(nd.text);
  }
  return p;
}

Result<Pattern> Pattern::Parse(std::string_view text) {
  auto r = ParseNodes(text);
  if (!r.ok()) return r;
  Pattern& p = r.value();
  if (p.names_.empty()) return Status::InvalidArgument("at least one capture is required");
  std::set<std::string_view> seen;
  for (const std::string& n : p.names_) {
    if (!seen.insert(n).second) {
      return Status::InvalidArgument("duplicate capture name (" + n + "): invalid expression");
    }
  }
  return r;
}

Result<Pattern> Pattern::ParseLineFilter(std::string_view text) {
  if (text.empty()) return Pattern();
  auto r = ParseNodes(text);
  if (!r.ok()) return r;
  if (!r.value().names_.empty()) return Status::InvalidArgument("named captures are not allowed");
  return r;
}

std::vector<std::string> Pattern::Literals() const {
  std::vector<std::string> out;
  for (const Node& n : nodes_) {
    if (!n.capture) out.push_back(n.text);
  }
  return out;
}

bool Pattern::Matches(std::string_view in, std::vector<std::string_view>* out) const {
  out->clear();
  if (in.empty() || nodes_.empty()) return false;
  size_t k = 0;
  if (!nodes_[0].capture) {
    if (in.substr(0, nodes_[0].text.size()) != nodes_[0].text) return false;
    in.remove_prefix(nodes_[0].text.size());
    k = 1;
  }
  if (k == nodes_.size()) return false;
  // From here: capture, literal, capture, ... (literal)?
  while (k < nodes_.size()) {
    const Node& cap = nodes_[k];
    bool named = cap.text != "_";
    if (k + 1 == nodes_.size()) {
      if (named) out->push_back(in);
      return true;
    }
    const std::string& lit = nodes_[k + 1].text;
    k += 2;
    size_t i = in.find(lit);
    if (i == std::string_view::npos) {
      if (named) out->push_back(in);
      return true;
    }
    if (named) out->push_back(in.substr(0, i));
    in.remove_prefix(i + lit.size());
  }
  return true;
}

bool Pattern::Test(std::string_view in) const {
  if (in.empty() || nodes_.empty()) return in.empty() && nodes_.empty();
  size_t off = 0;
  for (size_t k = 0; k < nodes_.size(); ++k) {
    if (nodes_[k].capture) continue;
    size_t j = in.substr(off).find(nodes_[k].text);
    if (j == std::string_view::npos) return false;
    if (k != 0 && j == 0) return false;  // empty capture or repeated literal
    off += j + nodes_[k].text.size();
  }
  bool req_rem = nodes_.back().capture;
  bool has_rem = off != in.size();
  return req_rem == has_rem;
}

}  // namespace skald::common
