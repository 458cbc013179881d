// Reads tests/common/logql/cases/*.txt: data-driven LogQL parser cases.
//
// Format: cases separated by blank lines; `#` lines are comments. Keys:
//   q: <query>                 the input (one line; \n and \t escapes allowed)
//   s: <ToString output>       expected Loki String() (parse must succeed)
//   e: <error message>         expected exact error message (parse must fail)
//   p: <line>                  expected FormatQuery, one line per `p:` entry
#pragma once

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace skald::common::logql::testing {

struct Case {
  std::string file;
  int line = 0;
  std::string query;
  std::string expect_string;
  std::string expect_error;
  std::vector<std::string> expect_pretty;
  bool has_string = false, has_error = false;
};

inline std::string Unescape(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size() && (s[i + 1] == 'n' || s[i + 1] == 't')) {
      out.push_back(s[i + 1] == 'n' ? '\n' : '\t');
      ++i;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

inline std::vector<Case> ReadCases(const std::string& path) {
  std::vector<Case> out;
  std::ifstream in(path);
  std::string line;
  Case cur;
  bool open = false;
  int n = 0;
  auto flush = [&] {
    if (open) out.push_back(cur);
    cur = Case{};
    open = false;
  };
  while (std::getline(in, line)) {
    ++n;
    if (line.empty()) {
      flush();
      continue;
    }
    if (line[0] == '#') continue;
    std::string key = line.substr(0, 2);
    std::string val = line.size() > 3 ? line.substr(3) : "";
    if (!open) {
      cur.file = path;
      cur.line = n;
      open = true;
    }
    if (key == "q:") cur.query = Unescape(val);
    if (key == "s:") cur.expect_string = val, cur.has_string = true;
    if (key == "e:") cur.expect_error = val, cur.has_error = true;
    if (key == "p:") cur.expect_pretty.push_back(val);
  }
  flush();
  return out;
}

}  // namespace skald::common::logql::testing
