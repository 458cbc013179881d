#include "server/ingest/validator.h"

#include <doctest/doctest.h>

#include <string>

using namespace skald::server::ingest;
using skald::common::Entry;
using skald::common::Label;
using skald::common::PushRequest;
using skald::common::PushStream;

namespace {
constexpr int64_t kNow = 1'700'000'000'000'000'000;

PushRequest One(std::string labels, std::vector<Entry> entries) {
  PushRequest r;
  r.streams.push_back(PushStream{std::move(labels), std::move(entries)});
  return r;
}
Entry E(std::string line, int64_t ts = kNow, std::vector<Label> md = {}) {
  return Entry{ts, std::move(line), std::move(md)};
}
ValidationResult Run(PushRequest r, ValidationLimits l = {}) { return ValidatePush(l, kNow, std::move(r)); }
}  // namespace

TEST_CASE("validator accepts a valid stream and canonicalises its labels") {
  auto v = Run(One(R"({job="api",env="prod"})", {E("a"), E("bb")}));
  CHECK(v.errors.empty());
  REQUIRE(v.streams.size() == 1);
  CHECK(v.streams[0].labels_text == R"({env="prod", job="api"})");
  CHECK(v.streams[0].fingerprint == v.streams[0].labels.Fingerprint());
  CHECK(v.lines == 2);
  CHECK(v.bytes == 3);
}

TEST_CASE("validator skips streams without entries silently") {
  auto v = Run(One(R"({job="api"})", {}));
  CHECK(v.errors.empty());
  CHECK(v.streams.empty());
}

TEST_CASE("validator reports unparsable labels with Loki's message") {
  auto v = Run(One(R"({ab")", {E("x"), E("yy")}));
  CHECK(v.streams.empty());
  CHECK(v.errors.Message().rfind(R"(error parsing labels '{ab"' with error: 1:)", 0) == 0);
  CHECK(v.discards.Lines(reason::kInvalidLabels) == 2);
  CHECK(v.discards.Bytes(reason::kInvalidLabels) == 3);
}

TEST_CASE("validator rejects an invalid label name as invalid labels") {
  auto v = Run(One(R"({a-b="1"})", {E("x")}));
  CHECK(v.streams.empty());
  CHECK(v.discards.Lines(reason::kInvalidLabels) == 1);
}

TEST_CASE("validator requires at least one label") {
  for (const char* ls : {"{}", R"({a=""})"}) {
    auto v = Run(One(ls, {E("x")}));
    CHECK(v.errors.Message() == "error at least one label pair is required per stream");
    CHECK(v.discards.Lines(reason::kMissingLabels) == 1);
  }
}

TEST_CASE("validator limits the number of label names, not counting service_name") {
  std::string ls = "{";
  for (int i = 0; i < 16; ++i) ls += "l" + std::to_string(i) + "=\"v\",";
  ls += "}";
  auto v = Run(One(ls, {E("x")}));
  CHECK(v.errors.Message() == "entry for stream '" + ls + "' has 16 label names; limit 15");
  CHECK(v.discards.Lines(reason::kMaxLabelNames) == 1);

  std::string with_service = "{";
  for (int i = 0; i < 15; ++i) with_service += "l" + std::to_string(i) + "=\"v\",";
  with_service += "service_name=\"s\"}";
  CHECK(Run(One(with_service, {E("x")})).errors.empty());
}

TEST_CASE("validator rejects a too long label name") {
  std::string name(1025, 'n');
  std::string ls = "{" + name + "=\"v\"}";
  auto v = Run(One(ls, {E("x")}));
  CHECK(v.errors.Message() == "stream '" + ls + "' has label name too long: '" + name + "'");
  CHECK(v.discards.Lines(reason::kLabelNameTooLong) == 1);
}

TEST_CASE("validator rejects a too long label value") {
  std::string value(2049, 'v');
  std::string ls = "{a=\"" + value + "\"}";
  auto v = Run(One(ls, {E("x")}));
  CHECK(v.errors.Message() == "stream '" + ls + "' has label value too long: '" + value + "'");
  CHECK(v.discards.Lines(reason::kLabelValueTooLong) == 1);
}

TEST_CASE("validator rejects duplicate label names") {
  auto v = Run(One(R"({a="1", a="2"})", {E("x")}));
  CHECK(v.errors.Message() == R"(stream '{a="1", a="2"}' has duplicate label name: 'a')");
  CHECK(v.discards.Lines(reason::kDuplicateLabelNames) == 1);
}

TEST_CASE("validator rejects entries older than the max sample age") {
  const int64_t old = kNow - 8 * skald::common::kNanosPerDay;
  auto v = Run(One(R"({a="1"})", {E("old", old), E("new")}));
  CHECK(v.errors.Message() ==
        "entry for stream '{a=\"1\"}' has timestamp too old: 2023-11-06T22:13:20Z, oldest acceptable "
        "timestamp is: 2023-11-07T22:13:20Z");
  CHECK(v.discards.Lines(reason::kTooOld) == 1);
  CHECK(v.discards.Bytes(reason::kTooOld) == 3);
  REQUIRE(v.streams.size() == 1);
  CHECK(v.streams[0].entries.size() == 1);
}

TEST_CASE("validator keeps old entries when reject_old_samples is off") {
  ValidationLimits l;
  l.reject_old_samples = false;
  auto v = Run(One(R"({a="1"})", {E("old", 1)}), l);
  CHECK(v.errors.empty());
  CHECK(v.lines == 1);
}

TEST_CASE("validator rejects entries beyond the creation grace period") {
  const int64_t future = kNow + 11 * skald::common::kNanosPerMinute;
  auto v = Run(One(R"({a="1"})", {E("f", future)}));
  CHECK(v.errors.Message() == "entry for stream '{a=\"1\"}' has timestamp too new: 2023-11-14T22:24:20Z");
  CHECK(v.discards.Lines(reason::kTooNew) == 1);
  CHECK(Run(One(R"({a="1"})", {E("f", kNow + 9 * skald::common::kNanosPerMinute)})).errors.empty());
}

TEST_CASE("validator rejects a too long line") {
  ValidationLimits l;
  l.max_line_size = 4;
  auto v = Run(One(R"({a="1"})", {E("12345"), E("1234")}), l);
  CHECK(v.errors.Message() ==
        "max entry size '4' bytes exceeded for stream '{a=\"1\"}' while adding an entry with length '5' bytes");
  CHECK(v.discards.Lines(reason::kLineTooLong) == 1);
  CHECK(v.lines == 1);
}

TEST_CASE("validator truncates long lines when configured") {
  ValidationLimits l;
  l.max_line_size = 4;
  l.max_line_size_truncate = true;
  auto v = Run(One(R"({a="1"})", {E("123456")}), l);
  CHECK(v.errors.empty());
  REQUIRE(v.streams.size() == 1);
  CHECK(v.streams[0].entries[0].line == "1234");
}

TEST_CASE("validator rejects structured metadata when disallowed") {
  ValidationLimits l;
  l.allow_structured_metadata = false;
  auto v = Run(One(R"({a="1"})", {E("x", kNow, {{"trace_id", "t"}})}), l);
  CHECK(v.errors.Message() ==
        "stream '{a=\"1\"}' includes structured metadata, but this feature is disallowed. Please see "
        "`limits_config.allow_structured_metadata` or contact your Loki administrator to enable it.");
  CHECK(v.discards.Lines(reason::kDisallowedMetadata) == 1);
  CHECK(v.discards.Bytes(reason::kDisallowedMetadata) == 10);
}

TEST_CASE("validator rejects too large structured metadata") {
  ValidationLimits l;
  l.max_structured_metadata_size = 5;
  auto v = Run(One(R"({a="1"})", {E("x", kNow, {{"abc", "def"}})}), l);
  CHECK(v.errors.Message() ==
        "stream '{a=\"1\"}' has structured metadata too large: '6' bytes, limit: '5' bytes. Please see "
        "`limits_config.max_structured_metadata_size` or contact your Loki administrator to increase it.");
  CHECK(v.discards.Lines(reason::kMetadataTooLarge) == 1);
}

TEST_CASE("validator rejects too many structured metadata pairs") {
  ValidationLimits l;
  l.max_structured_metadata_entries_count = 1;
  auto v = Run(One(R"({a="1"})", {E("x", kNow, {{"a", "1"}, {"b", "2"}})}), l);
  CHECK(v.errors.Message() ==
        "stream '{a=\"1\"}' has too many structured metadata labels: '2', limit: '1'. Please see "
        "`limits_config.max_structured_metadata_entries_count` or contact your Loki administrator to "
        "increase it.");
  CHECK(v.discards.Lines(reason::kMetadataTooMany) == 1);
}

TEST_CASE("validator counts metadata bytes in the accepted size") {
  auto v = Run(One(R"({a="1"})", {E("line", kNow, {{"k", "vv"}})}));
  CHECK(v.bytes == 7);
  CHECK(EntrySize(v.streams[0].entries[0]) == 7);
}

TEST_CASE("validator keeps valid streams when others fail and groups errors") {
  PushRequest r;
  r.streams.push_back(PushStream{R"({ab")", {E("x")}});
  r.streams.push_back(PushStream{R"({a="1"})", {E("12345"), E("123456"), E("ok")}});
  ValidationLimits l;
  l.max_line_size = 4;
  auto v = Run(std::move(r), l);
  REQUIRE(v.streams.size() == 1);
  CHECK(v.streams[0].entries.size() == 1);
  const std::string msg = v.errors.Message();
  CHECK(msg.rfind("1 errors like: error parsing labels", 0) == 0);
  CHECK(msg.find("; 1 errors like: max entry size '4' bytes exceeded for stream '{a=\"1\"}' while adding an "
                 "entry with length '5' bytes; 1 errors like: max entry size") != std::string::npos);
}

TEST_CASE("validator rejects invalid UTF-8 in the label string") {
  auto v = Run(One("{job=\"a\xff\"}", {E("x")}));
  CHECK(v.streams.empty());
  CHECK(v.errors.Message() == "error parsing labels '{job=\"a\xff\"}' with error: 1:8: parse error: invalid UTF-8 rune");
  CHECK(v.discards.Lines(reason::kInvalidLabels) == 1);
  CHECK(Run(One("{job=\"caf\xc3\xa9\"}", {E("x")})).errors.empty());
}
