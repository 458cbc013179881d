#include "server/api/labels_handler.h"

#include <algorithm>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "common/json_writer.h"
#include "common/logql/parser.h"
#include "server/api/error_response.h"
#include "server/api/query_params.h"

namespace skald::server::api {

using common::Matcher;
using common::Result;
using common::Status;
using common::http::Request;
using common::http::Response;

namespace {

struct Scope {
  std::string tenant;
  TimeBounds bounds;
  std::vector<Matcher> matchers;
};

// Tenant, time bounds and the optional `query` selector.
Result<Scope> ParseScope(const ReadApi& api, const Request& req) {
  Scope s;
  auto tenant = ReadTenant(req, api.tenants);
  if (!tenant.ok()) return tenant.status();
  s.tenant = std::move(tenant).value();
  auto bounds = ParseTimeBounds(req, api.clock->NowNanos());
  if (!bounds.ok()) return bounds.status();
  s.bounds = *bounds;
  std::string_view q = req.Param("query");
  if (!q.empty()) {
    auto m = common::logql::ParseMatchers(q, true);
    if (!m.ok()) return Status::InvalidArgument(m.status().message());
    s.matchers = std::move(m).value();
  }
  return s;
}

void HeadStreams(const ReadApi& api, const Scope& s,
                 const std::function<void(const common::Labels&, const ingest::HeadStats&)>& fn) {
  if (api.ingester == nullptr) return;
  api.ingester->ForEachStreamStats(s.tenant, s.matchers, s.bounds.start_ns, s.bounds.end_ns, fn);
}

Response StringList(const std::vector<std::string>& values, bool legacy) {
  std::string out;
  common::JsonWriter w(&out);
  w.BeginObject();
  if (legacy) {
    w.Key("values").BeginArray();
    for (const auto& v : values) w.String(v);
    w.EndArray();
  } else {
    w.Key("status").String("success");
    if (!values.empty()) {
      w.Key("data").BeginArray();
      for (const auto& v : values) w.String(v);
      w.EndArray();
    }
  }
  w.EndObject();
  return Response::Json(200, std::move(out));
}

Result<std::vector<std::string>> LabelNames(const ReadApi& api, const Scope& s) {
  auto names = api.index->LabelNames(s.tenant, s.bounds.start_ns, s.bounds.end_ns, s.matchers);
  if (!names.ok()) return names.status();
  std::set<std::string> all(names->begin(), names->end());
  HeadStreams(api, s, [&](const common::Labels& l, const ingest::HeadStats&) {
    for (const auto& p : l.pairs()) all.insert(p.name);
  });
  return std::vector<std::string>(all.begin(), all.end());
}

Result<std::vector<std::string>> LabelValues(const ReadApi& api, const Scope& s, std::string_view name) {
  auto values = api.index->LabelValues(s.tenant, name, s.bounds.start_ns, s.bounds.end_ns, s.matchers);
  if (!values.ok()) return values.status();
  std::set<std::string> all(values->begin(), values->end());
  HeadStreams(api, s, [&](const common::Labels& l, const ingest::HeadStats&) {
    if (auto v = l.Get(name)) all.insert(std::string(*v));
  });
  return std::vector<std::string>(all.begin(), all.end());
}

Response Labels(const ReadApi& api, const Request& req, bool legacy) {
  auto s = ParseScope(api, req);
  if (!s.ok()) return ErrorResponse(s.status());
  auto names = LabelNames(api, *s);
  if (!names.ok()) return ErrorResponse(names.status());
  return StringList(*names, legacy);
}

Response Values(const ReadApi& api, const Request& req, bool legacy) {
  auto s = ParseScope(api, req);
  if (!s.ok()) return ErrorResponse(s.status());
  auto values = LabelValues(api, *s, req.PathParam("name"));
  if (!values.ok()) return ErrorResponse(values.status());
  return StringList(*values, legacy);
}

// match[] and match, de-duplicated; a lone "{}" (or none) means every stream.
Result<std::vector<std::vector<Matcher>>> SeriesGroups(const Request& req) {
  std::vector<std::string> raw = req.Params("match[]");
  for (auto& m : req.Params("match")) raw.push_back(std::move(m));
  std::vector<std::string> uniq;
  for (auto& m : raw) {
    if (std::find(uniq.begin(), uniq.end(), m) == uniq.end()) uniq.push_back(std::move(m));
  }
  std::vector<std::vector<Matcher>> groups;
  if (uniq.empty() || (uniq.size() == 1 && uniq[0] == "{}")) return groups;
  for (const auto& m : uniq) {
    auto ms = common::logql::ParseMatchers(m, true);
    if (!ms.ok()) return Status::InvalidArgument(ms.status().message());
    if (ms->empty()) return Status::InvalidArgument("0 matchers in group: " + m);
    groups.push_back(std::move(ms).value());
  }
  return groups;
}

}  // namespace

Response HandleLabels(const ReadApi& api, const Request& req) { return Labels(api, req, false); }
Response HandleLegacyLabels(const ReadApi& api, const Request& req) { return Labels(api, req, true); }
Response HandleLabelValues(const ReadApi& api, const Request& req) { return Values(api, req, false); }
Response HandleLegacyLabelValues(const ReadApi& api, const Request& req) { return Values(api, req, true); }

Response HandleSeries(const ReadApi& api, const Request& req) {
  auto tenant = ReadTenant(req, api.tenants);
  if (!tenant.ok()) return ErrorResponse(tenant.status());
  auto bounds = ParseTimeBounds(req, api.clock->NowNanos());
  if (!bounds.ok()) return ErrorResponse(bounds.status());
  auto groups = SeriesGroups(req);
  if (!groups.ok()) return ErrorResponse(groups.status());
  auto series = api.index->Series(*tenant, *groups, bounds->start_ns, bounds->end_ns);
  if (!series.ok()) return ErrorResponse(series.status());
  std::map<std::string, common::Labels> all;
  for (auto& s : *series) all.emplace(s.labels.ToString(), std::move(s.labels));
  if (api.ingester != nullptr) {
    auto add = [&](const common::Labels& l, const ingest::HeadStats&) { all.emplace(l.ToString(), l); };
    if (groups->empty()) {
      api.ingester->ForEachStreamStats(*tenant, {}, bounds->start_ns, bounds->end_ns, add);
    }
    for (const auto& g : *groups) {
      api.ingester->ForEachStreamStats(*tenant, g, bounds->start_ns, bounds->end_ns, add);
    }
  }
  std::string out;
  common::JsonWriter w(&out);
  w.BeginObject().Key("status").String("success").Key("data").BeginArray();
  for (const auto& [text, labels] : all) {
    w.BeginObject();
    for (const auto& p : labels.pairs()) w.Key(p.name).String(p.value);
    w.EndObject();
  }
  w.EndArray().EndObject();
  return Response::Json(200, std::move(out));
}

Response HandleIndexStats(const ReadApi& api, const Request& req) {
  auto s = ParseScope(api, req);
  if (!s.ok()) return ErrorResponse(s.status());
  auto stats = api.index->Stats(s->tenant, s->matchers, s->bounds.start_ns, s->bounds.end_ns);
  if (!stats.ok()) return ErrorResponse(stats.status());
  store::IndexStats total = *stats;
  if (api.ingester != nullptr) {
    auto indexed = api.index->FindStreams(s->tenant, s->matchers, s->bounds.start_ns, s->bounds.end_ns);
    if (!indexed.ok()) return ErrorResponse(indexed.status());
    std::set<std::string> known;
    for (const auto& st : *indexed) known.insert(st.labels.ToString());
    HeadStreams(api, *s, [&](const common::Labels& l, const ingest::HeadStats& h) {
      if (!known.count(l.ToString())) ++total.streams;
      total.chunks += h.chunks;
      total.bytes += h.bytes;
      total.entries += h.entries;
    });
  }
  std::string out;
  common::JsonWriter w(&out);
  w.BeginObject()
      .Key("streams").Uint(total.streams)
      .Key("chunks").Uint(total.chunks)
      .Key("bytes").Uint(total.bytes)
      .Key("entries").Uint(total.entries)
      .EndObject();
  return Response::Json(200, std::move(out));
}

void RegisterLabelRoutes(common::http::Router* router, const ReadApi* api) {
  auto bind = [api](Response (*fn)(const ReadApi&, const Request&)) {
    return [api, fn](const Request& r) { return fn(*api, r); };
  };
  router->Handle({"GET", "POST"}, "/loki/api/v1/labels", bind(HandleLabels));
  router->Handle({"GET", "POST"}, "/loki/api/v1/label", bind(HandleLabels));
  router->Handle({"GET", "POST"}, "/loki/api/v1/label/{name}/values", bind(HandleLabelValues));
  router->Handle({"GET", "POST"}, "/loki/api/v1/series", bind(HandleSeries));
  router->Handle({"GET", "POST"}, "/loki/api/v1/index/stats", bind(HandleIndexStats));
  router->Handle({"GET", "POST"}, "/api/prom/label", bind(HandleLegacyLabels));
  router->Handle({"GET", "POST"}, "/api/prom/label/{name}/values", bind(HandleLegacyLabelValues));
  router->Handle({"GET", "POST"}, "/api/prom/series", bind(HandleSeries));
}

}  // namespace skald::server::api
