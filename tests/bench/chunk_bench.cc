// Chunk micro-benchmarks: append+compress throughput (target >= 1.5 M
// lines/s/core at zstd level 3), full decode, and bloom-skipping reads.
#include <benchmark/benchmark.h>

#include <random>
#include <string>
#include <vector>

#include "server/chunk/chunk.h"
#include "server/chunk/chunk_builder.h"
#include "server/chunk/tokenizer.h"

using namespace skald::server::chunk;

namespace {

std::vector<std::string> MakeLines(size_t n) {
  std::mt19937_64 rng(7);
  const char* paths[] = {"/api/v1/users", "/api/v1/orders", "/healthz", "/metrics"};
  const char* levels[] = {"info", "info", "info", "warn", "error"};
  std::vector<std::string> lines;
  for (size_t i = 0; i < n; ++i) {
    char buf[256];
    std::snprintf(buf, sizeof(buf),
                  "ts=2026-11-22T01:%02zu:%02zu.%06zuZ level=%s method=GET path=%s status=%d "
                  "duration_ms=%zu trace_id=%016llx",
                  (i / 60) % 60, i % 60, i % 1000000, levels[rng() % 5], paths[rng() % 4],
                  rng() % 10 ? 200 : 500, static_cast<size_t>(rng() % 900),
                  static_cast<unsigned long long>(rng()));
    lines.emplace_back(buf);
  }
  return lines;
}

const std::vector<std::string>& Lines() {
  static const std::vector<std::string> lines = MakeLines(100000);
  return lines;
}

std::string EncodeChunk(Codec codec, int level) {
  ChunkOptions o;
  o.block.codec = codec;
  o.block.zstd_level = level;
  ChunkBuilder b("{app=\"bench\"}", o);
  int64_t ts = 0;
  for (const std::string& l : Lines()) (void)b.Append(ts++, l);
  return *b.Encode();
}

void BM_AppendAndCompress(benchmark::State& state) {
  const auto codec = static_cast<Codec>(state.range(0));
  size_t bytes = 0;
  for (auto _ : state) {
    std::string out = EncodeChunk(codec, kDefaultZstdLevel);
    bytes = out.size();
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * Lines().size()));
  state.counters["ratio"] = [&] {
    size_t raw = 0;
    for (const auto& l : Lines()) raw += l.size();
    return static_cast<double>(raw) / static_cast<double>(bytes);
  }();
}
BENCHMARK(BM_AppendAndCompress)->Arg(0)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond);

void BM_IterateAll(benchmark::State& state) {
  auto chunk = *Chunk::Open(EncodeChunk(static_cast<Codec>(state.range(0)), kDefaultZstdLevel), "b");
  for (auto _ : state) {
    auto it = chunk->NewIterator({});
    size_t n = 0;
    while (it->Next()) n += it->At().line.size();
    benchmark::DoNotOptimize(n);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * Lines().size()));
}
BENCHMARK(BM_IterateAll)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond);

void BM_MemmemDecodedBlocks(benchmark::State& state) {
  auto chunk = *Chunk::Open(EncodeChunk(Codec::kZstd, kDefaultZstdLevel), "b");
  DecodedBlock block;
  for (auto _ : state) {
    size_t hits = 0;
    for (size_t i = 0; i < chunk->BlockCount(); ++i) {
      (void)chunk->DecodeBlock(i, &block);
      const std::string_view lines = block.lines.view();
      for (size_t p = lines.find("status=500"); p != std::string_view::npos;
           p = lines.find("status=500", p + 1)) {
        ++hits;
      }
    }
    benchmark::DoNotOptimize(hits);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * Lines().size()));
}
BENCHMARK(BM_MemmemDecodedBlocks)->Unit(benchmark::kMillisecond);

void BM_BloomSkipAbsentToken(benchmark::State& state) {
  auto chunk = *Chunk::Open(EncodeChunk(Codec::kZstd, kDefaultZstdLevel), "b");
  ChunkIteratorOptions o;
  o.block_filter = [](const BlockMeta&, const Bloom& bloom) {
    return bloom.MayContain("deadbeefdeadbeef");
  };
  for (auto _ : state) {
    auto it = chunk->NewIterator(o);
    size_t n = 0;
    while (it->Next()) ++n;
    benchmark::DoNotOptimize(n);
  }
}
BENCHMARK(BM_BloomSkipAbsentToken)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
