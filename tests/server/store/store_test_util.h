// Helpers shared by the store tests: a temp directory per test, matcher and
// label shorthands, an opened Index.
#pragma once

#include <doctest/doctest.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "common/labels.h"
#include "common/matcher.h"
#include "server/store/chunk_store.h"
#include "server/store/index.h"

namespace skald::server::store::testing {

// A fresh directory, removed with everything in it when destroyed.
struct TempDir {
  std::filesystem::path path;
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "skald-store-XXXXXX").string();
    path = mkdtemp(tmpl.data());
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string File(const std::string& name) const { return (path / name).string(); }
};

inline common::Labels L(const char* text) { return common::ParseLabels(text).value(); }

inline common::Matcher M(common::MatchType t, const char* name, const char* value) {
  auto m = common::Matcher::Create(t, name, value);
  REQUIRE(m.ok());
  return m.value();
}
inline common::Matcher Eq(const char* n, const char* v) {
  return M(common::MatchType::kEqual, n, v);
}
inline common::Matcher Ne(const char* n, const char* v) {
  return M(common::MatchType::kNotEqual, n, v);
}
inline common::Matcher Re(const char* n, const char* v) {
  return M(common::MatchType::kRegex, n, v);
}
inline common::Matcher Nre(const char* n, const char* v) {
  return M(common::MatchType::kNotRegex, n, v);
}

inline std::unique_ptr<Index> OpenIndex(const TempDir& dir) {
  IndexOptions o;
  o.path = dir.File("index.db");
  auto idx = Index::Open(o);
  REQUIRE(idx.ok());
  return std::move(idx).value();
}

// A chunk store under `root` in `env` over `index`.
inline std::unique_ptr<ChunkStore> OpenStore(Index* index, common::Env* env, const char* root) {
  ChunkStoreOptions o;
  o.root = root;
  o.env = env;
  auto s = ChunkStore::Open(o, index);
  REQUIRE(s.ok());
  return std::move(s).value();
}

// Canonical label strings of `streams`, in order.
inline std::vector<std::string> Texts(const std::vector<StreamInfo>& streams) {
  std::vector<std::string> out;
  for (const auto& s : streams) out.push_back(s.labels.ToString());
  return out;
}

}  // namespace skald::server::store::testing
