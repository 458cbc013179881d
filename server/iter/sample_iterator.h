// SampleIterator: numeric samples extracted from log entries, the input of
// metric queries (Loki's pkg/iter SampleIterator).
//
// Same protocol as EntryIterator: Next() until false, then status(). Views
// stay valid until the next Next(). Single-threaded.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "server/iter/entry_iterator.h"

namespace skald::server::iter {

struct Sample {
  int64_t timestamp_ns = 0;
  double value = 0;
  // Hash of the entry the sample came from (line + metadata); two samples of
  // one series with equal timestamp and hash are duplicates.
  uint64_t hash = 0;
  bool operator==(const Sample&) const = default;
};

class SampleIterator {
 public:
  SampleIterator() = default;
  SampleIterator(const SampleIterator&) = delete;
  SampleIterator& operator=(const SampleIterator&) = delete;
  virtual ~SampleIterator() = default;

  // Advances to the next sample. False at the end or on error.
  virtual bool Next() = 0;
  virtual const Sample& At() const = 0;
  // Canonical label string of the current sample's series.
  virtual std::string_view Labels() const = 0;
  // xxh3 of Labels().
  virtual uint64_t SeriesHash() const = 0;
  virtual common::Status status() const = 0;
};

// Iterates `samples` of one series, sorted by timestamp ascending. Owns them.
std::unique_ptr<SampleIterator> NewVectorSampleIterator(std::string labels,
                                                        std::vector<Sample> samples);

// Merges children (each ascending by timestamp) into one ascending sequence;
// ties by labels, then child position. Drops duplicates (same series,
// timestamp and hash). A child's error stops the merge.
std::unique_ptr<SampleIterator> NewMergeSampleIterator(
    std::vector<std::unique_ptr<SampleIterator>> children);

}  // namespace skald::server::iter
