// scan_baseline_bench: the single-core reference a Skald `|= "needle"` scan
// is compared to. About 64 MiB of corpus-like log lines are cut into 256 KiB
// blocks (whole lines, '\n'-terminated) and compressed with zstd level 3 -
// the shape of chunk data - then measured on one core:
//
//   BM_ZstdDecompress            decompress every block (no scanning)
//   BM_MemmemBlock/<needle>      memmem over the decompressed text; each hit
//                                counts its line and resumes at the next line
//   BM_MemmemPerLine/<needle>    memchr('\n') + memmem per line (a naive filter)
//   BM_ZstdMemmem/<needle>       decompress + memmem per block: the baseline
//
// bytes_per_second is always raw (decompressed) line bytes per second, the
// same unit as Loki's totalBytesProcessed / execTime.
//
// Input: env SKALD_SCAN_CORPUS names a text file with one log line per line
// (run_query_bench.sh writes it from genlogs.py's push.jsonl); its first
// kTargetBytes are used, repeated if shorter. Without it, lines resembling
// genlogs.py's mix (JSON, logfmt, nginx) are generated in-process.
// Needles: "timeout" (frequent), "deadbeefdeadbeefdeadbeefdeadbeef" (absent,
// like a unique trace id: the scan reads everything), and env
// SKALD_SCAN_NEEDLE if set (e.g. the real unique trace id).
//
// Single-threaded; not a test.
#include <benchmark/benchmark.h>
#include <string.h>
#include <zstd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace {

constexpr size_t kTargetBytes = 64u << 20;  // raw bytes of the data set
constexpr size_t kBlockBytes = 256u << 10;  // raw bytes per zstd block (lines are not split)
constexpr int kZstdLevel = 3;

struct Block {
  std::string compressed;
  size_t raw_size = 0;
};

struct DataSet {
  std::vector<Block> blocks;
  std::vector<std::string> raw;  // decompressed blocks, for the memmem-only benchmarks
  int64_t raw_bytes = 0;
  int64_t lines = 0;
};

std::string ReadCorpusText(const char* path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "scan_baseline_bench: cannot read %s\n", path);
    std::exit(2);
  }
  std::string text;
  text.resize(kTargetBytes);
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(in.gcount()));
  if (text.empty()) {
    std::fprintf(stderr, "scan_baseline_bench: %s is empty\n", path);
    std::exit(2);
  }
  // Drop a trailing partial line, then repeat the text up to the target size.
  size_t last_nl = text.rfind('\n');
  if (last_nl == std::string::npos) {
    text.push_back('\n');
  } else {
    text.resize(last_nl + 1);
  }
  const std::string once = text;
  while (text.size() + once.size() <= kTargetBytes) text += once;
  return text;
}

// Lines resembling genlogs.py: ~60% JSON, ~20% logfmt, ~20% nginx; 32-hex trace ids.
std::string GenerateCorpusText() {
  std::mt19937_64 rng(42);
  const char* msgs[] = {"request completed",        "user logged in",       "cache hit",
                        "upstream request timeout", "db query timeout",     "order created",
                        "retrying upstream call",   "internal server error"};
  const char* levels[] = {"info", "info", "info", "info", "info", "info", "info", "info", "warn", "error"};
  const char* apps[] = {"api", "auth", "payments", "orders", "gateway", "worker", "web", "ingress"};
  auto hex = [&rng](int n) {
    static const char kDigits[] = "0123456789abcdef";
    std::string s;
    for (int i = 0; i < n; ++i) s.push_back(kDigits[rng() % 16]);
    return s;
  };
  std::string text;
  text.reserve(kTargetBytes + 1024);
  char buf[1024];
  int64_t ts = 1763780000;
  while (text.size() < kTargetBytes) {
    ++ts;
    const char* lvl = levels[rng() % 10];
    const char* msg = msgs[rng() % 8];
    const char* app = apps[rng() % 8];
    unsigned kind = rng() % 10;
    int n;
    if (kind < 6) {
      n = std::snprintf(buf, sizeof(buf),
                        "{\"ts\":\"2026-11-22T02:%02lld:%02lld.%06lldZ\",\"level\":\"%s\",\"app\":\"%s\",\"msg\":\"%s\","
                        "\"trace_id\":\"%s\",\"user_id\":%llu,\"duration_ms\":%llu,\"path\":\"/api/v1/orders/%llu\"}\n",
                        static_cast<long long>(ts / 60 % 60), static_cast<long long>(ts % 60),
                        static_cast<long long>(rng() % 1000000), lvl, app, msg, hex(32).c_str(),
                        static_cast<unsigned long long>(rng() % 100000),
                        static_cast<unsigned long long>(rng() % 2000),
                        static_cast<unsigned long long>(rng() % 1000000));
    } else if (kind < 8) {
      n = std::snprintf(buf, sizeof(buf),
                        "ts=2026-11-22T02:%02lld:%02lldZ level=%s caller=worker.go:%llu msg=\"%s\" trace_id=%s "
                        "duration=%llums queue=jobs-%llu\n",
                        static_cast<long long>(ts / 60 % 60), static_cast<long long>(ts % 60), lvl,
                        static_cast<unsigned long long>(rng() % 900 + 10), msg, hex(32).c_str(),
                        static_cast<unsigned long long>(rng() % 2000),
                        static_cast<unsigned long long>(rng() % 16));
    } else {
      n = std::snprintf(buf, sizeof(buf),
                        "10.%llu.%llu.%llu - - [22/Nov/2026:02:%02lld:%02lld +0000] \"GET /api/v1/cart HTTP/1.1\" %d "
                        "%llu \"-\" \"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36\" rt=%llu.%03llu\n",
                        static_cast<unsigned long long>(rng() % 256), static_cast<unsigned long long>(rng() % 256),
                        static_cast<unsigned long long>(rng() % 256), static_cast<long long>(ts / 60 % 60),
                        static_cast<long long>(ts % 60), lvl[0] == 'e' ? 504 : 200,
                        static_cast<unsigned long long>(rng() % 50000), static_cast<unsigned long long>(rng() % 3),
                        static_cast<unsigned long long>(rng() % 1000));
    }
    if (n > 0) text.append(buf, static_cast<size_t>(n) < sizeof(buf) ? static_cast<size_t>(n) : sizeof(buf) - 1);
  }
  return text;
}

DataSet BuildDataSet() {
  const char* path = std::getenv("SKALD_SCAN_CORPUS");
  const std::string text = (path != nullptr && *path != '\0') ? ReadCorpusText(path) : GenerateCorpusText();
  DataSet ds;
  ZSTD_CCtx* cctx = ZSTD_createCCtx();
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = pos + kBlockBytes;
    if (end >= text.size()) {
      end = text.size();
    } else {
      // Cut after the last '\n' inside the block; a line longer than a block ends it.
      size_t nl = text.rfind('\n', end - 1);
      end = (nl == std::string::npos || nl < pos) ? text.find('\n', end) : nl + 1;
      if (end == std::string::npos) end = text.size();
    }
    const size_t raw_size = end - pos;
    Block b;
    b.raw_size = raw_size;
    b.compressed.resize(ZSTD_compressBound(raw_size));
    size_t n = ZSTD_compressCCtx(cctx, b.compressed.data(), b.compressed.size(), text.data() + pos, raw_size,
                                 kZstdLevel);
    if (ZSTD_isError(n)) {
      std::fprintf(stderr, "scan_baseline_bench: zstd: %s\n", ZSTD_getErrorName(n));
      std::exit(2);
    }
    b.compressed.resize(n);
    ds.raw.emplace_back(text.data() + pos, raw_size);
    ds.blocks.push_back(std::move(b));
    ds.raw_bytes += static_cast<int64_t>(raw_size);
    pos = end;
  }
  ZSTD_freeCCtx(cctx);
  for (char c : text) ds.lines += (c == '\n');
  return ds;
}

const DataSet& Data() {
  static const DataSet* ds = new DataSet(BuildDataSet());
  return *ds;
}

std::vector<std::string>& Needles() {
  static std::vector<std::string>* v = [] {
    auto* out = new std::vector<std::string>{"timeout", "deadbeefdeadbeefdeadbeefdeadbeef"};
    if (const char* n = std::getenv("SKALD_SCAN_NEEDLE"); n != nullptr && *n != '\0') out->push_back(n);
    return out;
  }();
  return *v;
}

// Lines of [p, p+n) containing needle: memmem over the text, a hit counts its
// line and the search resumes at the next line.
int64_t CountMatchingLinesBlock(const char* p, size_t n, const std::string& needle) {
  int64_t count = 0;
  const char* end = p + n;
  while (p < end) {
    const void* hit = memmem(p, static_cast<size_t>(end - p), needle.data(), needle.size());
    if (hit == nullptr) break;
    ++count;
    const void* nl = memchr(hit, '\n', static_cast<size_t>(end - static_cast<const char*>(hit)));
    if (nl == nullptr) break;
    p = static_cast<const char*>(nl) + 1;
  }
  return count;
}

int64_t CountMatchingLinesPerLine(const char* p, size_t n, const std::string& needle) {
  int64_t count = 0;
  const char* end = p + n;
  while (p < end) {
    const char* nl = static_cast<const char*>(memchr(p, '\n', static_cast<size_t>(end - p)));
    const char* line_end = nl == nullptr ? end : nl;
    if (memmem(p, static_cast<size_t>(line_end - p), needle.data(), needle.size()) != nullptr) ++count;
    p = line_end + 1;
  }
  return count;
}

void SetCommon(benchmark::State& state, int64_t matches) {
  const DataSet& ds = Data();
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * ds.raw_bytes);
  state.counters["raw_mib"] = static_cast<double>(ds.raw_bytes) / (1 << 20);
  state.counters["lines"] = static_cast<double>(ds.lines);
  state.counters["matching_lines"] = static_cast<double>(matches);
}

void BM_ZstdDecompress(benchmark::State& state) {
  const DataSet& ds = Data();
  ZSTD_DCtx* dctx = ZSTD_createDCtx();
  std::string out(kBlockBytes * 4, '\0');
  for (auto _ : state) {
    for (const Block& b : ds.blocks) {
      if (out.size() < b.raw_size) out.resize(b.raw_size);
      size_t n = ZSTD_decompressDCtx(dctx, out.data(), out.size(), b.compressed.data(), b.compressed.size());
      if (ZSTD_isError(n)) state.SkipWithError(ZSTD_getErrorName(n));
      benchmark::DoNotOptimize(out.data());
    }
  }
  ZSTD_freeDCtx(dctx);
  SetCommon(state, 0);
  int64_t compressed = 0;
  for (const Block& b : ds.blocks) compressed += static_cast<int64_t>(b.compressed.size());
  state.counters["compression_ratio"] = static_cast<double>(ds.raw_bytes) / static_cast<double>(compressed);
}

void BM_MemmemBlock(benchmark::State& state) {
  const DataSet& ds = Data();
  const std::string& needle = Needles()[static_cast<size_t>(state.range(0))];
  state.SetLabel(needle);
  int64_t matches = 0;
  for (auto _ : state) {
    matches = 0;
    for (const std::string& r : ds.raw) matches += CountMatchingLinesBlock(r.data(), r.size(), needle);
    benchmark::DoNotOptimize(matches);
  }
  SetCommon(state, matches);
}

void BM_MemmemPerLine(benchmark::State& state) {
  const DataSet& ds = Data();
  const std::string& needle = Needles()[static_cast<size_t>(state.range(0))];
  state.SetLabel(needle);
  int64_t matches = 0;
  for (auto _ : state) {
    matches = 0;
    for (const std::string& r : ds.raw) matches += CountMatchingLinesPerLine(r.data(), r.size(), needle);
    benchmark::DoNotOptimize(matches);
  }
  SetCommon(state, matches);
}

void BM_ZstdMemmem(benchmark::State& state) {
  const DataSet& ds = Data();
  const std::string& needle = Needles()[static_cast<size_t>(state.range(0))];
  state.SetLabel(needle);
  ZSTD_DCtx* dctx = ZSTD_createDCtx();
  std::string out(kBlockBytes * 4, '\0');
  int64_t matches = 0;
  for (auto _ : state) {
    matches = 0;
    for (const Block& b : ds.blocks) {
      if (out.size() < b.raw_size) out.resize(b.raw_size);
      size_t n = ZSTD_decompressDCtx(dctx, out.data(), out.size(), b.compressed.data(), b.compressed.size());
      if (ZSTD_isError(n)) {
        state.SkipWithError(ZSTD_getErrorName(n));
        break;
      }
      matches += CountMatchingLinesBlock(out.data(), n, needle);
    }
    benchmark::DoNotOptimize(matches);
  }
  ZSTD_freeDCtx(dctx);
  SetCommon(state, matches);
}

void NeedleArgs(benchmark::internal::Benchmark* b) {
  for (size_t i = 0; i < Needles().size(); ++i) b->Arg(static_cast<int64_t>(i));
}

BENCHMARK(BM_ZstdDecompress)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_MemmemBlock)->Apply(NeedleArgs)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_MemmemPerLine)->Apply(NeedleArgs)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ZstdMemmem)->Apply(NeedleArgs)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
