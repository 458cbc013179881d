#include "server/chunk/block_iterator.h"

#include <algorithm>
#include <cstring>
#include <mutex>

#include "common/labels.h"
#include "server/iter/merge_entry_iterator.h"

namespace skald::server::chunk {
namespace {

using iter::Direction;
using iter::EntryIterator;
using iter::EntryRef;

// DecodedBlocks of finished iterators, kept so the next block decodes into
// buffers that already have their capacity (no malloc, no page faults, no
// zero-fill of a fresh 256 KiB line buffer per block). Thread-safe.
class BlockPool {
 public:
  static BlockPool& Instance() {
    static BlockPool* pool = new BlockPool();  // never destroyed: used until exit
    return *pool;
  }

  std::unique_ptr<DecodedBlock> Get() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!free_.empty()) {
        auto b = std::move(free_.back());
        free_.pop_back();
        bytes_ -= Footprint(*b);
        return b;
      }
    }
    return std::make_unique<DecodedBlock>();
  }

  void Put(std::unique_ptr<DecodedBlock> b) {
    if (b == nullptr) return;
    const size_t n = Footprint(*b);
    std::lock_guard<std::mutex> lock(mu_);
    if (bytes_ + n > kMaxPooledBytes) return;  // freed
    bytes_ += n;
    free_.push_back(std::move(b));
  }

 private:
  // The pooled blocks' buffers total at most this (a query merging one
  // block per stream of a few hundred streams reuses most of them); a block
  // that does not fit is freed.
  static constexpr size_t kMaxPooledBytes = size_t{32} << 20;

  static size_t Footprint(const DecodedBlock& b) { return b.MemoryBytes(); }

  std::mutex mu_;
  std::vector<std::unique_ptr<DecodedBlock>> free_;
  size_t bytes_ = 0;
};

// What every yielded entry must satisfy (NewBlocksIterator's arguments).
struct EntryFilter {
  std::vector<std::string> needles;
  std::vector<common::Label> metadata;
  std::vector<common::Label> fields;
  std::vector<std::vector<std::string>> field_needles;  // {fields[i].value}
  bool any() const { return !needles.empty() || !metadata.empty() || !fields.empty(); }
};

const std::vector<std::string>& BackslashNeedle() {
  static const std::vector<std::string> needle = {"\\"};
  return needle;
}

struct StreamInfo {
  std::string labels;
  uint64_t hash;
};

class BlockEntryIterator final : public EntryIterator {
 public:
  // `first_ts`: the block's first timestamp in `direction` (its min_ts
  // forward, max_ts backward).
  BlockEntryIterator(std::shared_ptr<const StreamInfo> stream, BlockDecodeFn decode,
                     int64_t from_ns, int64_t through_ns, Direction direction,
                     std::shared_ptr<const EntryFilter> filter, int64_t first_ts,
                     const std::atomic<int64_t>* cutoff, const iter::PauseBound* pause)
      : stream_(std::move(stream)),
        decode_(std::move(decode)),
        from_(from_ns),
        through_(through_ns),
        forward_(direction == Direction::kForward),
        filter_(std::move(filter)),
        first_ts_(first_ts),
        cutoff_(cutoff),
        pause_(pause) {}

  ~BlockEntryIterator() override { BlockPool::Instance().Put(std::move(block_)); }

  bool Next() override {
    paused_ = false;
    if (!decoded_) {
      // A block wholly beyond the cutoff is never decompressed; one beyond
      // the pause bound not yet.
      if (BeyondCutoff(first_ts_)) {
        decoded_ = true;
        return false;
      }
      if (Pause(first_ts_)) return false;
      if (!Decode()) return false;
    }
    while (remaining_ == 0) {
      // Backward over a partly decoded block: older entries are wanted,
      // unless the next segment's newest entry is already past the cutoff
      // (or, for now, the pause bound).
      if (!forward_ && std::min(window_lo_, hi_) > lo_ &&
          !BeyondCutoff(block_->timestamps[block_->first_decoded - 1])) {
        if (Pause(block_->timestamps[block_->first_decoded - 1])) return false;
        if (!DecodeOlder()) return false;
        continue;
      }
      // Exhausted: nothing refers to the block any more.
      BlockPool::Instance().Put(std::move(block_));
      return false;
    }
    const size_t i = filtered_ ? matches_[pos_] : pos_;
    if (Pause(block_->timestamps[i])) return false;
    --remaining_;
    pos_ = forward_ ? pos_ + 1 : pos_ - 1;
    cur_.timestamp_ns = block_->timestamps[i];
    cur_.line = block_->Line(i);
    cur_.metadata = block_->Metadata(i);
    return true;
  }

  const EntryRef& At() const override { return cur_; }
  std::string_view Labels() const override { return stream_->labels; }
  uint64_t StreamHash() const override { return stream_->hash; }
  common::Status status() const override { return status_; }
  bool Paused() const override { return paused_; }

 private:
  // Decodes the block (backward: only as far as its newest segment, see
  // DecodeBlockNewest) and sets up the entries in [from_, through_).
  bool Decode() {
    decoded_ = true;
    block_ = BlockPool::Instance().Get();
    status_ = decode_(block_.get(), forward_ ? DecodeStep::kWhole : DecodeStep::kNewest);
    if (!status_.ok()) return false;
    const auto& ts = block_->timestamps;
    lo_ = static_cast<size_t>(std::lower_bound(ts.begin(), ts.end(), from_) - ts.begin());
    hi_ = static_cast<size_t>(std::lower_bound(ts.begin(), ts.end(), through_) - ts.begin());
    if (hi_ < lo_) hi_ = lo_;
    Window(std::max(lo_, block_->first_decoded), hi_);
    return true;
  }

  bool BeyondCutoff(int64_t ts) const {
    if (cutoff_ == nullptr) return false;
    const int64_t c = cutoff_->load(std::memory_order_acquire);
    return forward_ ? ts > c : ts < c;
  }

  // Whether to stop before an entry at `ts` (or a block or segment starting
  // there) until the pause bound moves.
  bool Pause(int64_t ts) {
    paused_ = pause_ != nullptr && pause_->Beyond(ts);
    return paused_;
  }

  // Backward: decodes the next older segment and sets up its entries.
  bool DecodeOlder() {
    status_ = decode_(block_.get(), DecodeStep::kOlder);
    if (!status_.ok()) return false;
    Window(std::max(lo_, block_->first_decoded), std::min(window_lo_, hi_));
    return true;
  }

  // Iterates the decoded entries [a, b) (empty if b <= a) that pass filter_.
  void Window(size_t a, size_t b) {
    window_lo_ = a;
    if (b < a) b = a;
    if (filter_->any()) {
      filtered_ = true;
      matches_.clear();
      Select(a, b);
      remaining_ = matches_.size();
      pos_ = forward_ ? 0 : matches_.size() - 1;
    } else {
      remaining_ = b - a;
      pos_ = forward_ ? a : b - 1;
    }
  }

  // matches_ = the entries of [lo, hi) that pass filter_, ascending.
  void Select(size_t lo, size_t hi) {
    const EntryFilter& f = *filter_;
    if (!f.needles.empty()) {
      FindEntriesContaining(*block_, lo, hi, f.needles, &matches_);
    } else {
      for (size_t e = lo; e < hi; ++e) matches_.push_back(static_cast<uint32_t>(e));
    }
    if (!f.metadata.empty()) {
      // Entries whose metadata set lacks a required pair are dropped here,
      // before anyone builds their metadata labels.
      if (block_->MetadataSetsHolding(f.metadata, &sets_) == 0) {
        matches_.clear();
      } else {
        std::erase_if(matches_, [&](uint32_t e) { return sets_[block_->meta_ids[e]] == 0; });
      }
    }
    // A parsed field name=value can hold only in an entry whose line has the
    // value verbatim or has escapes (a backslash), or whose metadata has the
    // pair (ScanHints::field_equals): the cheap pre-filter `|= value`.
    for (size_t i = 0; i < f.fields.size() && !matches_.empty(); ++i) {
      hits_.clear();
      FindEntriesContaining(*block_, lo, hi, f.field_needles[i], &hits_);
      FindEntriesContaining(*block_, lo, hi, BackslashNeedle(), &hits_);
      mark_.assign(hi, 0);
      for (uint32_t e : hits_) mark_[e] = 1;
      const std::span<const common::Label> pair(&f.fields[i], 1);
      const bool any_set = block_->MetadataSetsHolding(pair, &sets_) != 0;
      std::erase_if(matches_, [&](uint32_t e) {
        return mark_[e] == 0 && !(any_set && sets_[block_->meta_ids[e]] != 0);
      });
    }
  }

  std::shared_ptr<const StreamInfo> stream_;
  BlockDecodeFn decode_;
  const int64_t from_, through_;
  const bool forward_;
  std::shared_ptr<const EntryFilter> filter_;
  bool decoded_ = false;
  bool filtered_ = false;  // iterate matches_ rather than block_ positions
  std::unique_ptr<DecodedBlock> block_;  // from BlockPool once decoded; back when done
  std::vector<uint32_t> matches_;
  std::vector<uint8_t> sets_;  // per metadata set: holds the pair(s) asked
  std::vector<uint32_t> hits_;  // Select's scratch
  std::vector<uint8_t> mark_;   // Select's scratch, per entry
  const int64_t first_ts_;
  const std::atomic<int64_t>* cutoff_;
  const iter::PauseBound* pause_;
  bool paused_ = false;
  size_t lo_ = 0, hi_ = 0;  // the entries in [from_, through_)
  size_t window_lo_ = 0;    // first entry of the current window
  size_t pos_ = 0;
  size_t remaining_ = 0;
  EntryRef cur_;
  common::Status status_;
};

// Runs children one after the other, freeing each when it is exhausted.
class ConcatEntryIterator final : public EntryIterator {
 public:
  explicit ConcatEntryIterator(std::vector<std::unique_ptr<EntryIterator>> children)
      : children_(std::move(children)) {}

  bool Next() override {
    paused_ = false;
    while (idx_ < children_.size()) {
      if (children_[idx_]->Next()) return true;
      if (children_[idx_]->Paused()) {  // the later children come after it
        paused_ = true;
        return false;
      }
      if (!children_[idx_]->status().ok()) {
        status_ = children_[idx_]->status();
        return false;
      }
      if (idx_ + 1 < children_.size()) children_[idx_].reset();
      else break;
      ++idx_;
    }
    return false;
  }

  const EntryRef& At() const override { return children_[idx_]->At(); }
  std::string_view Labels() const override { return children_[idx_]->Labels(); }
  uint64_t StreamHash() const override { return children_[idx_]->StreamHash(); }
  common::Status status() const override { return status_; }
  bool Paused() const override { return paused_; }

 private:
  std::vector<std::unique_ptr<EntryIterator>> children_;
  size_t idx_ = 0;
  bool paused_ = false;
  common::Status status_;
};

}  // namespace

namespace {

// FindEntriesContaining over entries [a, b) of one run (lines back to back),
// `scan` being the longest needle.
void FindInRun(const DecodedBlock& block, size_t a, size_t b, const std::vector<std::string>& needles,
               const std::string& scan, std::vector<uint32_t>* out) {
  const auto& offs = block.line_offsets;
  const auto& starts = block.line_pos;
  auto line_end = [&](size_t e) { return starts[e] + (offs[e + 1] - offs[e]); };
  const char* base = block.lines.data();
  const size_t end = line_end(b - 1);
  size_t pos = starts[a];
  size_t e = a;
  while (pos < end) {
    const void* hit = memmem(base + pos, end - pos, scan.data(), scan.size());
    if (hit == nullptr) break;
    const size_t at = static_cast<size_t>(static_cast<const char*>(hit) - base);
    // The entry whose line holds byte `at`: the last e with starts[e] <= at.
    e = static_cast<size_t>(std::upper_bound(starts.begin() + static_cast<ptrdiff_t>(e) + 1,
                                             starts.begin() + static_cast<ptrdiff_t>(b), at) -
                            starts.begin()) -
        1;
    const size_t le = line_end(e);
    // A hit that runs past its line's end spans two lines; so would every
    // later hit starting in the same line. Either way, go on at the next line.
    if (at + scan.size() <= le) {
      std::string_view line(base + starts[e], le - starts[e]);
      bool all = true;
      for (const auto& n : needles) {
        if (&n == &scan || n.empty()) continue;
        if (memmem(line.data(), line.size(), n.data(), n.size()) == nullptr) {
          all = false;
          break;
        }
      }
      if (all) out->push_back(static_cast<uint32_t>(e));
    }
    pos = le;
  }
}

}  // namespace

void FindEntriesContaining(const DecodedBlock& block, size_t lo, size_t hi,
                           const std::vector<std::string>& needles, std::vector<uint32_t>* out) {
  if (lo >= hi) return;
  // Scan for the longest needle (likely the rarest); check the rest per hit line.
  const std::string* scan = &needles[0];
  for (const auto& n : needles) {
    if (n.size() > scan->size()) scan = &n;
  }
  if (scan->empty()) {  // every needle is empty: every line matches
    for (size_t e = lo; e < hi; ++e) out->push_back(static_cast<uint32_t>(e));
    return;
  }
  // One memmem pass per run of contiguous lines, runs in entry order.
  for (size_t k = 0; k + 1 < block.runs.size(); ++k) {
    const size_t a = std::max<size_t>(lo, block.runs[k]);
    const size_t b = std::min<size_t>(hi, block.runs[k + 1]);
    if (a < b) FindInRun(block, a, b, needles, *scan, out);
  }
}

std::unique_ptr<EntryIterator> NewBlocksIterator(std::string labels,
                                                 std::vector<BlockSource> blocks,
                                                 int64_t from_ns, int64_t through_ns,
                                                 Direction direction,
                                                 std::vector<std::string> line_contains,
                                                 std::vector<common::Label> metadata_equals,
                                                 std::vector<common::Label> field_equals,
                                                 const std::atomic<int64_t>* cutoff,
                                                 const iter::PauseBound* pause) {
  const bool forward = direction == Direction::kForward;
  std::erase_if(blocks, [&](const BlockSource& b) {
    return b.meta.max_ts < from_ns || b.meta.min_ts >= through_ns;
  });
  std::sort(blocks.begin(), blocks.end(), [&](const BlockSource& a, const BlockSource& b) {
    return forward ? a.meta.min_ts < b.meta.min_ts : a.meta.max_ts > b.meta.max_ts;
  });
  auto stream = std::make_shared<StreamInfo>();
  stream->hash = common::FingerprintOf(labels);
  stream->labels = std::move(labels);
  auto filter = std::make_shared<EntryFilter>();
  filter->needles = std::move(line_contains);
  filter->metadata = std::move(metadata_equals);
  for (auto& f : field_equals) {
    if (f.value.empty()) continue;  // "" also matches an absent field: no pre-filter
    filter->field_needles.push_back({f.value});
    filter->fields.push_back(std::move(f));
  }
  // Blocks in reading order form runs that overlap in time (late entries);
  // each run is merged, the runs are read one after the other, so a block is
  // decoded only when the reader gets to its run.
  std::vector<std::unique_ptr<EntryIterator>> runs;
  std::vector<std::unique_ptr<EntryIterator>> run;
  std::vector<int64_t> run_bounds;  // each block's first timestamp in `direction`
  int64_t run_edge = 0;  // forward: max max_ts of the run; backward: min min_ts
  auto close_run = [&] {
    if (run.size() == 1) runs.push_back(std::move(run.front()));
    if (run.size() > 1) {
      runs.push_back(iter::NewMergeEntryIterator(std::move(run), direction, std::move(run_bounds), pause));
    }
    run.clear();
    run_bounds.clear();
  };
  for (BlockSource& b : blocks) {
    const bool overlaps = !run.empty() && (forward ? b.meta.min_ts <= run_edge : b.meta.max_ts >= run_edge);
    if (!overlaps) {
      close_run();
      run_edge = forward ? b.meta.max_ts : b.meta.min_ts;
    }
    run_edge = forward ? std::max(run_edge, b.meta.max_ts) : std::min(run_edge, b.meta.min_ts);
    run_bounds.push_back(forward ? b.meta.min_ts : b.meta.max_ts);
    run.push_back(std::make_unique<BlockEntryIterator>(
        stream, std::move(b.decode), from_ns, through_ns, direction,
        std::shared_ptr<const EntryFilter>(filter), forward ? b.meta.min_ts : b.meta.max_ts, cutoff,
        pause));
  }
  close_run();
  if (runs.size() == 1) return std::move(runs.front());
  return std::make_unique<ConcatEntryIterator>(std::move(runs));
}

}  // namespace skald::server::chunk
