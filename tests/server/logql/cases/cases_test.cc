// Data-driven LogQL cases: every tests/server/logql/cases/*.test file (format
// in README.md there) is fed to the real Engine over an in-memory Querier,
// its result encoded by the real Loki JSON encoder, and compared with the
// expected `data` (minus `stats`) after canonicalising both (object keys
// sorted, numbers as Go floats; array order kept, so result order counts).
#include <doctest/doctest.h>
#include <simdjson.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "common/json_writer.h"
#include "common/labels.h"
#include "common/matcher.h"
#include "common/thread_pool.h"
#include "common/time.h"
#include "server/api/query_encoder.h"
#include "server/api/query_params.h"
#include "server/logql/engine.h"

namespace logql = skald::server::logql;
namespace iter = skald::server::iter;
using skald::common::Entry;
using skald::common::Label;
using skald::common::Labels;
using skald::common::Result;
using skald::common::Status;

namespace {

// ---- in-memory Querier ----

class VectorSource : public logql::EntrySource {
 public:
  VectorSource(std::string labels, std::vector<Entry> entries)
      : labels_(std::move(labels)), entries_(std::move(entries)) {}
  int64_t MinTime() const override { return entries_.empty() ? 0 : entries_.front().timestamp_ns; }
  int64_t MaxTime() const override { return entries_.empty() ? 0 : entries_.back().timestamp_ns; }
  bool IsHead() const override { return true; }
  Result<std::unique_ptr<iter::EntryIterator>> Open(int64_t from, int64_t through, iter::Direction d,
                                                    const logql::ScanHints&, logql::QueryStats*) override {
    std::vector<Entry> in;
    for (const auto& e : entries_) {
      if (e.timestamp_ns >= from && e.timestamp_ns < through) in.push_back(e);
    }
    return iter::NewVectorEntryIterator(labels_, std::move(in), d);
  }
  // Every entry in one run, out-of-range ones included (the engine filters).
  Result<bool> ScanEntrySizes(int64_t, int64_t, logql::QueryStats*,
                              const logql::EntrySizesFn& fn) override {
    std::vector<int64_t> ts;
    std::vector<uint32_t> off{0};
    for (const auto& e : entries_) {
      ts.push_back(e.timestamp_ns);
      off.push_back(off.back() + static_cast<uint32_t>(e.line.size()));
    }
    if (!ts.empty()) fn(logql::EntrySizes{ts, off});
    return true;
  }

 private:
  std::string labels_;
  std::vector<Entry> entries_;
};

class MemQuerier : public logql::Querier {
 public:
  void Add(const Labels& labels, std::vector<Entry> entries) {
    auto& v = streams_[labels.ToString()];
    v.first = labels;
    for (auto& e : entries) v.second.push_back(std::move(e));
    std::stable_sort(v.second.begin(), v.second.end(),
                     [](const Entry& a, const Entry& b) { return a.timestamp_ns < b.timestamp_ns; });
  }
  Result<std::vector<logql::StreamSources>> SelectStreams(std::string_view,
                                                          const std::vector<skald::common::Matcher>& m,
                                                          int64_t, int64_t) override {
    std::vector<logql::StreamSources> out;
    for (const auto& [text, s] : streams_) {
      if (!skald::common::MatchesAll(m, s.first)) continue;
      logql::StreamSources src;
      src.labels = std::make_shared<const Labels>(s.first);
      src.sources.push_back(std::make_unique<VectorSource>(text, s.second));
      out.push_back(std::move(src));
    }
    return out;
  }

 private:
  std::map<std::string, std::pair<Labels, std::vector<Entry>>> streams_;
};

// ---- the case format ----

struct Case {
  std::string name;
  std::string query;
  std::string start, end, time, step, limit, direction;
  std::vector<std::pair<Labels, std::vector<Entry>>> streams;
  std::string expected;  // JSON of data without stats
  std::string error;     // or the expected error message
  // Where Skald knowingly differs from Loki (the expectation stays Loki's):
  // a mismatch is reported, not failed; a match fails so the marker is removed.
  std::string known_deviation;
};

std::string Trim(std::string s) {
  auto b = s.find_first_not_of(" \t\r");
  auto e = s.find_last_not_of(" \t\r");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

Result<Entry> ParseEntryLine(const std::string& line) {
  Entry e;
  if (!line.empty() && line[0] == '[') {
    // ["<ns>", "<line>", {"k": "v"}] as in a Loki JSON push.
    simdjson::dom::parser p;
    simdjson::dom::element doc;
    if (p.parse(line).get(doc)) return Status::InvalidArgument("bad JSON entry: " + line);
    simdjson::dom::array arr;
    if (doc.get_array().get(arr) || arr.size() < 2) return Status::InvalidArgument("entry is not an array: " + line);
    std::string_view ts, text;
    if (arr.at(0).get_string().get(ts) || arr.at(1).get_string().get(text)) {
      return Status::InvalidArgument("entry needs two strings: " + line);
    }
    auto t = skald::common::ParseLokiTimestamp(ts);
    if (!t.ok()) return t.status();
    e.timestamp_ns = *t;
    e.line = std::string(text);
    if (arr.size() > 2) {
      simdjson::dom::object meta;
      if (arr.at(2).get_object().get(meta)) return Status::InvalidArgument("metadata is not an object: " + line);
      for (auto field : meta) {
        std::string_view v;
        if (field.value.get_string().get(v)) return Status::InvalidArgument("metadata value not a string");
        e.metadata.push_back(Label{std::string(field.key), std::string(v)});
      }
    }
    return e;
  }
  // <timestamp> <line>
  auto sp = line.find(' ');
  auto t = skald::common::ParseLokiTimestamp(line.substr(0, sp));
  if (!t.ok()) return Status::InvalidArgument("bad entry timestamp: " + line);
  e.timestamp_ns = *t;
  e.line = sp == std::string::npos ? "" : line.substr(sp + 1);
  return e;
}

Result<Case> ParseCase(const std::string& name, const std::string& text) {
  Case c;
  c.name = name;
  std::istringstream in(text);
  std::string line;
  bool in_expected = false;
  while (std::getline(in, line)) {
    if (in_expected) {
      c.expected += line + "\n";
      continue;
    }
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (Trim(line).empty() || line[0] == '#') continue;
    auto colon = line.find(':');
    std::string key = colon == std::string::npos ? "" : line.substr(0, colon);
    std::string value = colon == std::string::npos ? "" : Trim(line.substr(colon + 1));
    if (key == "query") {
      c.query = value;
    } else if (key == "start") {
      c.start = value;
    } else if (key == "end") {
      c.end = value;
    } else if (key == "time") {
      c.time = value;
    } else if (key == "step") {
      c.step = value;
    } else if (key == "limit") {
      c.limit = value;
    } else if (key == "direction") {
      c.direction = value;
    } else if (key == "stream") {
      auto l = skald::common::ParseLabels(value);
      if (!l.ok()) return Status::InvalidArgument("bad stream labels: " + value);
      c.streams.emplace_back(std::move(l).value(), std::vector<Entry>{});
    } else if (key == "known_deviation") {
      c.known_deviation = value;
    } else if (key == "error") {
      c.error = value;
    } else if (key == "expected") {
      in_expected = true;
    } else {
      if (c.streams.empty()) return Status::InvalidArgument("entry before any stream: " + line);
      auto e = ParseEntryLine(line);
      if (!e.ok()) return e.status();
      c.streams.back().second.push_back(std::move(e).value());
    }
  }
  if (c.query.empty()) return Status::InvalidArgument("no query");
  if (c.expected.empty() == c.error.empty()) return Status::InvalidArgument("need exactly one of expected/error");
  if (c.time.empty() && (c.start.empty() || c.end.empty())) {
    return Status::InvalidArgument("need time (instant) or start and end (range)");
  }
  return c;
}

// ---- canonical JSON ----

void Canonical(simdjson::dom::element e, std::string* out) {
  using T = simdjson::dom::element_type;
  switch (e.type()) {
    case T::OBJECT: {
      std::vector<std::pair<std::string, simdjson::dom::element>> fields;
      simdjson::dom::object obj;
      if (e.get_object().get(obj)) break;
      for (auto f : obj) fields.emplace_back(std::string(f.key), f.value);
      std::sort(fields.begin(), fields.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
      *out += '{';
      for (size_t i = 0; i < fields.size(); ++i) {
        if (i) *out += ',';
        *out += '"';
        skald::common::JsonWriter::AppendEscaped(out, fields[i].first);
        *out += "\":";
        Canonical(fields[i].second, out);
      }
      *out += '}';
      break;
    }
    case T::ARRAY: {
      *out += '[';
      bool first = true;
      simdjson::dom::array arr;
      if (e.get_array().get(arr)) break;
      for (auto v : arr) {
        if (!first) *out += ',';
        first = false;
        Canonical(v, out);
      }
      *out += ']';
      break;
    }
    case T::STRING: {
      std::string_view sv;
      if (e.get_string().get(sv)) break;
      *out += '"';
      skald::common::JsonWriter::AppendEscaped(out, sv);
      *out += '"';
      break;
    }
    case T::INT64:
      *out += skald::common::FormatFloatGo(static_cast<double>(e.get_int64().value_unsafe()));
      break;
    case T::UINT64:
      *out += skald::common::FormatFloatGo(static_cast<double>(e.get_uint64().value_unsafe()));
      break;
    case T::DOUBLE:
      *out += skald::common::FormatFloatGo(e.get_double().value_unsafe());
      break;
    case T::BOOL:
      *out += e.get_bool().value_unsafe() ? "true" : "false";
      break;
    case T::NULL_VALUE:
      *out += "null";
      break;
  }
}

// Canonical text of `json`; with `data_of_response`, of its data minus stats.
Result<std::string> CanonicalJson(const std::string& json, bool data_of_response) {
  simdjson::dom::parser p;
  simdjson::dom::element doc;
  if (auto err = p.parse(json).get(doc)) {
    return Status::InvalidArgument(std::string("invalid JSON: ") + simdjson::error_message(err));
  }
  if (data_of_response) {
    simdjson::dom::object data;
    if (doc["data"].get_object().get(data)) return Status::InvalidArgument("no data object");
    std::string out = "{";
    bool first = true;
    std::vector<std::pair<std::string, simdjson::dom::element>> fields;
    for (auto f : data) {
      if (f.key == "stats") continue;
      fields.emplace_back(std::string(f.key), f.value);
    }
    std::sort(fields.begin(), fields.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    for (auto& [k, v] : fields) {
      if (!first) out += ',';
      first = false;
      out += '"' + k + "\":";
      Canonical(v, &out);
    }
    return out + "}";
  }
  std::string out;
  Canonical(doc, &out);
  return out;
}

// ---- running a case ----

struct Outcome {
  bool ok = false;
  std::string got;   // canonical data, or the error message
  std::string want;  // canonical expected, or the expected error
};

Result<int64_t> Ts(const std::string& s) { return skald::common::ParseLokiTimestamp(s); }

Result<Outcome> Run(const Case& c) {
  MemQuerier querier;
  for (const auto& [labels, entries] : c.streams) querier.Add(labels, entries);
  skald::common::ThreadPool pool(2);
  logql::Engine engine(&querier, &pool);
  logql::QueryRequest q;
  q.tenant = "fake";
  q.query = c.query;
  if (!c.time.empty()) {
    auto t = Ts(c.time);
    if (!t.ok()) return t.status();
    q.start_ns = q.end_ns = *t;
    q.instant = true;
  } else {
    auto s = Ts(c.start);
    auto e = Ts(c.end);
    if (!s.ok()) return s.status();
    if (!e.ok()) return e.status();
    q.start_ns = *s;
    q.end_ns = *e;
    if (c.step.empty()) {
      q.step_ns = skald::server::api::DefaultStepNanos(q.start_ns, q.end_ns);
    } else {
      auto st = skald::common::ParseStepDuration(c.step);
      if (!st.ok()) return st.status();
      q.step_ns = *st;
    }
  }
  if (!c.limit.empty()) q.limit = static_cast<uint32_t>(std::stoul(c.limit));
  if (c.direction == "forward") q.direction = iter::Direction::kForward;
  auto result = engine.Query(q);
  Outcome o;
  if (!c.error.empty()) {
    o.want = c.error;
    o.got = result.ok() ? "(no error)" : result.status().message();
    o.ok = o.got == o.want;
    return o;
  }
  if (!result.ok()) {
    o.got = "error: " + result.status().message();
  } else {
    auto got = CanonicalJson(skald::server::api::EncodeQueryResponse(*result, {}), true);
    if (!got.ok()) return got.status();
    o.got = *got;
  }
  auto want = CanonicalJson(c.expected, false);
  if (!want.ok()) return Status::InvalidArgument("expected: " + want.status().message());
  o.want = *want;
  o.ok = o.got == o.want;
  return o;
}

std::filesystem::path CasesDir() {
  if (const char* src = std::getenv("SKALD_SOURCE_DIR")) {
    return std::filesystem::path(src) / "tests/server/logql/cases";
  }
  return std::filesystem::path(__FILE__).parent_path();
}

std::vector<std::filesystem::path> CaseFiles() {
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(CasesDir())) {
    if (e.path().extension() == ".test") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::string ReadFile(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

TEST_CASE("every LogQL case file gives Loki's answer") {
  auto files = CaseFiles();
  REQUIRE(files.size() >= 40);
  for (const auto& f : files) {
    const std::string name = f.filename().string();
    auto c = ParseCase(name, ReadFile(f));
    CHECK_MESSAGE(c.ok(), name, ": ", c.status().message());
    if (!c.ok()) continue;
    auto o = Run(*c);
    CHECK_MESSAGE(o.ok(), name, ": ", o.status().message());
    if (!o.ok()) continue;
    if (!c->known_deviation.empty()) {
      CHECK_MESSAGE(!o->ok, name, ": gives Loki's answer now; remove its known_deviation line");
      if (!o->ok) MESSAGE(name, ": known deviation from Loki: ", c->known_deviation);
      continue;
    }
    CHECK_MESSAGE(o->ok, name, "\n  query: ", c->query, "\n  want: ", o->want, "\n  got:  ", o->got);
  }
}

TEST_CASE("case parser rejects malformed case files") {
  CHECK_FALSE(ParseCase("x", "start: 1\nend: 2\nexpected:\n{}\n").ok());              // no query
  CHECK_FALSE(ParseCase("x", "query: {a=\"b\"}\ntime: 1\n").ok());                    // no expectation
  CHECK_FALSE(ParseCase("x", "query: {a=\"b\"}\ntime: 1\n10 line\nexpected:\n{}").ok());  // entry before stream
  CHECK_FALSE(ParseCase("x", "query: {a=\"b\"}\ntime: 1\nstream: {a=\"b\"}\nnot-a-time line\nerror: x").ok());
  CHECK_FALSE(ParseCase("x", "query: {a=\"b\"}\nstart: 1\nexpected:\n{}").ok());      // range without end
  auto ok = ParseCase("x",
                      "query: {a=\"b\"}\ntime: 1\nstream: {a=\"b\"}\n"
                      "1700000000 plain line\n[\"1700000000000000001\", \"j\", {\"k\": \"v\"}]\nerror: e");
  REQUIRE(ok.ok());
  REQUIRE(ok->streams.size() == 1);
  REQUIRE(ok->streams[0].second.size() == 2);
  CHECK(ok->streams[0].second[0].line == "plain line");
  CHECK(ok->streams[0].second[1].timestamp_ns == 1700000000000000001);
  CHECK(ok->streams[0].second[1].metadata == std::vector<Label>{{"k", "v"}});
}

TEST_CASE("canonical JSON ignores key order and number spelling but not array order") {
  CHECK(*CanonicalJson(R"({"b":[1,2.50],"a":"x"})", false) == *CanonicalJson(R"({"a":"x","b":[1.0,2.5]})", false));
  CHECK(*CanonicalJson(R"([1,2])", false) != *CanonicalJson(R"([2,1])", false));
  CHECK_FALSE(CanonicalJson("{", false).ok());
}
