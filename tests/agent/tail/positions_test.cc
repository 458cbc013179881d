#include "agent/tail/positions.h"

#include <doctest/doctest.h>

#include "tail_test_util.h"

using skald::agent::tail::Positions;
using skald::agent::tail::testing::TempDir;
using skald::agent::tail::testing::Write;

TEST_CASE("positions round-trip through Promtail's format") {
  TempDir d;
  Positions p(d.File("positions.yaml"));
  p.Put("/var/log/a.log", 1234);
  p.Put("/var/log/b c.log", 7);
  REQUIRE(p.Save().ok());
  Positions q(d.File("positions.yaml"));
  REQUIRE(q.Load(false).ok());
  CHECK(q.Get("/var/log/a.log") == 1234u);
  CHECK(q.Get("/var/log/b c.log") == 7u);
}

TEST_CASE("positions are written as quoted strings under a positions key") {
  std::string text = Positions::Format({{"/var/log/a.log", 1234}});
  CHECK(text.find("positions:") == 0);
  CHECK(text.find("/var/log/a.log: \"1234\"") != std::string::npos);
}

TEST_CASE("a Promtail-written positions file loads") {
  TempDir d;
  Write(d.File("p.yaml"), "positions:\n  /var/log/syslog: \"5678\"\n  cursor-abc: \"1690000000\"\n");
  Positions p(d.File("p.yaml"));
  REQUIRE(p.Load(false).ok());
  CHECK(p.Get("/var/log/syslog") == 5678u);
}

TEST_CASE("a corrupt entry is skipped and the others load") {
  TempDir d;
  Write(d.File("p.yaml"), "positions:\n  /a.log: \"12x\"\n  /b.log: \"-3\"\n  /c.log: \"9\"\n");
  Positions p(d.File("p.yaml"));
  REQUIRE(p.Load(false).ok());
  CHECK_FALSE(p.Get("/a.log").has_value());
  CHECK_FALSE(p.Get("/b.log").has_value());
  CHECK(p.Get("/c.log") == 9u);
}

TEST_CASE("invalid YAML is Corruption unless ignore_invalid_yaml") {
  TempDir d;
  Write(d.File("p.yaml"), "positions: {\"/a.log\": \"1\"\n  ::: [\n");
  Positions p(d.File("p.yaml"));
  CHECK_FALSE(p.Load(false).ok());
  CHECK(p.Load(true).ok());
  CHECK(p.Snapshot().empty());
}

TEST_CASE("a missing positions file is empty, not an error") {
  TempDir d;
  Positions p(d.File("none.yaml"));
  CHECK(p.Load(false).ok());
  CHECK(p.Snapshot().empty());
}

TEST_CASE("saving to an unwritable directory is IOError") {
  Positions p("/nonexistent/dir/positions.yaml");
  p.Put("/a", 1);
  CHECK_FALSE(p.Save().ok());
}
