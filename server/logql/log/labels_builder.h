// LabelsBuilder: the mutable label set of one log line while it runs through a
// pipeline (Loki's pkg/logql/log/labels.go LabelsBuilder).
//
// A builder starts from the stream's labels (category kStream); per line the
// pipeline adds structured metadata (kMetadata) and stages add parsed labels
// (kParsed), delete labels, or set `__error__` / `__error_details__`.
// Result() turns the current state into an immutable LabelsResult; results
// are cached by hash so identical label sets share one allocation.
//
// Concurrency: a builder belongs to one StreamPipeline and is used by one
// thread at a time. LabelsResult values are immutable and shareable.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/labels.h"
#include "server/logql/log/stage_scratch.h"

namespace skald::server::logql::log {

using common::Label;
using common::Labels;

enum class LabelCategory : uint8_t { kStream = 0, kMetadata = 1, kParsed = 2 };

constexpr std::string_view kErrorLabel = "__error__";
constexpr std::string_view kErrorDetailsLabel = "__error_details__";
// Suffix given to an extracted key that clashes with a stream label or a
// structured-metadata key.
constexpr std::string_view kExtractedSuffix = "_extracted";

// __error__ values (CONTRACT §3.7).
constexpr std::string_view kJsonParserErr = "JSONParserErr";
constexpr std::string_view kLogfmtParserErr = "LogfmtParserErr";
constexpr std::string_view kSampleExtractionErr = "SampleExtractionErr";
constexpr std::string_view kLabelFilterErr = "LabelFilterErr";
constexpr std::string_view kTemplateFormatErr = "TemplateFormatErr";

// The final labels of a line, whole and split by category (for the
// categorize-labels response encoding). `__error__`/`__error_details__` are
// in `parsed`.
struct LabelsResult {
  Labels labels;    // all of them
  Labels stream;    // stream labels still present
  Labels metadata;  // structured metadata still present
  Labels parsed;    // labels added by stages (and the error labels)
  uint64_t hash = 0;  // of `labels`
};

class LabelsBuilder {
 public:
  // Distinct label sets kept per builder; at the limit the cache is cleared
  // (results already handed out stay valid: they are shared_ptrs).
  static constexpr size_t kMaxCachedResults = 4096;

  explicit LabelsBuilder(const Labels& stream);
  LabelsBuilder(const LabelsBuilder&) = delete;
  LabelsBuilder& operator=(const LabelsBuilder&) = delete;

  // Forgets everything a previous line added, deleted or errored.
  void Reset();
  // Adds the entry's structured metadata (after Reset()).
  void AddMetadata(const std::vector<Label>& metadata);

  // Current value of `name` (including "__error__"/"__error_details__"),
  // nullopt when absent. The view is valid until the next mutation.
  std::optional<std::string_view> Get(std::string_view name) const;
  // Current value, or "" when absent.
  std::string_view GetOrEmpty(std::string_view name) const { return Get(name).value_or(""); }
  // Whether `name` is one of the stream's own labels (ignores deletions).
  bool BaseHas(std::string_view name) const;
  // Whether `name` is a (current) structured-metadata key.
  bool MetadataHas(std::string_view name) const;

  // Sets `name` (overwriting any current value, whatever its category).
  void Set(LabelCategory category, std::string_view name, std::string_view value);
  // Sets a label extracted by a parser: a name equal to a stream label or a
  // metadata key becomes `<name>_extracted`.
  void SetExtracted(std::string_view name, std::string_view value);
  // The name SetExtracted would use for `name` (appends to `*buf`).
  std::string_view ExtractedName(std::string_view name, std::string* buf) const;
  // Whether this line already set `name` via Set/SetExtracted.
  bool IsAdded(std::string_view name) const;
  // Removes `name`; deleting an error label clears the error.
  void Del(std::string_view name);

  bool HasErr() const { return !err_.empty(); }
  const std::string& GetErr() const { return err_; }
  void SetErr(std::string_view err) { err_.assign(err); }
  void SetErrDetails(std::string_view d) { err_details_.assign(d); }
  bool HasErrDetails() const { return !err_details_.empty(); }

  // Calls f(name, value) for every current label (error labels included),
  // in no particular order.
  template <typename F>
  void ForEach(F&& f) const {
    for (size_t i = 0; i < base_.size(); ++i) {
      if (!base_hidden_[i]) f(std::string_view(base_[i].name), std::string_view(base_[i].value));
    }
    for (size_t i = 0; i < n_adds_; ++i) f(std::string_view(adds_[i].name), std::string_view(adds_[i].value));
    if (!err_.empty()) f(kErrorLabel, std::string_view(err_));
    if (!err_details_.empty()) f(kErrorDetailsLabel, std::string_view(err_details_));
  }

  // The current labels as an immutable, cached result. Never null.
  std::shared_ptr<const LabelsResult> Result();

  // Per-stream scratch space for stages (parsers, line rewriting).
  StageScratch& scratch() { return scratch_; }

 private:
  struct Added {
    std::string name;
    std::string value;
    LabelCategory category;
  };
  // Set() once `name` is known not to be an error label: `added` and `base`
  // are FindAdded(name) and FindBase(name).
  void SetAt(LabelCategory category, std::string_view name, std::string_view value, int added, int base);
  int FindAdded(std::string_view name) const;
  int FindBase(std::string_view name) const;
  void RemoveAdded(size_t i);

  std::vector<Label> base_;           // the stream labels, sorted
  std::vector<bool> base_hidden_;     // deleted or overridden on this line
  std::vector<Added> adds_;           // [0, n_adds_) live; the rest keep capacity
  size_t n_adds_ = 0;
  bool dirty_ = false;                // base_hidden_ has a true entry
  std::string err_;
  std::string err_details_;
  std::string extracted_buf_;         // `<name>_extracted` for SetExtracted

  std::shared_ptr<const LabelsResult> base_result_;  // nothing added on the line
  std::unordered_map<uint64_t, std::shared_ptr<const LabelsResult>> cache_;
  std::vector<const Label*> sort_buf_;
  std::vector<Label> tmp_labels_;
  StageScratch scratch_;
};

}  // namespace skald::server::logql::log
