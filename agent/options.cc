#include "agent/options.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "agent/pipeline/pipeline.h"
#include "agent/pipeline/stages/yaml_map.h"

namespace skald::agent {

using common::Result;
using common::Status;
using pipeline::YamlMap;

namespace {

Status ReadServer(YamlMap m, ServerOptions* o) {
  SKALD_RETURN_IF_ERROR(m.CheckIsMap());
  SKALD_RETURN_IF_ERROR(m.GetInt("http_listen_port", &o->http_listen_port));
  SKALD_RETURN_IF_ERROR(m.GetString("http_listen_address", &o->http_listen_address));
  SKALD_RETURN_IF_ERROR(m.GetInt("grpc_listen_port", &o->grpc_listen_port));
  std::string ignored;
  SKALD_RETURN_IF_ERROR(m.GetString("grpc_listen_address", &ignored));
  SKALD_RETURN_IF_ERROR(m.GetString("log_level", &o->log_level));
  SKALD_RETURN_IF_ERROR(m.GetString("log_format", &o->log_format));
  SKALD_RETURN_IF_ERROR(m.GetBool("disable", &o->disable));
  SKALD_RETURN_IF_ERROR(m.CheckNoUnknownKeys());
  if (o->http_listen_port < 0 || o->http_listen_port > 65535) {
    return m.Error("http_listen_port", "must be between 0 and 65535");
  }
  static const char* kLevels[] = {"debug", "info", "warn", "error"};
  bool ok = false;
  for (const char* l : kLevels) ok = ok || o->log_level == l;
  if (!ok) return m.Error("log_level", "must be one of debug, info, warn, error");
  if (o->log_format != "logfmt" && o->log_format != "json") {
    return m.Error("log_format", "must be logfmt or json");
  }
  return Status::OK();
}

Status ReadPositions(YamlMap m, PositionsOptions* o) {
  SKALD_RETURN_IF_ERROR(m.CheckIsMap());
  SKALD_RETURN_IF_ERROR(m.GetString("filename", &o->filename));
  SKALD_RETURN_IF_ERROR(m.GetDuration("sync_period", &o->sync_period_ns));
  SKALD_RETURN_IF_ERROR(m.GetBool("ignore_invalid_yaml", &o->ignore_invalid_yaml));
  SKALD_RETURN_IF_ERROR(m.CheckNoUnknownKeys());
  if (o->filename.empty()) return m.Error("filename", "must not be empty");
  if (o->sync_period_ns <= 0) return m.Error("sync_period", "must be positive");
  return Status::OK();
}

Status ReadClient(YamlMap m, client::ClientConfig* c) {
  SKALD_RETURN_IF_ERROR(m.CheckIsMap());
  SKALD_RETURN_IF_ERROR(m.GetString("url", &c->url));
  SKALD_RETURN_IF_ERROR(m.GetString("tenant_id", &c->tenant_id));
  SKALD_RETURN_IF_ERROR(m.GetDuration("batchwait", &c->batchwait_ns));
  SKALD_RETURN_IF_ERROR(m.GetBytes("batchsize", &c->batchsize_bytes));
  SKALD_RETURN_IF_ERROR(m.GetDuration("timeout", &c->timeout_ns));
  SKALD_RETURN_IF_ERROR(m.GetStringMap("external_labels", &c->external_labels));
  SKALD_RETURN_IF_ERROR(m.GetString("bearer_token", &c->bearer_token));
  SKALD_RETURN_IF_ERROR(m.GetString("bearer_token_file", &c->bearer_token_file));
  SKALD_RETURN_IF_ERROR(m.GetBool("drop_rate_limited_batches", &c->drop_rate_limited_batches));
  YamlMap b(m.GetNode("backoff_config"), m.file(), m.PathOf("backoff_config"));
  SKALD_RETURN_IF_ERROR(b.CheckIsMap());
  SKALD_RETURN_IF_ERROR(b.GetDuration("min_period", &c->backoff.min_period_ns));
  SKALD_RETURN_IF_ERROR(b.GetDuration("max_period", &c->backoff.max_period_ns));
  SKALD_RETURN_IF_ERROR(b.GetInt("max_retries", &c->backoff.max_retries));
  SKALD_RETURN_IF_ERROR(b.CheckNoUnknownKeys());
  YamlMap a(m.GetNode("basic_auth"), m.file(), m.PathOf("basic_auth"));
  SKALD_RETURN_IF_ERROR(a.CheckIsMap());
  SKALD_RETURN_IF_ERROR(a.GetString("username", &c->basic_auth.username));
  SKALD_RETURN_IF_ERROR(a.GetString("password", &c->basic_auth.password));
  SKALD_RETURN_IF_ERROR(a.GetString("password_file", &c->basic_auth.password_file));
  SKALD_RETURN_IF_ERROR(a.CheckNoUnknownKeys());
  YamlMap t(m.GetNode("tls_config"), m.file(), m.PathOf("tls_config"));
  SKALD_RETURN_IF_ERROR(t.CheckIsMap());
  SKALD_RETURN_IF_ERROR(t.GetString("ca_file", &c->tls.ca_file));
  SKALD_RETURN_IF_ERROR(t.GetString("cert_file", &c->tls.cert_file));
  SKALD_RETURN_IF_ERROR(t.GetString("key_file", &c->tls.key_file));
  SKALD_RETURN_IF_ERROR(t.GetString("server_name", &c->tls.server_name));
  SKALD_RETURN_IF_ERROR(t.GetBool("insecure_skip_verify", &c->tls.insecure_skip_verify));
  SKALD_RETURN_IF_ERROR(t.CheckNoUnknownKeys());
  SKALD_RETURN_IF_ERROR(m.CheckNoUnknownKeys());
  if (c->url.empty()) return m.Error("url", "client url is required");
  if (!c->url.starts_with("http://") && !c->url.starts_with("https://")) {
    return m.Error("url", "must start with http:// or https://");
  }
  if (c->batchsize_bytes <= 0) return m.Error("batchsize", "must be positive");
  if (c->batchwait_ns <= 0) return m.Error("batchwait", "must be positive");
  if (c->backoff.min_period_ns <= 0 || c->backoff.max_period_ns < c->backoff.min_period_ns) {
    return m.Error("backoff_config", "need 0 < min_period <= max_period");
  }
  if (!c->basic_auth.username.empty() &&
      (!c->bearer_token.empty() || !c->bearer_token_file.empty())) {
    return m.Error("basic_auth", "at most one of basic_auth and bearer_token may be set");
  }
  return Status::OK();
}

Status ReadScrape(YamlMap m, ScrapeConfig* s) {
  SKALD_RETURN_IF_ERROR(m.CheckIsMap());
  SKALD_RETURN_IF_ERROR(m.GetString("job_name", &s->job_name));
  YAML::Node statics = m.GetNode("static_configs");
  if (statics.IsDefined() && !statics.IsNull()) {
    if (!statics.IsSequence()) return m.Error("static_configs", "expected a list");
    size_t i = 0;
    for (const auto& sc : statics) {
      YamlMap sm(sc, m.file(), m.PathOf("static_configs[" + std::to_string(i++) + "]"));
      StaticConfig st;
      SKALD_RETURN_IF_ERROR(sm.CheckIsMap());
      SKALD_RETURN_IF_ERROR(sm.GetStringList("targets", &st.targets));
      SKALD_RETURN_IF_ERROR(sm.GetStringMap("labels", &st.labels));
      SKALD_RETURN_IF_ERROR(sm.CheckNoUnknownKeys());
      if (!st.labels.contains("__path__")) {
        return sm.Error("labels", "a static config needs a __path__ label (the files to tail)");
      }
      s->static_configs.push_back(std::move(st));
    }
  }
  s->pipeline_stages = m.GetNode("pipeline_stages");
  s->file = m.file();
  for (const char* unsupported :
       {"relabel_configs", "kubernetes_sd_configs", "docker_sd_configs", "journal", "syslog",
        "loki_push_api", "windows_events", "gcplog", "kafka", "gelf", "cloudflare", "heroku_drain",
        "consul_sd_configs", "consulagent_sd_configs", "file_sd_configs", "azure_event_hubs"}) {
    if (m.Has(unsupported)) {
      return m.Error(unsupported, std::string(unsupported) +
                                      " is not supported by skald-agent (only static_configs)");
    }
  }
  YAML::Node ignored = m.GetNode("encoding");
  SKALD_RETURN_IF_ERROR(m.CheckNoUnknownKeys());
  if (s->job_name.empty()) return m.Error("job_name", "job_name is required");
  if (s->static_configs.empty()) return m.Error("static_configs", "at least one is required");
  Result<std::unique_ptr<pipeline::Pipeline>> p =
      pipeline::Pipeline::Create(s->pipeline_stages, m.file(), m.PathOf("pipeline_stages"));
  if (!p.ok()) return p.status();
  return Status::OK();
}

Status ReadLimits(YamlMap m, LimitsOptions* o) {
  SKALD_RETURN_IF_ERROR(m.CheckIsMap());
  SKALD_RETURN_IF_ERROR(m.GetBool("readline_rate_enabled", &o->readline_rate_enabled));
  SKALD_RETURN_IF_ERROR(m.GetDouble("readline_rate", &o->readline_rate));
  SKALD_RETURN_IF_ERROR(m.GetInt("readline_burst", &o->readline_burst));
  SKALD_RETURN_IF_ERROR(m.GetBool("readline_rate_drop", &o->readline_rate_drop));
  SKALD_RETURN_IF_ERROR(m.GetInt("max_streams", &o->max_streams));
  SKALD_RETURN_IF_ERROR(m.GetBytes("max_line_size", &o->max_line_size));
  SKALD_RETURN_IF_ERROR(m.GetBool("max_line_size_truncate", &o->max_line_size_truncate));
  SKALD_RETURN_IF_ERROR(m.CheckNoUnknownKeys());
  if (o->readline_rate <= 0) return m.Error("readline_rate", "must be positive");
  return Status::OK();
}

template <typename T, typename Fn>
Status ReadList(YamlMap* root, const char* key, Fn read, std::vector<T>* out) {
  YAML::Node list = root->GetNode(key);
  if (!list.IsDefined() || list.IsNull()) return Status::OK();
  if (!list.IsSequence()) return root->Error(key, "expected a list");
  size_t i = 0;
  for (const auto& item : list) {
    T value;
    SKALD_RETURN_IF_ERROR(
        read(YamlMap(item, root->file(), std::string(key) + "[" + std::to_string(i++) + "]"),
             &value));
    out->push_back(std::move(value));
  }
  return Status::OK();
}

}  // namespace

AgentOptions DefaultAgentOptions() {
  AgentOptions o;
  o.positions.filename = "/tmp/positions.yaml";
  client::ClientConfig c;
  c.url = "http://127.0.0.1:3100/loki/api/v1/push";
  o.clients.push_back(c);
  ScrapeConfig s;
  s.job_name = "docker";
  s.static_configs.push_back(
      {{"localhost"}, {{"job", "docker"}, {"__path__", "/var/lib/docker/containers/*/*-json.log"}}});
  s.pipeline_stages = YAML::Load("[{docker: {}}]");
  s.file = "<default config>";
  o.scrape_configs.push_back(std::move(s));
  return o;
}

std::string ExpandEnv(const std::string& text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '$' || i + 1 >= text.size()) {
      out += text[i];
      continue;
    }
    if (text[i + 1] == '{') {
      size_t close = text.find('}', i + 2);
      if (close == std::string::npos) {
        out += text[i];
        continue;
      }
      std::string inner = text.substr(i + 2, close - i - 2);
      std::string def;
      size_t dash = inner.find(":-");
      if (dash != std::string::npos) {
        def = inner.substr(dash + 2);
        inner = inner.substr(0, dash);
      }
      const char* v = std::getenv(inner.c_str());
      out += (v != nullptr && *v != '\0') ? std::string(v) : def;
      i = close;
      continue;
    }
    size_t j = i + 1;
    while (j < text.size() && (std::isalnum(static_cast<unsigned char>(text[j])) || text[j] == '_')) ++j;
    if (j == i + 1) {
      out += text[i];
      continue;
    }
    const char* v = std::getenv(text.substr(i + 1, j - i - 1).c_str());
    if (v != nullptr) out += v;
    i = j - 1;
  }
  return out;
}

Result<AgentOptions> ParseAgentOptions(const std::string& text, const std::string& file,
                                       bool expand_env) {
  AgentOptions o;
  YAML::Node root;
  try {
    root = YAML::Load(expand_env ? ExpandEnv(text) : text);
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(file + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
  YamlMap m(root, file, "");
  SKALD_RETURN_IF_ERROR(m.CheckIsMap());
  SKALD_RETURN_IF_ERROR(ReadServer(YamlMap(m.GetNode("server"), file, "server"), &o.server));
  SKALD_RETURN_IF_ERROR(
      ReadPositions(YamlMap(m.GetNode("positions"), file, "positions"), &o.positions));
  SKALD_RETURN_IF_ERROR(ReadList(&m, "clients", ReadClient, &o.clients));
  // Promtail also accepts a single `client:` (deprecated).
  YAML::Node single = m.GetNode("client");
  if (single.IsDefined() && !single.IsNull()) {
    client::ClientConfig c;
    SKALD_RETURN_IF_ERROR(ReadClient(YamlMap(single, file, "client"), &c));
    o.clients.push_back(std::move(c));
  }
  SKALD_RETURN_IF_ERROR(ReadList(&m, "scrape_configs", ReadScrape, &o.scrape_configs));
  SKALD_RETURN_IF_ERROR(ReadLimits(YamlMap(m.GetNode("limits_config"), file, "limits_config"),
                                   &o.limits));
  YamlMap t(m.GetNode("target_config"), file, "target_config");
  SKALD_RETURN_IF_ERROR(t.CheckIsMap());
  SKALD_RETURN_IF_ERROR(t.GetDuration("sync_period", &o.target.sync_period_ns));
  SKALD_RETURN_IF_ERROR(t.CheckNoUnknownKeys());
  if (o.target.sync_period_ns <= 0) return t.Error("sync_period", "must be positive");
  SKALD_RETURN_IF_ERROR(m.CheckNoUnknownKeys());
  return o;
}

Result<AgentOptions> LoadAgentOptions(const std::string& path, bool expand_env) {
  std::ifstream in(path);
  if (!in) return Status::IOError("cannot read config file", path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ParseAgentOptions(ss.str(), path, expand_env);
}

}  // namespace skald::agent
