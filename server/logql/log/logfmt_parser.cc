#include "server/logql/log/logfmt_parser.h"

#include "common/labels.h"
#include "common/logfmt.h"
#include "server/logql/log/label_key.h"

namespace skald::server::logql::log {

namespace {

// Appends the sanitised `raw` key: keys made only of [A-Za-z0-9_] and not
// starting with a digit (the common case) are appended whole.
void AppendKey(std::string_view raw, std::string* key) {
  bool clean = !raw.empty() && !(raw[0] >= '0' && raw[0] <= '9');
  for (size_t i = 0; clean && i < raw.size(); ++i) {
    char c = raw[i];
    clean = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  }
  if (clean) {
    key->append(raw);
  } else {
    AppendSanitizedKey(raw, true, key);
  }
}

}  // namespace

common::Result<std::unique_ptr<LogfmtParser>> LogfmtParser::Create(LogfmtOptions opts,
                                                                   std::vector<LogfmtParam> params) {
  for (const LogfmtParam& p : params) {
    if (!common::IsValidLabelName(p.label)) {
      return common::Status::InvalidArgument("invalid extracted label name '" + p.label + "'");
    }
  }
  return std::unique_ptr<LogfmtParser>(new LogfmtParser(opts, std::move(params)));
}

std::unique_ptr<LogfmtParser> LogfmtParser::CreateRestricted(LogfmtOptions opts,
                                                             std::vector<std::string> allow) {
  std::unique_ptr<LogfmtParser> p(new LogfmtParser(opts, {}));
  p->restricted_ = true;
  for (std::string& a : allow) {
    if (a.size() > kExtractedSuffix.size() && a.ends_with(kExtractedSuffix)) {
      p->allow_.push_back(a.substr(0, a.size() - kExtractedSuffix.size()));
    }
    p->allow_.push_back(std::move(a));
  }
  return p;
}

bool LogfmtParser::Process(int64_t, std::string_view& line, LabelsBuilder& lbs) const {
  thread_local common::LogfmtDecoder dec;
  std::string& key = lbs.scratch().tmp();
  std::string ext;
  // Keys set by this stage on this line (first duplicate wins).
  thread_local std::vector<std::string> seen;
  seen.clear();
  dec.Reset(line);
  while (!dec.Eol()) {
    if (!dec.ScanKeyval()) {
      if (opts_.strict && !dec.err().empty()) break;
      continue;
    }
    if (dec.value().empty() && !opts_.keep_empty) continue;
    std::string_view label;
    if (params_.empty()) {
      key.clear();
      AppendKey(dec.key(), &key);
      if (key.empty()) continue;
      if (restricted_) {
        bool ok = false;
        for (const std::string& a : allow_) ok = ok || a == key;
        if (!ok) continue;
      }
      label = key;
    } else {
      const LogfmtParam* match = nullptr;
      for (const LogfmtParam& p : params_) {
        if (p.key == dec.key()) match = &p;
      }
      if (match == nullptr) continue;
      label = match->label;
    }
    label = lbs.ExtractedName(label, &ext);
    bool dup = false;
    for (const std::string& s : seen) dup = dup || s == label;
    if (dup) continue;
    seen.emplace_back(label);
    lbs.Set(LabelCategory::kParsed, label, dec.value());
  }
  if (opts_.strict && !dec.err().empty()) {
    lbs.SetErr(kLogfmtParserErr);
    lbs.SetErrDetails(dec.err());
  }
  return true;
}

}  // namespace skald::server::logql::log
