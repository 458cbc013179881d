// JsonParser / LogfmtParser restricted to an allow-set of label names: the
// allowed labels and the error labels match full extraction exactly.
#include <doctest/doctest.h>

#include "server/logql/log/json_parser.h"
#include "server/logql/log/logfmt_parser.h"
#include "tests/server/logql/log/test_util.h"

namespace skald::server::logql::log {
namespace {

using testing::L;
using testing::Run;

// Full extraction's labels, narrowed to `keep` plus the stream and error labels.
std::string Narrow(const std::string& full, const std::vector<std::string>& keep,
                   const std::string& stream) {
  if (full.empty()) return full;
  common::Labels all = L(full);
  common::Labels base = L(stream);
  std::vector<common::Label> out;
  for (const auto& l : all.pairs()) {
    bool k = base.Get(l.name).has_value() || l.name == "__error__" || l.name == "__error_details__";
    for (const auto& n : keep) k = k || n == l.name;
    if (k) out.push_back(l);
  }
  return common::Labels(std::move(out)).ToString();
}

const char* kStream = R"({job="x", level="s"})";

void CheckJson(const std::string& line, const std::vector<std::string>& allow) {
  std::string full = Run({std::make_shared<JsonParser>()}, kStream, line);
  std::string restricted = Run({std::make_shared<JsonParser>(allow)}, kStream, line);
  CHECK(restricted == Narrow(full, allow, kStream));
}

void CheckLogfmt(const std::string& line, const std::vector<std::string>& allow, bool strict) {
  std::string full = Run({testing::Must(LogfmtParser::Create({strict, false}))}, kStream, line);
  std::string restricted =
      Run({StagePtr(LogfmtParser::CreateRestricted({strict, false}, allow))}, kStream, line);
  CHECK(restricted == Narrow(full, allow, kStream));
}

TEST_CASE("json allow-set keeps only the allowed flattened names") {
  const std::string line = R"({"a":"1","b":{"c":"2","d":3},"e":true,"f":null,"g":[1]})";
  CHECK(Run({std::make_shared<JsonParser>(std::vector<std::string>{"b_c", "e"})}, R"({job="x"})", line) ==
        R"({b_c="2", e="true", job="x"})");
  CheckJson(line, {"b_c", "e"});
  CheckJson(line, {"a", "b_d", "missing"});
}

TEST_CASE("json empty allow-set extracts nothing but still flags invalid JSON") {
  CHECK(Run({std::make_shared<JsonParser>(std::vector<std::string>{})}, R"({job="x"})", R"({"a":"1"})") ==
        R"({job="x"})");
  CheckJson(R"({"a":"1",)", {});
  CheckJson(R"(not json)", {});
  CheckJson(R"({"a":"\x"})", {});
  CheckJson(R"({"a":"1"} trailing)", {});
}

TEST_CASE("json allow-set errors match full extraction") {
  CheckJson(R"({"a":"1","b":)", {"a"});
  CheckJson(R"({"a":{"b":"2")", {"a_b"});
}

TEST_CASE("json allow-set handles _extracted clashes with stream labels") {
  const std::string line = R"({"level":"info","job":"j"})";
  CheckJson(line, {"level_extracted"});
  CHECK(Run({std::make_shared<JsonParser>(std::vector<std::string>{"level_extracted"})}, kStream, line) ==
        R"({job="x", level="s", level_extracted="info"})");
}

TEST_CASE("logfmt allow-set keeps only the allowed keys") {
  const std::string line = R"(level=info msg="hello world" status=200 level=warn x.y=1)";
  CheckLogfmt(line, {"status", "x_y"}, false);
  CheckLogfmt(line, {"level_extracted"}, false);
  CHECK(Run({StagePtr(LogfmtParser::CreateRestricted({}, {"status"}))}, R"({job="x"})", line) ==
        R"({job="x", status="200"})");
}

TEST_CASE("logfmt allow-set keeps strict errors") {
  CheckLogfmt(R"(a=1 =bad b=2)", {"b"}, true);
  CheckLogfmt(R"(a=1 b="unterminated)", {}, true);
}

}  // namespace
}  // namespace skald::server::logql::log
