#include "server/ingest/wal_record.h"

#include <doctest/doctest.h>

#include "server/ingest/recovery.h"
#include "common/mem_env.h"

using namespace skald::server::ingest;
using skald::common::Entry;

TEST_CASE("wal record round trips entries with metadata") {
  std::vector<Entry> entries{{-5, "neg", {}}, {42, "line", {{"trace_id", "abc"}, {"u", ""}}}};
  std::string buf;
  EncodeWalRecord(7, "tenant", R"({a="1"})", 99, entries, &buf);
  auto r = DecodeWalRecord(buf);
  REQUIRE(r.ok());
  CHECK(r->seq == 7);
  CHECK(r->tenant == "tenant");
  CHECK(r->labels == R"({a="1"})");
  CHECK(r->fingerprint == 99);
  CHECK(r->entries == entries);
}

TEST_CASE("wal record rejects every truncation and a bad kind") {
  std::string buf;
  EncodeWalRecord(1, "t", "{a=\"1\"}", 1, {{1, "x", {{"k", "v"}}}}, &buf);
  for (size_t n = 0; n < buf.size(); ++n) CHECK_FALSE(DecodeWalRecord(buf.substr(0, n)).ok());
  buf[0] = 9;
  CHECK_FALSE(DecodeWalRecord(buf).ok());
}

TEST_CASE("flush marks round trip and detect corruption") {
  skald::common::MemEnv env;
  REQUIRE(env.CreateDirs("/w").ok());
  auto none = LoadFlushMarks(&env, "/w/m");
  REQUIRE(none.ok());
  CHECK(none->empty());
  FlushMarks marks{{MarkKey("t", "{a=\"1\"}"), FlushMark{5, 2}}};
  REQUIRE(SaveFlushMarks(&env, "/w/m", marks).ok());
  auto back = LoadFlushMarks(&env, "/w/m");
  REQUIRE(back.ok());
  CHECK(back->at(MarkKey("t", "{a=\"1\"}")).seq == 5);
  CHECK(back->at(MarkKey("t", "{a=\"1\"}")).segment == 2);
  {
    auto w = env.NewWritableFile("/w/m");
    REQUIRE(w.ok());
    REQUIRE((*w)->Append("SKFM1\n\x01garbage!").ok());
  }
  CHECK(LoadFlushMarks(&env, "/w/m").status().code() == skald::common::StatusCode::kCorruption);
}
