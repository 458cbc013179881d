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

using skald::agent::tail::FileIdentity;
using skald::agent::tail::RotatedPosition;

TEST_CASE("identities and rotated files round-trip with their offsets") {
  TempDir d;
  Positions p(d.File("positions.yaml"));
  FileIdentity live{2049, 131, 1024, 0x9f86d081884c7d65ull};
  FileIdentity old{2049, 130, 512, 0x0123456789abcdefull};
  p.Put("/var/log/a.log", 1234, live);
  p.Put("/var/log/b.log", 7);
  p.SetRotated({RotatedPosition{"/var/log/a:b.log", old, 77}});
  REQUIRE(p.Save().ok());
  Positions q(d.File("positions.yaml"));
  REQUIRE(q.Load(false).ok());
  CHECK(q.Get("/var/log/a.log") == 1234u);
  CHECK(q.GetIdentity("/var/log/a.log") == live);
  CHECK_FALSE(q.GetIdentity("/var/log/b.log").has_value());
  CHECK(q.Snapshot() == std::map<std::string, uint64_t>{{"/var/log/a.log", 1234}, {"/var/log/b.log", 7}});
  REQUIRE(q.Rotated().size() == 1);
  CHECK(q.Rotated()[0] == RotatedPosition{"/var/log/a:b.log", old, 77});
}

TEST_CASE("identities live inside the positions map (Promtail's strict reader accepts the file)") {
  std::string text = Positions::Format({{"/a.log", 5}}, {{"/a.log", FileIdentity{1, 2, 3, 4}}},
                                       {RotatedPosition{"/a.log", FileIdentity{1, 9, 3, 4}, 2}});
  CHECK(text.find("positions:") == 0);
  CHECK(text.find("\n", 0) == text.find("positions:\n") + 10);  // one top-level key
  for (size_t at = text.find('\n'); at + 1 < text.size(); at = text.find('\n', at + 1)) {
    CHECK(text[at + 1] == ' ');  // every other line is nested under it
  }
  CHECK(text.find("skald-identity:/a.log: \"1:2:3:0000000000000004\"") != std::string::npos);
  CHECK(text.find("skald-rotated:1:9:3:0000000000000004:/a.log: \"2\"") != std::string::npos);
}

TEST_CASE("Put without an identity forgets the old one") {
  TempDir d;
  Positions p(d.File("p.yaml"));
  p.Put("/a.log", 10, FileIdentity{1, 2, 3, 4});
  p.Put("/a.log", 0);
  CHECK_FALSE(p.GetIdentity("/a.log").has_value());
  p.Put("/a.log", 10, FileIdentity{1, 2, 3, 4});
  p.Remove("/a.log");
  CHECK_FALSE(p.GetIdentity("/a.log").has_value());
  CHECK_FALSE(p.Get("/a.log").has_value());
}

TEST_CASE("malformed identity and rotated entries are skipped, the rest loads") {
  TempDir d;
  Write(d.File("p.yaml"),
        "positions:\n"
        "  /a.log: \"9\"\n"
        "  skald-identity:/a.log: \"1:2:x:4\"\n"
        "  /b.log: \"3\"\n"
        "  skald-identity:/b.log: \"1:2:3:ff\"\n"
        "  skald-identity:/gone.log: \"1:2:3:ff\"\n"
        "  skald-rotated:1:2:3:ff: \"5\"\n"
        "  skald-rotated:1:2:99999:ff:/c.log: \"5\"\n"
        "  skald-rotated:1:2:3:ff:/c.log: \"oops\"\n"
        "  skald-rotated:1:2:3:ff:/d.log: \"6\"\n");
  Positions p(d.File("p.yaml"));
  REQUIRE(p.Load(false).ok());
  CHECK(p.Get("/a.log") == 9u);
  CHECK_FALSE(p.GetIdentity("/a.log").has_value());
  CHECK(p.GetIdentity("/b.log") == FileIdentity{1, 2, 3, 0xff});
  CHECK_FALSE(p.Get("/gone.log").has_value());
  CHECK_FALSE(p.GetIdentity("/gone.log").has_value());
  REQUIRE(p.Rotated().size() == 1);
  CHECK(p.Rotated()[0] == RotatedPosition{"/d.log", FileIdentity{1, 2, 3, 0xff}, 6});
  CHECK(p.Snapshot().size() == 2);
}
