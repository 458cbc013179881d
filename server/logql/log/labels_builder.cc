#include "server/logql/log/labels_builder.h"

#define XXH_STATIC_LINKING_ONLY
#include <xxhash.h>

#include <algorithm>

namespace skald::server::logql::log {

namespace {


uint64_t HashSorted(const std::vector<const Label*>& sorted) {
  XXH3_state_t st;
  XXH3_64bits_reset(&st);
  static const char kSep[2] = {'\xff', '\0'};
  for (const Label* l : sorted) {
    XXH3_64bits_update(&st, l->name.data(), l->name.size());
    XXH3_64bits_update(&st, kSep, 1);
    XXH3_64bits_update(&st, l->value.data(), l->value.size());
    XXH3_64bits_update(&st, kSep, 1);
  }
  return XXH3_64bits_digest(&st);
}

}  // namespace

LabelsBuilder::LabelsBuilder(const Labels& stream)
    : base_(stream.pairs()), base_hidden_(stream.size(), false) {
  auto r = std::make_shared<LabelsResult>();
  r->labels = stream;
  r->stream = stream;
  std::vector<const Label*> sorted;
  for (const Label& l : base_) sorted.push_back(&l);
  r->hash = HashSorted(sorted);
  base_result_ = std::move(r);
}

void LabelsBuilder::Reset() {
  if (dirty_) std::fill(base_hidden_.begin(), base_hidden_.end(), false);
  dirty_ = false;
  n_adds_ = 0;
  err_.clear();
  err_details_.clear();
}

void LabelsBuilder::AddMetadata(const std::vector<Label>& metadata) {
  for (const Label& l : metadata) Set(LabelCategory::kMetadata, l.name, l.value);
}

int LabelsBuilder::FindAdded(std::string_view name) const {
  for (size_t i = 0; i < n_adds_; ++i) {
    if (adds_[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

int LabelsBuilder::FindBase(std::string_view name) const {
  auto it = std::lower_bound(base_.begin(), base_.end(), name,
                             [](const Label& l, std::string_view n) { return l.name < n; });
  if (it == base_.end() || it->name != name) return -1;
  return static_cast<int>(it - base_.begin());
}

std::optional<std::string_view> LabelsBuilder::Get(std::string_view name) const {
  if (name == kErrorLabel) {
    if (err_.empty()) return std::nullopt;
    return std::string_view(err_);
  }
  if (name == kErrorDetailsLabel) {
    if (err_details_.empty()) return std::nullopt;
    return std::string_view(err_details_);
  }
  int i = FindAdded(name);
  if (i >= 0) return std::string_view(adds_[i].value);
  int b = FindBase(name);
  if (b >= 0 && !base_hidden_[b]) return std::string_view(base_[b].value);
  return std::nullopt;
}

bool LabelsBuilder::BaseHas(std::string_view name) const { return FindBase(name) >= 0; }

bool LabelsBuilder::MetadataHas(std::string_view name) const {
  int i = FindAdded(name);
  return i >= 0 && adds_[i].category == LabelCategory::kMetadata;
}

bool LabelsBuilder::IsAdded(std::string_view name) const { return FindAdded(name) >= 0; }

void LabelsBuilder::Set(LabelCategory category, std::string_view name, std::string_view value) {
  if (name == kErrorLabel) {
    SetErr(value);
    return;
  }
  if (name == kErrorDetailsLabel) {
    SetErrDetails(value);
    return;
  }
  SetAt(category, name, value, FindAdded(name), FindBase(name));
}

void LabelsBuilder::SetAt(LabelCategory category, std::string_view name, std::string_view value,
                          int added, int base) {
  if (added >= 0) {
    adds_[added].value.assign(value);
    adds_[added].category = category;
    return;
  }
  if (base >= 0 && !base_hidden_[base]) {
    base_hidden_[base] = true;
    dirty_ = true;
  }
  if (n_adds_ == adds_.size()) adds_.emplace_back();
  Added& a = adds_[n_adds_++];
  a.name.assign(name);
  a.value.assign(value);
  a.category = category;
}

std::string_view LabelsBuilder::ExtractedName(std::string_view name, std::string* buf) const {
  if (!BaseHas(name) && !MetadataHas(name)) return name;
  buf->assign(name);
  buf->append(kExtractedSuffix);
  return *buf;
}

void LabelsBuilder::SetExtracted(std::string_view name, std::string_view value) {
  if (name.starts_with("__error")) {  // __error__ / __error_details__ (rare)
    std::string_view n = ExtractedName(name, &extracted_buf_);
    Set(LabelCategory::kParsed, n, value);
    return;
  }
  // One lookup of each kind decides the clash and finds the slot.
  const int added = FindAdded(name);
  const int base = FindBase(name);
  if (base < 0 && (added < 0 || adds_[added].category != LabelCategory::kMetadata)) {
    SetAt(LabelCategory::kParsed, name, value, added, base);
    return;
  }
  extracted_buf_.assign(name);
  extracted_buf_.append(kExtractedSuffix);
  const std::string_view n = extracted_buf_;
  SetAt(LabelCategory::kParsed, n, value, FindAdded(n), FindBase(n));
}

void LabelsBuilder::RemoveAdded(size_t i) {
  // Keep the strings' capacity: rotate the removed slot past the live range.
  std::rotate(adds_.begin() + i, adds_.begin() + i + 1, adds_.begin() + n_adds_);
  --n_adds_;
}

void LabelsBuilder::Del(std::string_view name) {
  if (name == kErrorLabel) {
    err_.clear();
    return;
  }
  if (name == kErrorDetailsLabel) {
    err_details_.clear();
    return;
  }
  int i = FindAdded(name);
  if (i >= 0) RemoveAdded(static_cast<size_t>(i));
  int b = FindBase(name);
  if (b >= 0 && !base_hidden_[b]) {
    base_hidden_[b] = true;
    dirty_ = true;
  }
}

std::shared_ptr<const LabelsResult> LabelsBuilder::Result() {
  if (n_adds_ == 0 && !dirty_ && err_.empty() && err_details_.empty()) return base_result_;
  // Copy the added labels into reusable slots (assign keeps capacity), then
  // sort pointers and hash without allocating; materialise only on a miss.
  size_t n = 0;
  auto slot = [&](std::string_view name, std::string_view value) {
    if (n == tmp_labels_.size()) tmp_labels_.emplace_back();
    tmp_labels_[n].name.assign(name);
    tmp_labels_[n].value.assign(value);
    ++n;
  };
  if (!err_.empty()) slot(kErrorLabel, err_);
  if (!err_details_.empty()) slot(kErrorDetailsLabel, err_details_);
  size_t n_err = n;
  for (size_t i = 0; i < n_adds_; ++i) {
    if (!adds_[i].value.empty()) slot(adds_[i].name, adds_[i].value);
  }
  sort_buf_.clear();
  for (size_t i = 0; i < base_.size(); ++i) {
    if (!base_hidden_[i]) sort_buf_.push_back(&base_[i]);
  }
  for (size_t i = 0; i < n; ++i) sort_buf_.push_back(&tmp_labels_[i]);
  std::sort(sort_buf_.begin(), sort_buf_.end(),
            [](const Label* a, const Label* b) { return a->name < b->name; });
  uint64_t h = HashSorted(sort_buf_);

  auto it = cache_.find(h);
  if (it != cache_.end()) {
    const auto& pairs = it->second->labels.pairs();
    bool same = pairs.size() == sort_buf_.size();
    for (size_t i = 0; same && i < pairs.size(); ++i) same = pairs[i] == *sort_buf_[i];
    if (same) return it->second;
  }
  auto r = std::make_shared<LabelsResult>();
  std::vector<Label> all, stream, md, parsed;
  all.reserve(sort_buf_.size());
  stream.reserve(base_.size());
  md.reserve(n_adds_);
  for (const Label* l : sort_buf_) all.push_back(*l);
  for (size_t i = 0; i < base_.size(); ++i) {
    if (!base_hidden_[i]) stream.push_back(base_[i]);
  }
  for (size_t i = 0; i < n_err; ++i) parsed.push_back(tmp_labels_[i]);
  for (size_t i = 0; i < n_adds_; ++i) {
    if (adds_[i].value.empty()) continue;
    Label l{adds_[i].name, adds_[i].value};
    std::vector<Label>& dst = adds_[i].category == LabelCategory::kMetadata ? md
                            : adds_[i].category == LabelCategory::kStream ? stream
                                                                           : parsed;
    dst.push_back(std::move(l));
  }
  r->labels = Labels(std::move(all));
  r->stream = Labels(std::move(stream));
  r->metadata = Labels(std::move(md));
  r->parsed = Labels(std::move(parsed));
  r->hash = h;
  if (cache_.size() >= kMaxCachedResults) cache_.clear();
  cache_[h] = r;
  return r;
}

}  // namespace skald::server::logql::log
