// JSON half of the push codec (declared in push_codec.h): v1 and legacy push
// bodies decoded with simdjson On-Demand, v1 bodies written with JsonWriter.
#include <simdjson.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <limits>
#include <utility>
#include <vector>

#include "common/json_writer.h"
#include "common/labels.h"
#include "common/push_codec.h"
#include "common/time.h"

namespace skald::common {
namespace {

namespace od = simdjson::ondemand;

// A v1 value array holds [timestamp, line] or [timestamp, line, metadata].
constexpr size_t kMaxValueElements = 3;

// Per-thread parser: its buffers grow to the largest document seen and are reused.
od::parser& ScratchParser() {
  thread_local od::parser parser;
  return parser;
}

Status JsonError(std::string_view where, std::string_view what) {
  std::string msg = "invalid push JSON: ";
  msg.append(where);
  msg += ": ";
  msg.append(what);
  return Status::InvalidArgument(msg);
}

Status SimdError(simdjson::error_code e, std::string_view where) {
  return JsonError(where, simdjson::error_message(e));
}

// Evaluates a simdjson call; on error returns it as InvalidArgument at `where`.
#define SKALD_SJ(expr, where)                                  \
  do {                                                         \
    if (auto _sj_err = (expr); _sj_err != simdjson::SUCCESS) { \
      return SimdError(_sj_err, where);                        \
    }                                                          \
  } while (0)

std::string At(std::string_view base, size_t i) {
  std::string s(base);
  s += '[';
  s += std::to_string(i);
  s += ']';
  return s;
}

Status TypeOf(od::value& v, od::json_type* t, std::string_view where) {
  SKALD_SJ(v.type().get(*t), where);
  return Status::OK();
}

// `{"a":"1",...}` -> `{a="1", ...}`: sorted by name, last duplicate wins
// (Go map semantics), values quoted as Go's strconv.Quote.
std::string LabelString(std::vector<Label> pairs) {
  std::stable_sort(pairs.begin(), pairs.end(),
                   [](const Label& a, const Label& b) { return a.name < b.name; });
  std::string out = "{";
  for (size_t i = 0; i < pairs.size(); ++i) {
    if (i + 1 < pairs.size() && pairs[i + 1].name == pairs[i].name) continue;
    if (out.size() > 1) out += ", ";
    out += pairs[i].name;
    out += '=';
    AppendGoQuoted(&out, pairs[i].value);
  }
  out += '}';
  return out;
}

// An object whose members must all be strings, in document order.
Status DecodeStringObject(od::value& v, std::vector<Label>* out, std::string_view where) {
  od::object obj;
  SKALD_SJ(v.get_object().get(obj), where);
  for (auto member : obj) {
    od::field f;
    SKALD_SJ(std::move(member).get(f), where);
    std::string_view key;
    SKALD_SJ(f.unescaped_key().get(key), where);
    Label label{std::string(key), {}};
    std::string_view value;
    if (f.value().get_string().get(value) != simdjson::SUCCESS) {
      return JsonError(where, "value of \"" + label.name + "\" must be a string");
    }
    label.value.assign(value);
    out->push_back(std::move(label));
  }
  return Status::OK();
}

// Decodes one `[ts, line, {md}]` array; `where`/`index` name it in errors
// (the path text is only built on failure).
Status DecodeV1Entry(od::array& arr, Entry* entry, std::string_view where, size_t index) {
  size_t i = 0;
  for (auto item : arr) {
    od::value v;
    SKALD_SJ(std::move(item).get(v), At(where, index));
    od::json_type t;
    SKALD_SJ(v.type().get(t), At(where, index));
    if (i >= kMaxValueElements) {
      return JsonError(At(where, index),
                       "a value must have 2 or 3 elements: [timestamp, line, {metadata}]");
    }
    std::string_view s;
    if (i == 0) {
      if (t != od::json_type::string) {
        return JsonError(At(where, index), "timestamp must be a JSON string of int64 nanoseconds");
      }
      SKALD_SJ(v.get_string().get(s), At(where, index));
      int64_t ns = 0;
      auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), ns);
      if (s.empty() || s[0] == '+' || ec != std::errc() || p != s.data() + s.size()) {
        return JsonError(At(where, index), "timestamp \"" + std::string(s) +
                                               "\" is not a base-10 int64 of Unix nanoseconds");
      }
      entry->timestamp_ns = ns;
    } else if (i == 1) {
      if (t != od::json_type::string)
        return JsonError(At(where, index), "line must be a JSON string");
      SKALD_SJ(v.get_string().get(s), At(where, index));
      entry->line.assign(s);
    } else {
      if (t != od::json_type::object) {
        return JsonError(At(where, index), "structured metadata must be an object of strings");
      }
      SKALD_RETURN_IF_ERROR(DecodeStringObject(v, &entry->metadata, At(where, index)));
    }
    ++i;
  }
  return Status::OK();
}

Status DecodeV1Values(od::value& v, PushStream* stream, std::string_view where) {
  od::array values;
  SKALD_SJ(v.get_array().get(values), where);
  size_t i = 0;
  for (auto item : values) {
    const size_t index = i++;
    od::value ev;
    SKALD_SJ(std::move(item).get(ev), At(where, index));
    od::json_type t;
    SKALD_SJ(ev.type().get(t), At(where, index));
    if (t == od::json_type::null) continue;
    if (t != od::json_type::array) return JsonError(At(where, index), "a value must be an array");
    od::array arr;
    SKALD_SJ(ev.get_array().get(arr), At(where, index));
    Entry& entry = stream->entries.emplace_back();
    SKALD_RETURN_IF_ERROR(DecodeV1Entry(arr, &entry, where, index));
  }
  return Status::OK();
}

Status DecodeV1Stream(od::object& obj, PushStream* stream, std::string_view where) {
  std::vector<Label> labels;
  for (auto member : obj) {
    od::field f;
    SKALD_SJ(std::move(member).get(f), where);
    std::string_view key;
    SKALD_SJ(f.unescaped_key().get(key), where);
    od::json_type t;
    SKALD_RETURN_IF_ERROR(TypeOf(f.value(), &t, where));
    if (key == "stream") {
      labels.clear();
      if (t == od::json_type::null) continue;
      if (t != od::json_type::object) return JsonError(where, "stream must be an object");
      SKALD_RETURN_IF_ERROR(DecodeStringObject(f.value(), &labels, std::string(where) + ".stream"));
    } else if (key == "values") {
      stream->entries.clear();
      if (t == od::json_type::null) continue;
      if (t != od::json_type::array) return JsonError(where, "values must be an array");
      SKALD_RETURN_IF_ERROR(DecodeV1Values(f.value(), stream, std::string(where) + ".values"));
    }
  }
  stream->labels = LabelString(std::move(labels));
  return Status::OK();
}

// Calls `fn(value, where)` for each non-null element of the top-level
// "streams" array (key matched by `key_matches`).
template <typename KeyMatches, typename Fn>
Status ForEachStream(od::document& doc, KeyMatches key_matches, Fn fn) {
  od::object root;
  SKALD_SJ(doc.get_object().get(root), "body");
  for (auto member : root) {
    od::field f;
    SKALD_SJ(std::move(member).get(f), "body");
    std::string_view key;
    SKALD_SJ(f.unescaped_key().get(key), "body");
    if (!key_matches(key, "streams")) continue;
    od::json_type t;
    SKALD_RETURN_IF_ERROR(TypeOf(f.value(), &t, "streams"));
    if (t == od::json_type::null) continue;
    if (t != od::json_type::array) return JsonError("streams", "must be an array");
    od::array streams;
    SKALD_SJ(f.value().get_array().get(streams), "streams");
    size_t i = 0;
    for (auto item : streams) {
      const std::string at = At("streams", i++);
      od::value sv;
      SKALD_SJ(std::move(item).get(sv), at);
      SKALD_RETURN_IF_ERROR(TypeOf(sv, &t, at));
      if (t == od::json_type::null) continue;
      if (t != od::json_type::object) return JsonError(at, "a stream must be an object");
      od::object obj;
      SKALD_SJ(sv.get_object().get(obj), at);
      SKALD_RETURN_IF_ERROR(fn(obj, at));
    }
  }
  return Status::OK();
}

// Parses `body` and runs `decode(document&)`; catches simdjson exceptions.
template <typename Decode>
Result<PushRequest> ParseAndDecode(std::string_view body, Decode decode) {
  try {
    simdjson::padded_string padded(body);
    od::document doc;
    SKALD_SJ(ScratchParser().iterate(padded).get(doc), "body");
    PushRequest out;
    SKALD_RETURN_IF_ERROR(decode(doc, &out));
    return out;
  } catch (const simdjson::simdjson_error& e) {
    return JsonError("body", e.what());
  }
}

bool ExactKey(std::string_view key, std::string_view want) { return key == want; }

// Go's encoding/json matches struct fields case-insensitively.
bool FoldKey(std::string_view key, std::string_view want) {
  return key.size() == want.size() &&
         std::equal(key.begin(), key.end(), want.begin(), [](char a, char b) {
           return std::tolower(static_cast<unsigned char>(a)) == b;
         });
}

// ---- legacy ----

Status DecodeLegacyString(od::value& v, std::string* out, std::string_view where,
                          std::string_view field) {
  od::json_type t;
  SKALD_RETURN_IF_ERROR(TypeOf(v, &t, where));
  if (t == od::json_type::null) return Status::OK();
  std::string_view s;
  if (t != od::json_type::string || v.get_string().get(s) != simdjson::SUCCESS) {
    return JsonError(where, std::string(field) + " must be a string");
  }
  out->assign(s);
  return Status::OK();
}

Status DecodeLegacyMetadata(od::value& v, Entry* entry, std::string_view where) {
  od::json_type t;
  SKALD_RETURN_IF_ERROR(TypeOf(v, &t, where));
  if (t == od::json_type::null) return Status::OK();
  od::array arr;
  if (t != od::json_type::array || v.get_array().get(arr) != simdjson::SUCCESS) {
    return JsonError(where, "structuredMetadata must be an array of {name, value}");
  }
  for (auto item : arr) {
    od::object obj;
    SKALD_SJ(item.get_object().get(obj), where);
    Label label;
    for (auto member : obj) {
      od::field f;
      SKALD_SJ(std::move(member).get(f), where);
      std::string_view key;
      SKALD_SJ(f.unescaped_key().get(key), where);
      if (FoldKey(key, "name")) {
        SKALD_RETURN_IF_ERROR(DecodeLegacyString(f.value(), &label.name, where, "name"));
      } else if (FoldKey(key, "value")) {
        SKALD_RETURN_IF_ERROR(DecodeLegacyString(f.value(), &label.value, where, "value"));
      }
    }
    entry->metadata.push_back(std::move(label));
  }
  return Status::OK();
}

Status DecodeLegacyEntry(od::object& obj, Entry* entry, std::string_view where) {
  // Go's zero time.Time when "ts" is absent or null.
  entry->timestamp_ns = std::numeric_limits<int64_t>::min();
  for (auto member : obj) {
    od::field f;
    SKALD_SJ(std::move(member).get(f), where);
    std::string_view key;
    SKALD_SJ(f.unescaped_key().get(key), where);
    if (FoldKey(key, "ts")) {
      std::string ts;
      SKALD_RETURN_IF_ERROR(DecodeLegacyString(f.value(), &ts, where, "ts"));
      if (ts.empty()) continue;
      auto ns = ParseRFC3339(ts);
      if (!ns.ok())
        return JsonError(where, "ts \"" + ts + "\" is not RFC3339: " + ns.status().message());
      entry->timestamp_ns = *ns;
    } else if (FoldKey(key, "line")) {
      SKALD_RETURN_IF_ERROR(DecodeLegacyString(f.value(), &entry->line, where, "line"));
    } else if (FoldKey(key, "structuredmetadata")) {
      SKALD_RETURN_IF_ERROR(DecodeLegacyMetadata(f.value(), entry, where));
    }
  }
  return Status::OK();
}

Status DecodeLegacyStream(od::object& obj, PushStream* stream, std::string_view where) {
  for (auto member : obj) {
    od::field f;
    SKALD_SJ(std::move(member).get(f), where);
    std::string_view key;
    SKALD_SJ(f.unescaped_key().get(key), where);
    if (FoldKey(key, "labels")) {
      SKALD_RETURN_IF_ERROR(DecodeLegacyString(f.value(), &stream->labels, where, "labels"));
      continue;
    }
    if (!FoldKey(key, "entries")) continue;
    od::json_type t;
    SKALD_RETURN_IF_ERROR(TypeOf(f.value(), &t, where));
    stream->entries.clear();
    if (t == od::json_type::null) continue;
    od::array arr;
    if (t != od::json_type::array || f.value().get_array().get(arr) != simdjson::SUCCESS) {
      return JsonError(where, "entries must be an array");
    }
    size_t i = 0;
    for (auto item : arr) {
      const std::string at = At(std::string(where) + ".entries", i++);
      od::value ev;
      SKALD_SJ(std::move(item).get(ev), at);
      SKALD_RETURN_IF_ERROR(TypeOf(ev, &t, at));
      if (t == od::json_type::null) continue;
      od::object eo;
      if (t != od::json_type::object || ev.get_object().get(eo) != simdjson::SUCCESS) {
        return JsonError(at, "an entry must be an object");
      }
      Entry entry;
      SKALD_RETURN_IF_ERROR(DecodeLegacyEntry(eo, &entry, at));
      stream->entries.push_back(std::move(entry));
    }
  }
  return Status::OK();
}

#undef SKALD_SJ

}  // namespace

Result<PushRequest> DecodePushJson(std::string_view body) {
  return ParseAndDecode(body, [](od::document& doc, PushRequest* out) {
    return ForEachStream(doc, ExactKey, [out](od::object& obj, std::string_view where) {
      return DecodeV1Stream(obj, &out->streams.emplace_back(), where);
    });
  });
}

Result<PushRequest> DecodeLegacyPushJson(std::string_view body) {
  return ParseAndDecode(body, [](od::document& doc, PushRequest* out) {
    return ForEachStream(doc, FoldKey, [out](od::object& obj, std::string_view where) {
      return DecodeLegacyStream(obj, &out->streams.emplace_back(), where);
    });
  });
}

std::string EncodePushJson(const PushRequest& req) {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject().Key("streams").BeginArray();
  for (const PushStream& stream : req.streams) {
    w.BeginObject().Key("stream").BeginObject();
    auto labels = ParseLabels(stream.labels);
    if (labels.ok()) {
      for (const Label& l : labels->pairs()) w.Key(l.name).String(l.value);
    }
    w.EndObject().Key("values").BeginArray();
    for (const Entry& e : stream.entries) {
      w.BeginArray().String(std::to_string(e.timestamp_ns)).String(e.line);
      if (!e.metadata.empty()) {
        w.BeginObject();
        for (const Label& m : e.metadata) w.Key(m.name).String(m.value);
        w.EndObject();
      }
      w.EndArray();
    }
    w.EndArray().EndObject();
  }
  w.EndArray().EndObject();
  return out;
}

}  // namespace skald::common
