#include "server/query/store_querier.h"

#include <algorithm>
#include <cstring>
#include <functional>
#include <map>

#include <spdlog/spdlog.h>

#include "server/chunk/chunk.h"
#include "server/chunk/tokenizer.h"

namespace skald::server::query {

using common::Result;
using common::Status;
using logql::EntrySource;
using logql::QueryStats;
using logql::ScanHints;

namespace {

// Bloom keys every block that can hold a matching entry must contain (all of
// them): tokens of `|=` needles that are delimited inside the needle, and the
// `name=value` keys of required structured metadata.
std::vector<std::string> RequiredBloomKeys(const ScanHints& hints) {
  std::vector<std::string> keys;
  for (const auto& needle : hints.line_contains) {
    for (auto tok : chunk::NeedleTokens(needle)) keys.emplace_back(tok);
  }
  for (const auto& m : hints.metadata_equals) keys.push_back(chunk::MetadataKey(m.name, m.value));
  return keys;
}

// Gram alternatives of every `|=` needle run (tokenizer.h "Token grams"),
// as bloom hashes: [run][alignment][gram].
using GramHashes = std::vector<std::vector<std::vector<uint64_t>>>;

GramHashes NeedleGramHashes(const ScanHints& hints) {
  GramHashes out;
  for (const auto& needle : hints.line_contains) {
    for (const auto& alts : chunk::NeedleGramRuns(needle)) {
      auto& run = out.emplace_back();
      for (const auto& keys : alts) {
        auto& alt = run.emplace_back();
        for (const auto& k : keys) alt.push_back(chunk::BloomHash(k));
      }
    }
  }
  return out;
}

// False when some needle run has no alignment whose grams are all present.
bool MayHoldGrams(const chunk::Bloom& bloom, const GramHashes& runs) {
  if (!bloom.HasGrams()) return true;
  for (const auto& run : runs) {
    bool any = false;
    for (const auto& alt : run) {
      bool all = true;
      for (uint64_t h : alt) {
        if (!bloom.MayContainHash(h)) {
          all = false;
          break;
        }
      }
      if (all) {
        any = true;
        break;
      }
    }
    if (!any) return false;
  }
  return true;
}

// A json/logfmt field equality name=value: a block can hold a match only if
// its bloom has the metadata key, or every token of the value, or escapes.
struct FieldKeys {
  std::string metadata_key;
  std::string check_key;  // MetadataCheckKey of the same pair
  std::vector<std::string> tokens;
};

// MetadataCheckKey of every required metadata pair: probed too in blooms
// that hold them (kBloomHasMetadataCheckKeys).
std::vector<std::string> MetadataCheckKeys(const ScanHints& hints) {
  std::vector<std::string> keys;
  for (const auto& m : hints.metadata_equals) keys.push_back(chunk::MetadataCheckKey(m.name, m.value));
  return keys;
}

std::vector<FieldKeys> FieldBloomKeys(const ScanHints& hints) {
  std::vector<FieldKeys> out;
  for (const auto& f : hints.field_equals) {
    FieldKeys k{chunk::MetadataKey(f.name, f.value), chunk::MetadataCheckKey(f.name, f.value), {}};
    chunk::ForEachLineToken(f.value, [&](std::string_view t) { k.tokens.emplace_back(t); });
    if (!k.tokens.empty()) out.push_back(std::move(k));
  }
  return out;
}

// A decoded block as a logql::EntryRun (ChunkSource::ScanRuns).
class BlockRun final : public logql::EntryRun {
 public:
  explicit BlockRun(const chunk::DecodedBlock* b) : b_(b) {}
  size_t size() const override { return b_->size(); }
  int64_t Timestamp(size_t i) const override { return b_->timestamps[i]; }
  std::string_view Line(size_t i) const override { return b_->Line(i); }
  std::span<const common::Label> Metadata(size_t i) const override { return b_->Metadata(i); }
  uint32_t MetadataSetId(size_t i) const override { return b_->meta_ids[i]; }
  size_t MetadataSetCount() const override { return b_->metadata_set_count(); }
  void MetadataSetPairs(uint32_t set, std::vector<Pair>* out) const override {
    out->clear();
    const std::string_view text = b_->MetaText();
    auto sym = [&](uint32_t s) {
      return text.substr(b_->meta_symbols[s].first, b_->meta_symbols[s].second);
    };
    for (uint32_t p = b_->meta_set_start[set]; p < b_->meta_set_start[set + 1]; ++p) {
      out->emplace_back(sym(b_->meta_pairs[p].first), sym(b_->meta_pairs[p].second));
    }
  }

 private:
  const chunk::DecodedBlock* b_;
};

// Opens a stored chunk lazily (only its index and blooms are read now, its
// blocks when a scan decodes them), without the cache. The bytes read count
// in stats->compressed_bytes.
Result<std::shared_ptr<const chunk::Chunk>> OpenStoredChunk(store::ChunkStore* store, const store::ChunkRef& ref,
                                                            QueryStats* stats) {
  std::string where = "chunk " + std::to_string(ref.id) + " (file " + std::to_string(ref.file_id) + " @" +
                      std::to_string(ref.offset) + ")";
  auto c = chunk::Chunk::OpenLazy(
      ref.length,
      [store, ref](uint64_t offset, uint64_t length, std::string* out) {
        return store->ReadRangeInto(ref, offset, length, out);
      },
      std::move(where));
  if (!c.ok()) return c.status();
  uint64_t block_bytes = 0;
  for (size_t i = 0; i < (*c)->BlockCount(); ++i) block_bytes += (*c)->Block(i).length;
  stats->compressed_bytes += (*c)->size() - block_bytes;
  return std::shared_ptr<const chunk::Chunk>(std::move(c).value());
}

class ChunkSource final : public EntrySource {
 public:
  ChunkSource(store::ChunkStore* store, ChunkCache* cache, store::ChunkRef ref)
      : store_(store), cache_(cache), ref_(ref) {}

  int64_t MinTime() const override { return ref_.from_ts; }
  int64_t MaxTime() const override { return ref_.through_ts; }
  bool IsHead() const override { return false; }

  Result<std::unique_ptr<iter::EntryIterator>> Open(int64_t from, int64_t through,
                                                    iter::Direction direction,
                                                    const ScanHints& hints,
                                                    QueryStats* stats) override {
    auto chunk = OpenChunk(stats);
    if (!chunk.ok()) return chunk.status();

    chunk::ChunkIteratorOptions opts;
    opts.from_ns = from;
    opts.through_ns = through;
    opts.direction = direction;
    auto keys = std::make_shared<std::vector<std::string>>(RequiredBloomKeys(hints));
    auto fields = std::make_shared<std::vector<FieldKeys>>(FieldBloomKeys(hints));
    auto grams = std::make_shared<GramHashes>(NeedleGramHashes(hints));
    auto checks = std::make_shared<std::vector<std::string>>(MetadataCheckKeys(hints));
    if (!keys->empty() || !fields->empty() || !grams->empty()) {
      opts.block_filter = [keys, checks, fields, grams, stats](const chunk::BlockMeta&,
                                                               const chunk::Bloom& bloom) {
        for (const auto& k : *keys) {
          if (!bloom.MayContain(k)) {
            ++stats->blocks_skipped_by_bloom;
            return false;
          }
        }
        if (bloom.HasMetadataCheckKeys()) {
          for (const auto& k : *checks) {
            if (!bloom.MayContain(k)) {
              ++stats->blocks_skipped_by_bloom;
              return false;
            }
          }
        }
        if (!MayHoldGrams(bloom, *grams)) {
          ++stats->blocks_skipped_by_bloom;
          return false;
        }
        if (!fields->empty() && !bloom.MayContain(chunk::kEscapedBlockKey)) {
          for (const auto& f : *fields) {
            if (bloom.MayContainMetadata(f.metadata_key, f.check_key)) continue;
            for (const auto& t : f.tokens) {
              if (!bloom.MayContain(t)) {
                ++stats->blocks_skipped_by_bloom;
                return false;
              }
            }
          }
        }
        return true;
      };
    }
    opts.on_decode = [stats](const chunk::BlockMeta& meta) { stats->compressed_bytes += meta.length; };
    // A backward read may decompress only the newest segments of a block.
    opts.on_decompressed = [stats](uint64_t entries, uint64_t line_bytes) {
      stats->decompressed_lines += entries;
      stats->decompressed_bytes += line_bytes;
    };
    opts.line_contains = hints.line_contains;
    opts.cutoff = hints.cutoff;
    opts.pause = hints.pause;
    opts.metadata_equals = hints.metadata_equals;
    opts.field_equals = hints.field_equals;
    opts.with_metadata = hints.need_metadata;
    return (*chunk)->NewIterator(opts);
  }

  // Decodes only the entries column of the blocks overlapping the range.
  // Blocks of a chunk may overlap in time (late entries) but never hold the
  // same entry twice: the ChunkBuilder that wrote them rejects an exact
  // duplicate of any entry it holds (Contains), so no merge is needed.
  Result<bool> ScanEntrySizes(int64_t from, int64_t through, QueryStats* stats,
                              const logql::EntrySizesFn& fn) override {
    thread_local chunk::DecodedBlock block;  // keeps its buffers' capacity
    SKALD_RETURN_IF_ERROR(ForEachBlock(from, through, stats, [&](const chunk::Chunk& c, size_t i) {
      SKALD_RETURN_IF_ERROR(c.DecodeBlockEntries(i, &block));
      fn(logql::EntrySizes{block.timestamps, block.line_offsets});
      return common::Status::OK();
    }));
    return true;
  }

  // Decodes each block overlapping the range and hands it over whole (no
  // iterator; no Labels built for metadata the caller does not read).
  // Declines hints that Open uses to skip blocks or lines (needles,
  // metadata or field equalities): those scans keep the iterator.
  Result<bool> ScanRuns(int64_t from, int64_t through, const ScanHints& hints, QueryStats* stats,
                        const logql::EntryRunFn& fn) override {
    if (!hints.line_contains.empty() || !hints.metadata_equals.empty() || !hints.field_equals.empty()) {
      return false;
    }
    thread_local chunk::DecodedBlock block;  // keeps its buffers' capacity
    const BlockRun run(&block);
    SKALD_RETURN_IF_ERROR(ForEachBlock(from, through, stats, [&](const chunk::Chunk& c, size_t i) {
      SKALD_RETURN_IF_ERROR(c.DecodeBlock(i, &block, hints.need_metadata));
      fn(run);
      return common::Status::OK();
    }));
    return true;
  }

 private:
  // Calls visit(chunk, i) for each block i overlapping [from, through),
  // counted in `stats` as read and decompressed whole; stops at the first
  // error (from opening the chunk or from `visit`).
  common::Status ForEachBlock(int64_t from, int64_t through, QueryStats* stats,
                              const std::function<common::Status(const chunk::Chunk&, size_t)>& visit) {
    auto chunk = OpenChunk(stats);
    if (!chunk.ok()) return chunk.status();
    for (size_t i = 0; i < (*chunk)->BlockCount(); ++i) {
      const chunk::BlockMeta& m = (*chunk)->Block(i);
      if (m.max_ts < from || m.min_ts >= through) continue;
      stats->compressed_bytes += m.length;
      stats->decompressed_lines += m.entry_count;
      stats->decompressed_bytes += m.line_bytes;
      SKALD_RETURN_IF_ERROR(visit(**chunk, i));
    }
    return common::Status::OK();
  }

  // The chunk from the cache, or opened lazily (only its index and blooms
  // are read now, its blocks when a scan decodes them) and cached. Bytes
  // read count in stats->compressed_bytes: here the index and blooms on a
  // miss, each decoded block's stored length where it is decoded.
  Result<std::shared_ptr<const chunk::Chunk>> OpenChunk(QueryStats* stats) const {
    if (auto hit = cache_->Get(ref_)) return hit;
    auto c = OpenStoredChunk(store_, ref_, stats);
    if (c.ok()) cache_->Put(ref_, *c);
    return c;
  }

  store::ChunkStore* store_;
  ChunkCache* cache_;
  store::ChunkRef ref_;
};

// Unflushed entries of one stream, copied out of the ingester at select time.
class HeadSource final : public EntrySource {
 public:
  HeadSource(std::string labels, std::vector<common::Entry> entries)
      : labels_(std::move(labels)), entries_(std::move(entries)) {
    for (const auto& e : entries_) {
      min_ = std::min(min_, e.timestamp_ns);
      max_ = std::max(max_, e.timestamp_ns);
    }
  }

  int64_t MinTime() const override { return min_; }
  int64_t MaxTime() const override { return max_; }
  bool IsHead() const override { return true; }

  Result<std::unique_ptr<iter::EntryIterator>> Open(int64_t from, int64_t through,
                                                    iter::Direction direction,
                                                    const ScanHints& hints,
                                                    QueryStats* stats) override {
    std::vector<common::Entry> selected;
    for (auto& e : entries_) {
      if (e.timestamp_ns < from || e.timestamp_ns >= through) continue;
      ++stats->head_chunk_lines;
      stats->head_chunk_bytes += e.line.size();
      bool keep = true;
      for (const auto& n : hints.line_contains) {
        if (memmem(e.line.data(), e.line.size(), n.data(), n.size()) == nullptr) {
          keep = false;
          break;
        }
      }
      if (keep) selected.push_back(std::move(e));
    }
    entries_.clear();
    std::stable_sort(selected.begin(), selected.end(),
                     [](const common::Entry& a, const common::Entry& b) {
                       return a.timestamp_ns < b.timestamp_ns;
                     });
    return iter::NewVectorEntryIterator(labels_, std::move(selected), direction);
  }

  Result<bool> ScanEntrySizes(int64_t from, int64_t through, QueryStats* stats,
                              const logql::EntrySizesFn& fn) override {
    std::vector<int64_t> ts;
    std::vector<uint32_t> offsets{0};
    for (const auto& e : entries_) {
      if (e.timestamp_ns < from || e.timestamp_ns >= through) continue;
      ++stats->head_chunk_lines;
      stats->head_chunk_bytes += e.line.size();
      ts.push_back(e.timestamp_ns);
      offsets.push_back(offsets.back() + static_cast<uint32_t>(e.line.size()));
    }
    if (!ts.empty()) fn(logql::EntrySizes{ts, offsets});
    return true;
  }

 private:
  std::string labels_;
  std::vector<common::Entry> entries_;
  int64_t min_ = INT64_MAX;
  int64_t max_ = INT64_MIN;
};

}  // namespace

Result<std::vector<logql::StreamSources>> StoreQuerier::SelectStreams(
    std::string_view tenant, const std::vector<common::Matcher>& matchers, int64_t from,
    int64_t through) {
  // Streams by canonical label text, so head and store data of one stream meet.
  std::map<std::string, logql::StreamSources> by_labels;
  auto streams = index_->FindStreams(tenant, matchers, from, through);
  if (!streams.ok()) return streams.status();
  if (!streams->empty()) {
    std::vector<uint64_t> ids;
    std::map<uint64_t, logql::StreamSources*> by_id;
    for (auto& s : *streams) {
      ids.push_back(s.id);
      auto& ss = by_labels[s.labels.ToString()];
      if (!ss.labels) ss.labels = std::make_shared<const common::Labels>(s.labels);
      by_id[s.id] = &ss;
    }
    auto refs = index_->ChunksFor(tenant, ids, from, through);
    if (!refs.ok()) return refs.status();
    for (const auto& ref : *refs) {
      auto it = by_id.find(ref.stream_id);
      if (it == by_id.end()) continue;
      it->second->sources.push_back(std::make_unique<ChunkSource>(chunks_, &cache_, ref));
    }
  }
  if (ingester_) {
    ingester_->ForEachStream(
        tenant, matchers, from, through, iter::Direction::kForward,
        [&](const common::Labels& labels, std::unique_ptr<iter::EntryIterator> it) {
          std::vector<common::Entry> entries;
          while (it->Next()) entries.push_back(it->At().ToEntry());
          if (entries.empty()) return;
          std::string text = labels.ToString();
          auto& ss = by_labels[text];
          if (!ss.labels) ss.labels = std::make_shared<const common::Labels>(labels);
          ss.sources.push_back(std::make_unique<HeadSource>(std::move(text), std::move(entries)));
        });
  }
  std::vector<logql::StreamSources> out;
  out.reserve(by_labels.size());
  for (auto& [_, ss] : by_labels) {
    if (!ss.sources.empty()) out.push_back(std::move(ss));
  }
  return out;
}

size_t StoreQuerier::WarmChunkCache(const std::atomic<bool>* stop) {
  if (cache_.capacity() == 0) return 0;
  auto stopped = [stop] { return stop != nullptr && stop->load(std::memory_order_relaxed); };
  auto tenants = index_->Tenants();
  if (!tenants.ok()) {
    spdlog::warn("chunk cache warm-up: listing tenants failed: {}", tenants.status().ToString());
    return 0;
  }
  std::vector<store::ChunkRef> refs;
  for (const std::string& tenant : *tenants) {
    auto streams = index_->FindStreams(tenant, {}, INT64_MIN, INT64_MAX);
    if (!streams.ok()) continue;
    std::vector<uint64_t> ids;
    for (const auto& st : *streams) ids.push_back(st.id);
    if (ids.empty()) continue;
    auto r = index_->ChunksFor(tenant, ids, INT64_MIN, INT64_MAX);
    if (r.ok()) refs.insert(refs.end(), r->begin(), r->end());
  }
  std::sort(refs.begin(), refs.end(), [](const store::ChunkRef& a, const store::ChunkRef& b) {
    return a.through_ts > b.through_ts;
  });
  // Opened newest first until full, then cached oldest first, so the newest
  // chunks end up the most recently used (the last to be evicted).
  std::vector<std::pair<const store::ChunkRef*, std::shared_ptr<const chunk::Chunk>>> opened;
  size_t bytes = cache_.bytes();
  QueryStats stats;
  for (const store::ChunkRef& ref : refs) {
    if (stopped()) break;
    if (cache_.Get(ref) != nullptr) continue;
    auto c = OpenStoredChunk(chunks_, ref, &stats);
    if (!c.ok()) {
      spdlog::warn("chunk cache warm-up: {}", c.status().ToString());
      continue;
    }
    const size_t n = (*c)->MemoryBytes();
    if (bytes + n > cache_.capacity()) break;
    bytes += n;
    opened.emplace_back(&ref, std::move(c).value());
  }
  for (auto it = opened.rbegin(); it != opened.rend(); ++it) cache_.Put(*it->first, std::move(it->second));
  return opened.size();
}

}  // namespace skald::server::query
