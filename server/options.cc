#include "server/options.h"

#include <yaml-cpp/yaml.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

#include "common/json_writer.h"
#include "common/logging.h"
#include "common/time.h"

namespace skald::server {

using common::Result;
using common::Status;
using common::TenantLimits;

namespace {

// How a field is written in YAML.
enum class Kind : uint8_t {
  kBool = 0,
  kInt = 1,      // int
  kInt64 = 2,    // int64_t
  kDouble = 3,
  kString = 4,
  kGoDuration = 5,    // Go time.Duration ("30s", "2m0s"), stored as ns in int64_t
  kPromDuration = 6,  // Prometheus model.Duration ("7d", "1w"), ns in int64_t
  kByteSize = 7,      // flagext.ByteSize ("256KB"), bytes in int64_t
};

struct Field {
  std::string path;  // "server.http_listen_port"
  Kind kind;
  void* ptr;
};

const char* KindName(Kind k) {
  switch (k) {
    case Kind::kBool: return "bool";
    case Kind::kInt:
    case Kind::kInt64: return "int";
    case Kind::kDouble: return "float";
    case Kind::kString: return "string";
    case Kind::kGoDuration:
    case Kind::kPromDuration: return "duration";
    case Kind::kByteSize: return "byte size";
  }
  return "value";
}

void AddLimitFields(TenantLimits* l, const std::string& p, std::vector<Field>* f) {
  auto add = [&](const char* key, Kind kind, void* ptr) { f->push_back({p + key, kind, ptr}); };
  add("ingestion_rate_mb", Kind::kDouble, &l->ingestion_rate_mb);
  add("ingestion_burst_size_mb", Kind::kDouble, &l->ingestion_burst_size_mb);
  add("per_stream_rate_limit", Kind::kByteSize, &l->per_stream_rate_limit);
  add("per_stream_rate_limit_burst", Kind::kByteSize, &l->per_stream_rate_limit_burst);
  add("max_global_streams_per_user", Kind::kInt64, &l->max_global_streams_per_user);
  add("max_streams_per_user", Kind::kInt64, &l->max_streams_per_user);
  add("max_label_names_per_series", Kind::kInt64, &l->max_label_names_per_series);
  add("max_label_name_length", Kind::kInt64, &l->max_label_name_length);
  add("max_label_value_length", Kind::kInt64, &l->max_label_value_length);
  add("max_line_size", Kind::kByteSize, &l->max_line_size);
  add("max_line_size_truncate", Kind::kBool, &l->max_line_size_truncate);
  add("reject_old_samples", Kind::kBool, &l->reject_old_samples);
  add("reject_old_samples_max_age", Kind::kPromDuration, &l->reject_old_samples_max_age);
  add("creation_grace_period", Kind::kPromDuration, &l->creation_grace_period);
  add("allow_structured_metadata", Kind::kBool, &l->allow_structured_metadata);
  add("max_structured_metadata_size", Kind::kByteSize, &l->max_structured_metadata_size);
  add("max_structured_metadata_entries_count", Kind::kInt64, &l->max_structured_metadata_entries_count);
  add("discover_service_name", Kind::kBool, &l->discover_service_name);
  add("discover_log_levels", Kind::kBool, &l->discover_log_levels);
  add("max_entries_limit_per_query", Kind::kInt64, &l->max_entries_limit_per_query);
  add("max_query_series", Kind::kInt64, &l->max_query_series);
  add("max_query_length", Kind::kPromDuration, &l->max_query_length);
  add("max_query_range", Kind::kPromDuration, &l->max_query_range);
  add("query_timeout", Kind::kPromDuration, &l->query_timeout);
  add("max_concurrent_tail_requests", Kind::kInt64, &l->max_concurrent_tail_requests);
  add("retention_period", Kind::kPromDuration, &l->retention_period);
  add("volume_enabled", Kind::kBool, &l->volume_enabled);
  add("increment_duplicate_timestamp", Kind::kBool, &l->increment_duplicate_timestamp);
}

// Every option in YAML order. `o` is only read when rendering.
std::vector<Field> AllFields(Options* o) {
  std::vector<Field> f;
  auto add = [&](const char* path, Kind kind, void* ptr) { f.push_back({path, kind, ptr}); };
  add("auth_enabled", Kind::kBool, &o->auth_enabled);
  auto& s = o->server;
  add("server.http_listen_address", Kind::kString, &s.http_listen_address);
  add("server.http_listen_port", Kind::kInt, &s.http_listen_port);
  add("server.grpc_listen_port", Kind::kInt, &s.grpc_listen_port);
  add("server.http_server_read_timeout", Kind::kGoDuration, &s.http_server_read_timeout);
  add("server.http_server_write_timeout", Kind::kGoDuration, &s.http_server_write_timeout);
  add("server.http_server_idle_timeout", Kind::kGoDuration, &s.http_server_idle_timeout);
  add("server.log_level", Kind::kString, &s.log_level);
  add("server.log_format", Kind::kString, &s.log_format);
  add("server.http_io_threads", Kind::kInt, &s.http_io_threads);
  add("server.http_worker_threads", Kind::kInt, &s.http_worker_threads);
  add("common.path_prefix", Kind::kString, &o->common.path_prefix);
  auto& i = o->ingester;
  add("ingester.chunk_target_size", Kind::kInt64, &i.chunk_target_size);
  add("ingester.chunk_block_size", Kind::kInt64, &i.chunk_block_size);
  add("ingester.max_chunk_age", Kind::kGoDuration, &i.max_chunk_age);
  add("ingester.chunk_idle_period", Kind::kGoDuration, &i.chunk_idle_period);
  add("ingester.flush_check_period", Kind::kGoDuration, &i.flush_check_period);
  add("ingester.max_head_memory_bytes", Kind::kInt64, &i.max_head_memory_bytes);
  add("ingester.memory_wait_timeout", Kind::kGoDuration, &i.memory_wait_timeout);
  add("ingester.wal.enabled", Kind::kBool, &i.wal.enabled);
  add("ingester.wal.dir", Kind::kString, &i.wal.dir);
  add("ingester.wal.sync_mode", Kind::kString, &i.wal.sync_mode);
  add("ingester.wal.flush_on_shutdown", Kind::kBool, &i.wal.flush_on_shutdown);
  AddLimitFields(&o->limits_config, "limits_config.", &f);
  add("runtime_config.file", Kind::kString, &o->runtime_config.file);
  add("query.max_concurrency", Kind::kInt, &o->query.max_concurrency);
  add("query.chunk_cache_bytes", Kind::kInt64, &o->query.chunk_cache_bytes);
  add("compactor.retention_enabled", Kind::kBool, &o->compactor.retention_enabled);
  add("compactor.working_directory", Kind::kString, &o->compactor.working_directory);
  return f;
}

template <typename T>
bool ParseNumber(const std::string& s, T* out) {
  const char* end = s.data() + s.size();
  auto r = std::from_chars(s.data(), end, *out);
  return r.ec == std::errc() && r.ptr == end;
}

bool ParseBool(const std::string& s, bool* out) {
  static const std::set<std::string> kTrue = {"true", "True", "TRUE", "yes", "Yes", "on", "On"};
  static const std::set<std::string> kFalse = {"false", "False", "FALSE", "no", "No", "off", "Off"};
  if (kTrue.count(s)) {
    *out = true;
  } else if (kFalse.count(s)) {
    *out = false;
  } else {
    return false;
  }
  return true;
}

// Parses `text` into the field; false when it does not fit the kind.
bool SetField(const Field& f, const std::string& text) {
  switch (f.kind) {
    case Kind::kBool: return ParseBool(text, static_cast<bool*>(f.ptr));
    case Kind::kInt: return ParseNumber(text, static_cast<int*>(f.ptr));
    case Kind::kInt64: return ParseNumber(text, static_cast<int64_t*>(f.ptr));
    case Kind::kDouble: return ParseNumber(text, static_cast<double*>(f.ptr));
    case Kind::kString: *static_cast<std::string*>(f.ptr) = text; return true;
    case Kind::kGoDuration: {
      auto d = common::ParseGoDuration(text);
      if (d.ok()) *static_cast<int64_t*>(f.ptr) = *d;
      return d.ok();
    }
    case Kind::kPromDuration: {
      auto d = common::ParsePromDuration(text);
      if (d.ok()) *static_cast<int64_t*>(f.ptr) = *d;
      return d.ok();
    }
    case Kind::kByteSize: {
      auto b = ParseByteSize(text);
      if (b.ok()) *static_cast<int64_t*>(f.ptr) = *b;
      return b.ok();
    }
  }
  return false;
}

std::string FieldText(const Field& f) {
  switch (f.kind) {
    case Kind::kBool: return *static_cast<bool*>(f.ptr) ? "true" : "false";
    case Kind::kInt: return std::to_string(*static_cast<int*>(f.ptr));
    case Kind::kInt64: return std::to_string(*static_cast<int64_t*>(f.ptr));
    case Kind::kDouble: return common::FormatFloatGo(*static_cast<double*>(f.ptr));
    case Kind::kString: return *static_cast<std::string*>(f.ptr);
    case Kind::kGoDuration: return common::FormatGoDuration(*static_cast<int64_t*>(f.ptr));
    case Kind::kPromDuration: return common::FormatPromDuration(*static_cast<int64_t*>(f.ptr));
    case Kind::kByteSize: return FormatByteSize(*static_cast<int64_t*>(f.ptr));
  }
  return {};
}

std::string Where(std::string_view filename, const YAML::Mark& mark) {
  return std::string(filename) + ":" + std::to_string(mark.line + 1);
}

// Walks a YAML map strictly: every key must be a field or a section.
Status Walk(const YAML::Node& node, const std::string& prefix, const std::vector<Field>& fields,
            std::string_view filename) {
  if (node.IsNull()) return Status::OK();
  std::string section = prefix.empty() ? "" : prefix.substr(0, prefix.size() - 1);
  if (!node.IsMap()) {
    return Status::InvalidArgument(Where(filename, node.Mark()) + ": expected a map" +
                                   (section.empty() ? "" : " for " + section));
  }
  for (const auto& kv : node) {
    std::string key = kv.first.Scalar();
    std::string path = prefix + key;
    const Field* field = nullptr;
    bool is_section = false;
    for (const auto& f : fields) {
      if (f.path == path) field = &f;
      if (f.path.size() > path.size() && f.path.compare(0, path.size() + 1, path + ".") == 0) is_section = true;
    }
    if (field != nullptr) {
      const YAML::Node& v = kv.second;
      std::string text = v.IsNull() ? "" : (v.IsScalar() ? v.Scalar() : "<non-scalar>");
      bool ok = v.IsScalar() || (v.IsNull() && field->kind == Kind::kString);
      if (!ok || !SetField(*field, text)) {
        return Status::InvalidArgument(Where(filename, v.Mark()) + ": cannot parse \"" + text + "\" as " +
                                       KindName(field->kind) + " for " + path);
      }
    } else if (is_section) {
      SKALD_RETURN_IF_ERROR(Walk(kv.second, path + ".", fields, filename));
    } else {
      return Status::InvalidArgument(Where(filename, kv.first.Mark()) + ": unknown key \"" + key + "\"" +
                                     (section.empty() ? "" : " in " + section));
    }
  }
  return Status::OK();
}

Result<YAML::Node> LoadYaml(std::string_view text, std::string_view filename) {
  try {
    return YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(Where(filename, e.mark) + ": " + e.msg);
  }
}

Result<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::InvalidArgument("cannot read config file", path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Status Validate(const Options& o) {
  if (!common::IsValidLogLevel(o.server.log_level)) {
    return Status::InvalidArgument("invalid server.log_level \"" + o.server.log_level +
                                   "\" (want debug, info, warn or error)");
  }
  if (!common::IsValidLogFormat(o.server.log_format)) {
    return Status::InvalidArgument("invalid server.log_format \"" + o.server.log_format + "\" (want logfmt or json)");
  }
  if (o.server.http_listen_port < 0 || o.server.http_listen_port > 65535) {
    return Status::InvalidArgument("server.http_listen_port out of range: " + std::to_string(o.server.http_listen_port));
  }
  if (o.ingester.wal.sync_mode != "group" && o.ingester.wal.sync_mode != "none") {
    return Status::InvalidArgument("invalid ingester.wal.sync_mode \"" + o.ingester.wal.sync_mode +
                                   "\" (want group or none)");
  }
  return Status::OK();
}

// Loki flags are single-dash long flags; CLI11 wants two dashes.
std::string RewriteFlag(const std::string& arg) {
  if (arg.size() > 2 && arg[0] == '-' && arg[1] != '-' && std::isalpha(static_cast<unsigned char>(arg[1]))) {
    return "-" + arg;
  }
  return arg;
}

}  // namespace

Result<int64_t> ParseByteSize(std::string_view s) {
  std::string text(s);
  size_t i = 0;
  while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) ++i;
  std::string number = text.substr(0, i);
  std::string unit = text.substr(i);
  unit.erase(0, unit.find_first_not_of(' '));
  std::transform(unit.begin(), unit.end(), unit.begin(), [](unsigned char c) { return std::tolower(c); });
  static const std::map<std::string, double> kUnits = {
      // Loki's limits are dskit flagext.ByteSize values, parsed with
      // ParseBase2Bytes: KB, MB, ... are powers of 1024 ("256KB" = 262144).
      {"", 1},           {"b", 1},          {"k", 1024.0},     {"kb", 1024.0},    {"ki", 1024.0},
      {"kib", 1024.0},   {"m", 1048576.0},  {"mb", 1048576.0}, {"mi", 1048576.0}, {"mib", 1048576.0},
      {"g", 1073741824.0}, {"gb", 1073741824.0}, {"gi", 1073741824.0}, {"gib", 1073741824.0},
      {"t", 1099511627776.0}, {"tb", 1099511627776.0}, {"ti", 1099511627776.0}, {"tib", 1099511627776.0}};
  double v = 0;
  auto it = kUnits.find(unit);
  if (number.empty() || it == kUnits.end() || !ParseNumber(number, &v)) {
    return Status::InvalidArgument("invalid byte size \"" + text + "\"");
  }
  return static_cast<int64_t>(v * it->second);
}

std::string FormatByteSize(int64_t bytes) {
  // Like dskit's ByteSize (units.Base2Bytes): the largest power-of-1024 unit
  // that divides the value exactly, so the text parses back to the same value.
  static const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  while (u < 4 && bytes != 0 && bytes % 1024 == 0) {
    bytes /= 1024;
    ++u;
  }
  return std::to_string(bytes) + kUnits[u];
}

std::string ExpandEnv(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '$' || i + 1 >= text.size()) {
      out.push_back(text[i]);
      continue;
    }
    std::string name;
    std::string fallback;
    if (text[i + 1] == '{') {
      size_t close = text.find('}', i + 2);
      if (close == std::string_view::npos) {
        out.push_back(text[i]);
        continue;
      }
      std::string inner(text.substr(i + 2, close - i - 2));
      size_t colon = inner.find(':');
      name = inner.substr(0, colon);
      if (colon != std::string::npos) {
        fallback = inner.substr(colon + 1);
        if (!fallback.empty() && fallback[0] == '-') fallback.erase(0, 1);
      }
      i = close;
    } else {
      size_t j = i + 1;
      while (j < text.size() && (std::isalnum(static_cast<unsigned char>(text[j])) || text[j] == '_')) ++j;
      if (j == i + 1) {
        out.push_back(text[i]);
        continue;
      }
      name = std::string(text.substr(i + 1, j - i - 1));
      i = j - 1;
    }
    const char* v = std::getenv(name.c_str());
    out.append((v != nullptr && *v != '\0') ? v : fallback);
  }
  return out;
}

const TenantLimits& Options::LimitsFor(const std::string& tenant) const {
  auto it = tenant_overrides.find(tenant);
  return it == tenant_overrides.end() ? limits_config : it->second;
}

std::string Options::ToYaml(std::string_view mode) const {
  Options copy = mode == "defaults" ? Options() : *this;
  Options defaults;
  std::vector<Field> fields = AllFields(&copy);
  std::vector<Field> default_fields = AllFields(&defaults);
  YAML::Node root(YAML::NodeType::Map);
  for (size_t i = 0; i < fields.size(); ++i) {
    std::string text = FieldText(fields[i]);
    if (mode == "diffs" && text == FieldText(default_fields[i])) continue;
    YAML::Node cur = root;
    std::string_view path = fields[i].path;
    size_t dot;
    while ((dot = path.find('.')) != std::string_view::npos) {
      cur.reset(cur[std::string(path.substr(0, dot))]);
      path.remove_prefix(dot + 1);
    }
    cur[std::string(path)] = text;
  }
  YAML::Emitter emitter;
  emitter << root;
  std::string out = emitter.c_str();
  if (root.size() == 0) out = "{}";
  return out + "\n";
}

Result<Options> ParseYamlConfig(std::string_view text, std::string_view filename) {
  Result<YAML::Node> doc = LoadYaml(text, filename);
  if (!doc.ok()) return doc.status();
  Options o;
  std::vector<Field> fields = AllFields(&o);
  SKALD_RETURN_IF_ERROR(Walk(*doc, "", fields, filename));
  return o;
}

Status LoadRuntimeConfig(Options* options) {
  const std::string& file = options->runtime_config.file;
  options->tenant_overrides.clear();
  if (file.empty()) return Status::OK();
  Result<std::string> text = ReadFile(file);
  if (!text.ok()) return text.status();
  Result<YAML::Node> doc = LoadYaml(*text, file);
  if (!doc.ok()) return doc.status();
  if (doc->IsNull()) return Status::OK();
  if (!doc->IsMap()) return Status::InvalidArgument(Where(file, doc->Mark()) + ": expected a map");
  for (const auto& top : *doc) {
    if (top.first.Scalar() != "overrides") {
      return Status::InvalidArgument(Where(file, top.first.Mark()) + ": unknown key \"" + top.first.Scalar() + "\"");
    }
    if (top.second.IsNull()) continue;
    if (!top.second.IsMap()) return Status::InvalidArgument(Where(file, top.second.Mark()) + ": expected a map for overrides");
    for (const auto& tenant : top.second) {
      TenantLimits limits = options->limits_config;
      std::vector<Field> fields;
      AddLimitFields(&limits, "", &fields);
      SKALD_RETURN_IF_ERROR(Walk(tenant.second, "", fields, file));
      options->tenant_overrides[tenant.first.Scalar()] = limits;
    }
  }
  return Status::OK();
}

Result<CommandLine> ParseCommandLine(const std::vector<std::string>& args) {
  CLI::App app{"skald: a Grafana-Loki-compatible log server"};
  std::string config_file;
  bool expand_env = false;
  int port = 0;
  std::string address, path_prefix, log_level, log_format;
  bool auth = false;
  CommandLine cl;
  app.add_option("--config.file", config_file, "YAML config file");
  app.add_flag("--config.expand-env", expand_env, "expand ${VAR} and ${VAR:-default} in the config file");
  auto* port_opt = app.add_option("--server.http-listen-port", port, "HTTP listen port (default 3100)");
  auto* addr_opt = app.add_option("--server.http-listen-address", address, "HTTP listen address (default all)");
  auto* prefix_opt = app.add_option("--common.path-prefix", path_prefix, "data directory (default ./data)");
  auto* auth_opt = app.add_flag("--auth.enabled", auth, "require X-Scope-OrgID (multi-tenant)");
  auto* level_opt = app.add_option("--log.level", log_level, "debug, info, warn or error");
  auto* format_opt = app.add_option("--log.format", log_format, "logfmt or json");
  app.add_flag("--version", cl.show_version, "print the version and exit");
  std::vector<std::string> reversed;
  for (auto it = args.rbegin(); it != args.rend(); ++it) reversed.push_back(RewriteFlag(*it));
  try {
    app.parse(reversed);
  } catch (const CLI::CallForHelp&) {
    cl.show_help = true;
    cl.help = app.help();
    return cl;
  } catch (const CLI::ParseError& e) {
    return Status::InvalidArgument(e.what());
  }
  if (cl.show_version) return cl;
  if (!config_file.empty()) {
    Result<std::string> text = ReadFile(config_file);
    if (!text.ok()) return text.status();
    std::string body = expand_env ? ExpandEnv(*text) : *text;
    Result<Options> parsed = ParseYamlConfig(body, config_file);
    if (!parsed.ok()) return parsed.status();
    cl.options = std::move(parsed).value();
  }
  Options& o = cl.options;
  if (port_opt->count() > 0) o.server.http_listen_port = port;
  if (addr_opt->count() > 0) o.server.http_listen_address = address;
  if (prefix_opt->count() > 0) o.common.path_prefix = path_prefix;
  if (auth_opt->count() > 0) o.auth_enabled = auth;
  if (level_opt->count() > 0) o.server.log_level = log_level;
  if (format_opt->count() > 0) o.server.log_format = log_format;
  SKALD_RETURN_IF_ERROR(Validate(o));
  SKALD_RETURN_IF_ERROR(LoadRuntimeConfig(&o));
  return cl;
}

}  // namespace skald::server
