#include "agent/tail/glob.h"

#include <dirent.h>
#include <fnmatch.h>
#include <sys/stat.h>

#include <algorithm>

namespace skald::agent::tail {
namespace {

std::vector<std::string> Split(std::string_view p) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i <= p.size()) {
    size_t j = p.find('/', i);
    if (j == std::string_view::npos) j = p.size();
    if (j > i) out.emplace_back(p.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

bool HasMeta(const std::string& s) { return s.find_first_of("*?[") != std::string::npos; }

bool MatchSegs(const std::vector<std::string>& pat, size_t pi,
               const std::vector<std::string>& path, size_t si) {
  if (pi == pat.size()) return si == path.size();
  if (pat[pi] == "**") {
    for (size_t k = si; k <= path.size(); ++k) {
      if (MatchSegs(pat, pi + 1, path, k)) return true;
    }
    return false;
  }
  if (si == path.size()) return false;
  if (fnmatch(pat[pi].c_str(), path[si].c_str(), 0) != 0) return false;
  return MatchSegs(pat, pi + 1, path, si + 1);
}

bool IsDir(const std::string& p) {
  struct stat st;
  return stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool IsFile(const std::string& p) {
  struct stat st;
  return stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

std::vector<std::string> ListDir(const std::string& dir) {
  std::vector<std::string> names;
  DIR* d = opendir(dir.empty() ? "/" : dir.c_str());
  if (d == nullptr) return names;
  while (dirent* e = readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") names.push_back(std::move(n));
  }
  closedir(d);
  return names;
}

void Walk(const std::string& dir, const std::vector<std::string>& pat, size_t pi, int depth,
          std::vector<std::string>* out) {
  if (depth > kMaxGlobDepth) return;
  if (pi == pat.size()) {
    if (IsFile(dir)) out->push_back(dir);
    return;
  }
  const std::string& seg = pat[pi];
  if (seg == "**") {
    Walk(dir, pat, pi + 1, depth, out);  // zero directories
    for (const std::string& n : ListDir(dir)) {
      std::string child = dir + "/" + n;
      if (IsDir(child)) Walk(child, pat, pi, depth + 1, out);
    }
    return;
  }
  if (!HasMeta(seg)) {
    Walk(dir + "/" + seg, pat, pi + 1, depth + 1, out);
    return;
  }
  for (const std::string& n : ListDir(dir)) {
    if (fnmatch(seg.c_str(), n.c_str(), 0) == 0) Walk(dir + "/" + n, pat, pi + 1, depth + 1, out);
  }
}

}  // namespace

bool GlobMatch(std::string_view pattern, std::string_view path) {
  return MatchSegs(Split(pattern), 0, Split(path), 0);
}

std::vector<std::string> ExpandGlob(const std::string& pattern) {
  std::vector<std::string> out;
  std::vector<std::string> segs = Split(pattern);
  std::string root = pattern.starts_with("/") ? "" : ".";
  Walk(root, segs, 0, 0, &out);
  if (root == ".") {
    for (std::string& p : out) p = p.substr(2);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace skald::agent::tail
