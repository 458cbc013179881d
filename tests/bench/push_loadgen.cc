// push_loadgen: replays genlogs.py's push.jsonl against a skald (or Loki)
// push endpoint as protobuf+snappy batches of about 1 MiB (raw line bytes),
// over several keep-alive connections, and prints lines/s.
//
//   push_loadgen --url http://127.0.0.1:3100 --file push.jsonl [--connections 4] [--batch-bytes 1048576]
//                [--zstd-floor 1]
//
// --zstd-floor 1 first measures the floor of any server that stores these
// lines compressed: zstd level 1 alone over each stream's lines cut into
// 256 KiB blocks (the chunk block size), on one thread, before any push.
// It prints zstd_floor_cpu_s_per_million_lines (thread CPU time) and the
// ratio it reaches.
//
// trace_id (when not null) is sent as structured metadata. A non-2xx answer
// is retried after 100 ms (429 included), up to 50 times, then counted as
// failed. Exit code 0 when every batch was accepted.
#include <simdjson.h>
#include <zstd.h>

#include <ctime>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/entry.h"
#include "common/http/http_client.h"
#include "common/push_codec.h"

namespace {

using skald::common::Entry;
using skald::common::PushRequest;
using skald::common::PushStream;

constexpr int kMaxRetries = 50;

struct Args {
  std::string url = "http://127.0.0.1:3100";
  std::string file = "push.jsonl";
  int connections = 4;
  size_t batch_bytes = 1 << 20;
  bool zstd_floor = false;
};

Args ParseArgs(int argc, char** argv) {
  Args a;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--url") a.url = v;
    else if (k == "--file") a.file = v;
    else if (k == "--connections") a.connections = std::atoi(v.c_str());
    else if (k == "--batch-bytes") a.batch_bytes = std::strtoull(v.c_str(), nullptr, 10);
    else if (k == "--zstd-floor") a.zstd_floor = v == "1";
  }
  return a;
}

// `{a="1", b="2"}` from the JSON labels object (keys sorted by std::map).
std::string LabelString(simdjson::ondemand::object obj) {
  std::map<std::string, std::string> m;
  for (auto field : obj) {
    std::string_view k = field.unescaped_key().value();
    std::string_view v = field.value().get_string().value();
    m.emplace(std::string(k), std::string(v));
  }
  std::string out = "{";
  for (const auto& [k, v] : m) {
    if (out.size() > 1) out += ", ";
    out += k + "=\"";
    for (char c : v) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += "\"";
  }
  return out + "}";
}

// Uncompressed bytes per block in the zstd floor (the server's default
// chunk_block_size).
constexpr size_t kFloorBlockBytes = 256 << 10;

double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

// zstd level 1 over each stream's lines in kFloorBlockBytes blocks.
void ZstdFloor(const std::map<std::string, std::string>& stream_lines, uint64_t lines) {
  ZSTD_CCtx* cctx = ZSTD_createCCtx();
  std::string out;
  uint64_t raw = 0, stored = 0;
  const double t0 = ThreadCpuSeconds();
  for (const auto& [labels, text] : stream_lines) {
    for (size_t off = 0; off < text.size(); off += kFloorBlockBytes) {
      const size_t n = std::min(kFloorBlockBytes, text.size() - off);
      out.resize(ZSTD_compressBound(n));
      const size_t z = ZSTD_compressCCtx(cctx, out.data(), out.size(), text.data() + off, n, 1);
      if (ZSTD_isError(z)) std::exit(2);
      raw += n;
      stored += z;
    }
  }
  const double cpu = ThreadCpuSeconds() - t0;
  ZSTD_freeCCtx(cctx);
  std::printf("zstd_floor_cpu_s_per_million_lines=%.3f zstd_floor_mb_per_cpu_s=%.0f zstd_floor_ratio=%.2f\n",
              cpu * 1e6 / static_cast<double>(lines), static_cast<double>(raw) / cpu / 1e6,
              static_cast<double>(raw) / static_cast<double>(stored));
  std::fflush(stdout);
}

// Reads push.jsonl into encoded batches; with --zstd-floor also collects each
// stream's lines into *stream_lines.
std::vector<std::string> BuildBatches(const Args& args, uint64_t* lines, uint64_t* raw_bytes,
                                      std::map<std::string, std::string>* stream_lines) {
  simdjson::padded_string json;
  if (simdjson::padded_string::load(args.file).get(json)) {
    std::fprintf(stderr, "cannot read %s\n", args.file.c_str());
    std::exit(2);
  }
  simdjson::ondemand::parser parser;
  simdjson::ondemand::document_stream docs;
  if (parser.iterate_many(json, 1 << 24).get(docs)) std::exit(2);
  std::vector<std::string> batches;
  std::map<std::string, std::vector<Entry>> pending;
  size_t pending_bytes = 0;
  auto flush = [&] {
    PushRequest req;
    for (auto& [labels, entries] : pending) req.streams.push_back(PushStream{labels, std::move(entries)});
    batches.push_back(skald::common::EncodePushProtobuf(req));
    pending.clear();
    pending_bytes = 0;
  };
  for (auto doc : docs) {
    simdjson::ondemand::object obj = doc.get_object().value();
    std::string labels = LabelString(obj["labels"].get_object().value());
    Entry e;
    e.timestamp_ns = obj["ts_ns"].get_int64().value();
    e.line = std::string(obj["line"].get_string().value());
    auto trace = obj["trace_id"];
    if (!trace.is_null()) e.metadata.push_back({"trace_id", std::string(trace.get_string().value())});
    ++*lines;
    *raw_bytes += e.line.size();
    pending_bytes += e.line.size();
    if (args.zstd_floor) (*stream_lines)[labels].append(e.line);
    pending[labels].push_back(std::move(e));
    if (pending_bytes >= args.batch_bytes) flush();
  }
  if (!pending.empty()) flush();
  return batches;
}

}  // namespace

int main(int argc, char** argv) {
  const Args args = ParseArgs(argc, argv);
  uint64_t lines = 0, raw = 0;
  std::map<std::string, std::string> stream_lines;
  std::vector<std::string> batches = BuildBatches(args, &lines, &raw, &stream_lines);
  if (args.zstd_floor) {
    ZstdFloor(stream_lines, lines);
    stream_lines.clear();
  }
  std::atomic<size_t> next{0};
  std::atomic<uint64_t> failed{0}, retries{0};
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (int c = 0; c < args.connections; ++c) {
    threads.emplace_back([&] {
      skald::common::http::HttpClient client;
      for (size_t i = next++; i < batches.size(); i = next++) {
        skald::common::http::ClientRequest req;
        req.method = "POST";
        req.url = args.url + "/loki/api/v1/push";
        req.headers = {{"Content-Type", "application/x-protobuf"}};
        req.body = batches[i];
        bool ok = false;
        for (int attempt = 0; attempt < kMaxRetries && !ok; ++attempt) {
          auto resp = client.Do(req);
          ok = resp.ok() && resp->status / 100 == 2;
          if (!ok) {
            ++retries;
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
          }
        }
        if (!ok) ++failed;
      }
    });
  }
  for (auto& t : threads) t.join();
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("batches=%zu lines=%llu raw_bytes=%llu seconds=%.3f lines_per_sec=%.0f MBps=%.2f retries=%llu failed=%llu\n",
              batches.size(), static_cast<unsigned long long>(lines), static_cast<unsigned long long>(raw), secs,
              lines / secs, raw / secs / 1e6, static_cast<unsigned long long>(retries.load()),
              static_cast<unsigned long long>(failed.load()));
  return failed == 0 ? 0 : 1;
}
