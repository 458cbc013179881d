// Validator: Loki's distributor checks on a decoded push, per tenant.
//
// Per stream: parse the label string, check label count/length/duplicates;
// per entry: age, future, line size (reject or truncate), structured
// metadata. Invalid streams and entries are dropped with Loki 3.x's messages
// and discard reasons; valid ones are returned for writing. The write path
// validates views (ValidatePushView: entries stay views into the decoded
// body); ValidatePush is the same on owned entries. Pure functions of their
// arguments; safe from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "common/entry.h"
#include "common/labels.h"
#include "common/push_view.h"
#include "common/time.h"
#include "server/ingest/push_errors.h"

namespace skald::server::ingest {

// The limits the validator applies (Loki limits_config names; 3.x defaults).
struct ValidationLimits {
  // max_label_names_per_series: more names -> stream rejected (service_name not counted).
  int max_label_names_per_series = 15;
  // max_label_name_length: a longer name -> stream rejected.
  size_t max_label_name_length = 1024;
  // max_label_value_length: a longer value -> stream rejected.
  size_t max_label_value_length = 2048;
  // reject_old_samples / reject_old_samples_max_age (7d): older entries rejected.
  bool reject_old_samples = true;
  int64_t reject_old_samples_max_age_ns = 7 * common::kNanosPerDay;
  // creation_grace_period (10m): entries newer than now + this are rejected.
  int64_t creation_grace_period_ns = 10 * common::kNanosPerMinute;
  // max_line_size (256KB; 0 = unlimited): longer lines rejected, or cut when
  // max_line_size_truncate is set.
  size_t max_line_size = 256 * 1024;
  bool max_line_size_truncate = false;
  // allow_structured_metadata: false -> entries carrying metadata rejected.
  bool allow_structured_metadata = true;
  // max_structured_metadata_size (64KB, sum of name+value bytes; 0 = unlimited).
  size_t max_structured_metadata_size = 64 * 1024;
  // max_structured_metadata_entries_count (128; 0 = unlimited).
  size_t max_structured_metadata_entries_count = 128;
};

// One validated stream: parsed labels and the entries that passed.
struct ValidStream {
  common::Labels labels;
  std::string labels_text;  // labels.ToString(), canonical
  uint64_t fingerprint = 0;
  std::vector<common::Entry> entries;
};

// ValidStream with its entries as views (into the push being written).
struct ValidStreamView {
  common::Labels labels;
  std::string labels_text;  // labels.ToString(), canonical
  uint64_t fingerprint = 0;
  std::vector<common::EntryView> entries;
};

// An owned copy of `v` (lines and metadata copied).
ValidStream ToOwnedStream(const ValidStreamView& v);
// Views of `s`'s entries; their metadata views are appended to *metadata,
// which must have room for them without reallocating (reserve first).
ValidStreamView ViewOfStream(const ValidStream& s, std::vector<common::LabelView>* metadata);

struct ValidationViewResult {
  std::vector<ValidStreamView> streams;  // only streams with at least one valid entry
  uint64_t lines = 0;
  uint64_t bytes = 0;
  PushErrors errors;
  DiscardCounts discards;
};

struct ValidationResult {
  std::vector<ValidStream> streams;  // only streams with at least one valid entry
  uint64_t lines = 0;                // accepted entries
  uint64_t bytes = 0;                // accepted bytes: line + metadata names and values
  PushErrors errors;
  DiscardCounts discards;
};

// Bytes an entry counts for in rate limits and discard metrics.
size_t EntrySize(const common::Entry& e);
size_t EntrySize(const common::EntryView& e);
// Sum of EntrySize over `entries`.
size_t EntriesSize(std::span<const common::EntryView> entries);
// Sum of len(name) + len(value) over the entry's metadata.
size_t MetadataSize(const common::Entry& e);
size_t MetadataSize(const common::EntryView& e);

// Validates `request` for one tenant at wall time `now_ns`. Lines over
// max_line_size are cut in place when max_line_size_truncate is set. The
// result's entries view `request`'s storage: it must outlive them.
ValidationViewResult ValidatePushView(const ValidationLimits& limits, int64_t now_ns,
                                      common::PushRequestView& request);

// Validates `request` (consumed) for one tenant at wall time `now_ns`.
ValidationResult ValidatePush(const ValidationLimits& limits, int64_t now_ns,
                              common::PushRequest&& request);

}  // namespace skald::server::ingest
