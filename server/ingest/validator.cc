#include "server/ingest/validator.h"

#include <fmt/format.h>

#include <utility>

namespace skald::server::ingest {

namespace {

using common::Entry;
using common::EntryView;
using common::Labels;
using common::LabelView;

// Offset of the first byte that does not start a valid UTF-8 sequence, or npos.
size_t InvalidUtf8At(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    if (n == 0 || i + n > s.size() || (n == 2 && c < 0xC2)) return i;
    for (size_t k = 1; k < n; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return i;
    }
    if (n == 3) {
      const auto c1 = static_cast<unsigned char>(s[i + 1]);
      if ((c == 0xE0 && c1 < 0xA0) || (c == 0xED && c1 >= 0xA0)) return i;  // overlong, surrogate
    }
    if (n == 4) {
      const auto c1 = static_cast<unsigned char>(s[i + 1]);
      if ((c == 0xF0 && c1 < 0x90) || c > 0xF4 || (c == 0xF4 && c1 >= 0x90)) return i;
    }
    i += n;
  }
  return std::string_view::npos;
}

// Loki's ValidateLabels. Returns the reason ("" when valid) and sets *msg.
std::string_view CheckLabels(const ValidationLimits& limits, const Labels& ls,
                             std::string_view raw, std::string* msg) {
  if (ls.empty()) {
    *msg = "error at least one label pair is required per stream";
    return reason::kMissingLabels;
  }
  int names = static_cast<int>(ls.size());
  if (ls.Get("service_name")) --names;
  if (names > limits.max_label_names_per_series) {
    *msg = fmt::format("entry for stream '{}' has {} label names; limit {}", raw, names,
                       limits.max_label_names_per_series);
    return reason::kMaxLabelNames;
  }
  std::string_view last;
  for (const auto& l : ls.pairs()) {
    if (l.name.size() > limits.max_label_name_length) {
      *msg = fmt::format("stream '{}' has label name too long: '{}'", raw, l.name);
      return reason::kLabelNameTooLong;
    }
    if (l.value.size() > limits.max_label_value_length) {
      *msg = fmt::format("stream '{}' has label value too long: '{}'", raw, l.value);
      return reason::kLabelValueTooLong;
    }
    if (l.name == last) {
      *msg = fmt::format("stream '{}' has duplicate label name: '{}'", raw, l.name);
      return reason::kDuplicateLabelNames;
    }
    last = l.name;
  }
  return {};
}

// Loki's ValidateEntry. Returns the reason ("" when valid) and sets *msg.
std::string_view CheckEntry(const ValidationLimits& limits, int64_t now_ns, const std::string& ls,
                            const EntryView& e, std::string* msg) {
  const int64_t ts = e.timestamp_ns;
  if (limits.reject_old_samples && ts < now_ns - limits.reject_old_samples_max_age_ns) {
    *msg = fmt::format("entry for stream '{}' has timestamp too old: {}, oldest acceptable timestamp is: {}",
                       ls, common::FormatRFC3339(ts),
                       common::FormatRFC3339(now_ns - limits.reject_old_samples_max_age_ns));
    return reason::kTooOld;
  }
  if (ts > now_ns + limits.creation_grace_period_ns) {
    *msg = fmt::format("entry for stream '{}' has timestamp too new: {}", ls, common::FormatRFC3339(ts));
    return reason::kTooNew;
  }
  if (limits.max_line_size != 0 && e.line.size() > limits.max_line_size) {
    *msg = fmt::format("max entry size '{}' bytes exceeded for stream '{}' while adding an entry with length '{}' bytes",
                       limits.max_line_size, ls, e.line.size());
    return reason::kLineTooLong;
  }
  if (e.metadata.empty()) return {};
  if (!limits.allow_structured_metadata) {
    *msg = fmt::format(
        "stream '{}' includes structured metadata, but this feature is disallowed. Please see "
        "`limits_config.allow_structured_metadata` or contact your Loki administrator to enable it.",
        ls);
    return reason::kDisallowedMetadata;
  }
  const size_t sm_size = MetadataSize(e);
  if (limits.max_structured_metadata_size != 0 && sm_size > limits.max_structured_metadata_size) {
    *msg = fmt::format(
        "stream '{}' has structured metadata too large: '{}' bytes, limit: '{}' bytes. Please see "
        "`limits_config.max_structured_metadata_size` or contact your Loki administrator to increase it.",
        ls, sm_size, limits.max_structured_metadata_size);
    return reason::kMetadataTooLarge;
  }
  if (limits.max_structured_metadata_entries_count != 0 &&
      e.metadata.size() > limits.max_structured_metadata_entries_count) {
    *msg = fmt::format(
        "stream '{}' has too many structured metadata labels: '{}', limit: '{}'. Please see "
        "`limits_config.max_structured_metadata_entries_count` or contact your Loki administrator to "
        "increase it.",
        ls, e.metadata.size(), limits.max_structured_metadata_entries_count);
    return reason::kMetadataTooMany;
  }
  return {};
}

}  // namespace

size_t MetadataSize(const Entry& e) {
  size_t n = 0;
  for (const auto& l : e.metadata) n += l.name.size() + l.value.size();
  return n;
}

size_t MetadataSize(const EntryView& e) {
  size_t n = 0;
  for (const LabelView& l : e.metadata) n += l.name.size() + l.value.size();
  return n;
}

size_t EntrySize(const Entry& e) { return e.line.size() + MetadataSize(e); }
size_t EntrySize(const EntryView& e) { return e.line.size() + MetadataSize(e); }

size_t EntriesSize(std::span<const EntryView> entries) {
  size_t n = 0;
  for (const EntryView& e : entries) n += EntrySize(e);
  return n;
}

ValidStream ToOwnedStream(const ValidStreamView& v) {
  ValidStream out;
  out.labels = v.labels;
  out.labels_text = v.labels_text;
  out.fingerprint = v.fingerprint;
  out.entries.reserve(v.entries.size());
  for (const EntryView& e : v.entries) common::AssignEntry(e, &out.entries.emplace_back());
  return out;
}

ValidStreamView ViewOfStream(const ValidStream& s, std::vector<LabelView>* metadata) {
  ValidStreamView v;
  v.labels = s.labels;
  v.labels_text = s.labels_text;
  v.fingerprint = s.fingerprint;
  v.entries.reserve(s.entries.size());
  for (const Entry& e : s.entries) {
    const size_t begin = metadata->size();
    common::AppendLabelViews(e.metadata, metadata);
    v.entries.push_back(
        EntryView{e.timestamp_ns, e.line, std::span<const LabelView>(metadata->data() + begin, e.metadata.size())});
  }
  return v;
}

ValidationViewResult ValidatePushView(const ValidationLimits& limits, int64_t now_ns,
                                      common::PushRequestView& request) {
  ValidationViewResult out;
  std::string msg;
  for (common::PushStreamView& stream : request.streams) {
    if (stream.entries.empty()) continue;
    if (limits.max_line_size_truncate && limits.max_line_size != 0) {
      for (EntryView& e : stream.entries) {
        if (e.line.size() > limits.max_line_size) e.line = e.line.substr(0, limits.max_line_size);
      }
    }
    auto parsed = common::ParseLabels(stream.labels);
    if (const size_t bad = InvalidUtf8At(stream.labels); parsed.ok() && bad != std::string_view::npos) {
      parsed = common::Status::InvalidArgument("1:" + std::to_string(bad + 1) +
                                               ": parse error: invalid UTF-8 rune");
    }
    if (!parsed.ok()) {
      out.errors.Add(fmt::format("error parsing labels '{}' with error: {}", stream.labels,
                                 parsed.status().message()));
      out.discards.Add(reason::kInvalidLabels, stream.entries.size(), EntriesSize(stream.entries));
      continue;
    }
    std::string_view why = CheckLabels(limits, *parsed, stream.labels, &msg);
    if (!why.empty()) {
      out.errors.Add(std::move(msg));
      out.discards.Add(why, stream.entries.size(), EntriesSize(stream.entries));
      continue;
    }
    ValidStreamView vs;
    vs.labels = std::move(parsed).value();
    vs.labels_text = vs.labels.ToString();
    vs.fingerprint = common::FingerprintOf(vs.labels_text);
    vs.entries.reserve(stream.entries.size());
    for (const EntryView& e : stream.entries) {
      why = CheckEntry(limits, now_ns, vs.labels_text, e, &msg);
      if (!why.empty()) {
        out.errors.Add(std::move(msg));
        out.discards.Add(why, 1, EntrySize(e));
        continue;
      }
      out.lines += 1;
      out.bytes += EntrySize(e);
      vs.entries.push_back(e);
    }
    if (!vs.entries.empty()) out.streams.push_back(std::move(vs));
  }
  return out;
}

ValidationResult ValidatePush(const ValidationLimits& limits, int64_t now_ns,
                              common::PushRequest&& request) {
  common::PushRequestView view = common::PushRequestView::Own(std::move(request));
  ValidationViewResult v = ValidatePushView(limits, now_ns, view);
  ValidationResult out;
  out.streams.reserve(v.streams.size());
  for (const ValidStreamView& s : v.streams) out.streams.push_back(ToOwnedStream(s));
  out.lines = v.lines;
  out.bytes = v.bytes;
  out.errors = std::move(v.errors);
  out.discards = std::move(v.discards);
  return out;
}

}  // namespace skald::server::ingest
