#include "server/logql/log/formatters.h"

#include <set>

#include "common/labels.h"

namespace skald::server::logql::log {

using common::Result;
using common::Status;
using common::Template;
using common::TemplateContext;

Result<std::unique_ptr<LineFormatter>> LineFormatter::Create(std::string_view tmpl) {
  auto t = Template::Parse(tmpl);
  if (!t.ok()) return t.status();
  return std::unique_ptr<LineFormatter>(new LineFormatter(std::move(t.value())));
}

bool LineFormatter::Process(int64_t ts_ns, std::string_view& line, LabelsBuilder& lbs) const {
  TemplateContext ctx;
  ctx.lookup = [&lbs](std::string_view n) { return lbs.Get(n); };
  ctx.line = line;
  ctx.ts_ns = ts_ns;
  std::string& out = lbs.scratch().LineBuffer(line);
  Status st = t_->Execute(ctx, &out);
  if (!st.ok()) {
    lbs.SetErr(kTemplateFormatErr);
    lbs.SetErrDetails(st.message());
    return true;
  }
  line = out;
  return true;
}

Result<std::unique_ptr<LabelsFormatter>> LabelsFormatter::Create(std::vector<LabelFmt> fmts) {
  std::set<std::string> seen;
  std::vector<Compiled> out;
  for (LabelFmt& f : fmts) {
    if (f.name == kErrorLabel) return Status::InvalidArgument("__error__ cannot be formatted");
    if (!common::IsValidLabelName(f.name)) return Status::InvalidArgument("invalid label name '" + f.name + "'");
    if (!seen.insert(f.name).second) {
      return Status::InvalidArgument("multiple label name '" + f.name +
                                     "' not allowed in a single format operation");
    }
    Compiled c;
    if (!f.rename) {
      auto t = Template::Parse(f.value);
      if (!t.ok()) return t.status();
      c.tmpl = std::move(t.value());
    }
    c.fmt = std::move(f);
    out.push_back(std::move(c));
  }
  return std::unique_ptr<LabelsFormatter>(new LabelsFormatter(std::move(out)));
}

bool LabelsFormatter::Process(int64_t ts_ns, std::string_view& line, LabelsBuilder& lbs) const {
  // Snapshot of the labels, taken when the first template runs.
  std::vector<std::pair<std::string, std::string>> snap;
  bool have_snap = false;
  std::string out;
  for (const Compiled& c : fmts_) {
    if (c.fmt.rename) {
      auto v = lbs.Get(c.fmt.value);
      if (!v) continue;
      std::string value(*v);
      // The destination keeps the source's category, as in Loki.
      LabelCategory cat = lbs.MetadataHas(c.fmt.value)                                  ? LabelCategory::kMetadata
                          : (lbs.BaseHas(c.fmt.value) && !lbs.IsAdded(c.fmt.value)) ? LabelCategory::kStream
                                                                                     : LabelCategory::kParsed;
      lbs.Set(cat, c.fmt.name, value);
      lbs.Del(c.fmt.value);
      continue;
    }
    if (!have_snap) {
      lbs.ForEach([&](std::string_view n, std::string_view v) { snap.emplace_back(n, v); });
      have_snap = true;
    }
    TemplateContext ctx;
    ctx.lookup = [&snap](std::string_view n) -> std::optional<std::string_view> {
      for (const auto& [k, v] : snap) {
        if (k == n) return std::string_view(v);
      }
      return std::nullopt;
    };
    ctx.line = line;
    ctx.ts_ns = ts_ns;
    Status st = c.tmpl->Execute(ctx, &out);
    if (!st.ok()) {
      lbs.SetErr(kTemplateFormatErr);
      lbs.SetErrDetails(st.message());
      continue;
    }
    lbs.Set(LabelCategory::kParsed, c.fmt.name, out);
  }
  return true;
}

}  // namespace skald::server::logql::log
