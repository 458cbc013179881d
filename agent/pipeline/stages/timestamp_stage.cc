// timestamp: sets the entry's timestamp from an extracted value (Promtail's
// `timestamp`). `format` is RFC3339, RFC3339Nano, Unix, UnixMs, UnixUs,
// UnixNs, a Go layout name (ANSIC, RFC1123Z, ...) or a Go layout string;
// `fallback_formats` are tried in order after it. `location` accepts "UTC",
// "Local" or a fixed offset "+02:00" (IANA zone names are not supported and
// rejected at config time). `action_on_failure`: fudge (default: last
// timestamp of this pipeline + 1ns, or the read time) or skip (keep as is).
#include <cmath>

#include "agent/pipeline/stages/go_time_layout.h"
#include "agent/pipeline/stages/stages.h"
#include "common/time.h"

namespace skald::agent::pipeline {
namespace {

Result<int64_t> ParseUnix(const std::string& v, double scale_to_ns) {
  try {
    size_t used = 0;
    double d = std::stod(v, &used);
    if (used != v.size() || !std::isfinite(d)) throw std::invalid_argument(v);
    if (scale_to_ns == 1e9) {
      // Keep sub-second precision exact for "1562708916.414123".
      size_t dot = v.find('.');
      int64_t secs = std::stoll(v.substr(0, dot));
      int64_t frac = 0;
      if (dot != std::string::npos) {
        std::string f = v.substr(dot + 1, 9);
        f.resize(9, '0');
        frac = std::stoll(f);
      }
      return secs * 1'000'000'000 + (secs < 0 ? -frac : frac);
    }
    return static_cast<int64_t>(std::stoll(v) * static_cast<int64_t>(scale_to_ns));
  } catch (const std::exception&) {
    return Status::InvalidArgument("not a Unix timestamp", v);
  }
}

class TimestampStage final : public Stage {
 public:
  TimestampStage(std::string source, std::vector<std::string> formats, int64_t offset, bool fudge)
      : source_(std::move(source)), formats_(std::move(formats)), offset_(offset), fudge_(fudge) {}

  void Process(PipelineEntry e, std::vector<PipelineEntry>* out) override {
    auto it = e.extracted.find(source_);
    if (it != e.extracted.end()) {
      std::optional<int64_t> ts;
      for (const std::string& f : formats_) {
        Result<int64_t> r = ParseOne(f, it->second);
        if (r.ok()) {
          ts = *r;
          break;
        }
      }
      if (ts) {
        e.timestamp_ns = *ts;
      } else if (fudge_ && last_ns_ != 0) {
        e.timestamp_ns = last_ns_ + 1;
      }
    }
    last_ns_ = e.timestamp_ns;
    out->push_back(std::move(e));
  }
  const char* name() const override { return "timestamp"; }

 private:
  Result<int64_t> ParseOne(const std::string& format, const std::string& v) const {
    if (format == "RFC3339" || format == "RFC3339Nano") return common::ParseRFC3339(v);
    if (format == "Unix") return ParseUnix(v, 1e9);
    if (format == "UnixMs") return ParseUnix(v, 1e6);
    if (format == "UnixUs") return ParseUnix(v, 1e3);
    if (format == "UnixNs") return ParseUnix(v, 1);
    int year = 1970;
    if (time_t now = time(nullptr); now > 0) {
      struct tm tm = {};
      gmtime_r(&now, &tm);
      year = tm.tm_year + 1900;
    }
    return ParseGoLayout(ResolveGoLayout(format), v, offset_, year);
  }

  std::string source_;
  std::vector<std::string> formats_;
  int64_t offset_;
  bool fudge_;
  int64_t last_ns_ = 0;
};

Result<int64_t> ParseLocation(const std::string& loc) {
  if (loc.empty() || loc == "UTC") return 0;
  if (loc == "Local") {
    time_t now = time(nullptr);
    struct tm tm = {};
    localtime_r(&now, &tm);
    return static_cast<int64_t>(tm.tm_gmtoff);
  }
  if ((loc[0] == '+' || loc[0] == '-') && loc.size() == 6 && loc[3] == ':') {
    int sign = loc[0] == '-' ? -1 : 1;
    try {
      return sign * (std::stoll(loc.substr(1, 2)) * 3600 + std::stoll(loc.substr(4, 2)) * 60);
    } catch (const std::exception&) {
    }
  }
  return Status::InvalidArgument("unsupported location (use UTC, Local or +hh:mm)", loc);
}

}  // namespace

StageResult NewTimestampStage(YamlMap* cfg) {
  SKALD_RETURN_IF_ERROR(cfg->CheckIsMap());
  std::string source, format, location, action = "fudge";
  std::vector<std::string> fallback;
  SKALD_RETURN_IF_ERROR(cfg->GetString("source", &source));
  SKALD_RETURN_IF_ERROR(cfg->GetString("format", &format));
  SKALD_RETURN_IF_ERROR(cfg->GetStringList("fallback_formats", &fallback));
  SKALD_RETURN_IF_ERROR(cfg->GetString("location", &location));
  SKALD_RETURN_IF_ERROR(cfg->GetString("action_on_failure", &action));
  SKALD_RETURN_IF_ERROR(cfg->CheckNoUnknownKeys());
  if (source.empty()) return cfg->Error("source", "timestamp stage requires a source");
  if (format.empty()) return cfg->Error("format", "timestamp stage requires a format");
  if (action != "fudge" && action != "skip") {
    return cfg->Error("action_on_failure", "must be fudge or skip");
  }
  Result<int64_t> offset = ParseLocation(location);
  if (!offset.ok()) return cfg->Error("location", offset.status().message());
  std::vector<std::string> formats = {format};
  formats.insert(formats.end(), fallback.begin(), fallback.end());
  return std::unique_ptr<Stage>(
      std::make_unique<TimestampStage>(source, std::move(formats), *offset, action == "fudge"));
}

}  // namespace skald::agent::pipeline
