#!/usr/bin/env bash
# Push benchmark: generates a corpus with genlogs.py, starts skald on a fresh
# data dir, replays the corpus with push_loadgen (1 MiB protobuf+snappy
# batches over keep-alive connections), flushes, and reports:
#   lines/s, server CPU seconds per million lines (/proc/<pid>/stat utime+stime)
#   and its ratio to zstd level 1 alone on the same lines (push_loadgen --zstd-floor),
#   peak RSS (VmHWM), on-disk bytes (chunks + index + wal) vs raw line bytes.
#
# Usage: tests/bench/run_push_bench.sh [lines] [streams] [connections]
# Env:   BUILD_DIR (default ./build; configured with -DSKALD_BENCH=ON and the
#        `skald` and `push_loadgen` targets built), SHARED_DIR (default ../shared),
#        CORPUS_DIR (a directory with push.jsonl made by genlogs.py --format push:
#        used as is instead of generating one; [lines]/[streams] are then only
#        labels), KEEP=1 (keep the work directory), SKALD_ENV (extra env for skald,
#        e.g. "MALLOC_ARENA_MAX=2"), PERF=1 (record the server with perf into
#        $WORK/perf.data; PERF_CALL_GRAPH, default -g, e.g. "--call-graph dwarf,16384"
#        for callers in a build without frame pointers; PERF_FREQ, default 499), EXTRA_CONFIG (YAML appended to the config, e.g.
#        $'ingester:\n  chunk_block_size: 131072').
# Only loopback traffic; bounded by the corpus size.
set -euo pipefail
LINES=${1:-200000}
STREAMS=${2:-200}
CONNS=${3:-4}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build}
SHARED_DIR=${SHARED_DIR:-$ROOT/../shared}
SKALD=$BUILD_DIR/server/skald
LOADGEN=$BUILD_DIR/tests/bench/push_loadgen
for b in "$SKALD" "$LOADGEN"; do
  [[ -x $b ]] || { echo "missing $b (build skald and push_loadgen with -DSKALD_BENCH=ON)" >&2; exit 2; }
done

WORK=$(mktemp -d /tmp/skald-push-bench.XXXXXX)
PID=
trap 'if [[ -n $PID ]]; then kill $PID 2>/dev/null || true; wait $PID 2>/dev/null || true; fi; [[ ${KEEP:-0} == 1 ]] && echo "kept $WORK" || rm -rf "$WORK"' EXIT
if [[ -n ${CORPUS_DIR:-} ]]; then
  CORPUS=$CORPUS_DIR/push.jsonl
  LINES=$(wc -l < "$CORPUS")
else
  python3 "$SHARED_DIR/bench/genlogs.py" --out "$WORK/corpus" --format push --lines "$LINES" --streams "$STREAMS" --quiet
  CORPUS=$WORK/corpus/push.jsonl
fi
RAW=$(python3 -c "import json,sys; print(sum(len(json.loads(l)['line'].encode()) for l in open(sys.argv[1])))" "$CORPUS")

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > "$WORK/config.yaml" <<YAML
limits_config:
  ingestion_rate_mb: 100000
  ingestion_burst_size_mb: 100000
  per_stream_rate_limit: 100GB
  per_stream_rate_limit_burst: 100GB
${EXTRA_CONFIG:-}
YAML
env ${SKALD_ENV:-} "$SKALD" -config.file="$WORK/config.yaml" -server.http-listen-address=127.0.0.1 \
  -server.http-listen-port="$PORT" -common.path-prefix="$WORK/data" > "$WORK/skald.log" 2>&1 &
PID=$!
for _ in $(seq 1 100); do
  curl -sf "http://127.0.0.1:$PORT/ready" > /dev/null 2>&1 && break
  sleep 0.1
done
if [[ ${PERF:-0} == 1 ]]; then
  perf record ${PERF_CALL_GRAPH:--g} -F "${PERF_FREQ:-499}" -p "$PID" -o "$WORK/perf.data" > "$WORK/perf.log" 2>&1 &
  PERF_PID=$!
fi
cpu_ticks() { awk '{print $14 + $15}' "/proc/$PID/stat"; }
HZ=$(getconf CLK_TCK)
T0=$(cpu_ticks)
"$LOADGEN" --url "http://127.0.0.1:$PORT" --file "$CORPUS" --connections "$CONNS" --zstd-floor 1 | tee "$WORK/loadgen.out"
T1=$(cpu_ticks)
HWM_PUSH=$(awk '/VmHWM/ {print $2}' "/proc/$PID/status")
RSS_PUSH=$(awk '/VmRSS/ {print $2}' "/proc/$PID/status")
WAL_PUSH=$(du -sb "$WORK/data/wal" 2>/dev/null | awk '{print $1}')
curl -sf -X POST "http://127.0.0.1:$PORT/flush" > /dev/null
T2=$(cpu_ticks)
if [[ -n ${PERF_PID:-} ]]; then kill -INT $PERF_PID; wait $PERF_PID || true; fi
HWM=$(awk '/VmHWM/ {print $2}' "/proc/$PID/status")
LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
DISK=$(du -sb --exclude=wal "$WORK/data" | awk '{print $1}')
WAL=$(du -sb "$WORK/data/wal" 2>/dev/null | awk '{print $1}')
CHUNKS=$(du -sb "$WORK/data/chunks" 2>/dev/null | awk '{print $1}')
# Pushes that waited for a memory flush (the hard cap, 2x max_head_memory_bytes)
# and memory flushes: what the peak RSS cost in throughput.
MEMSTATS=$(curl -sf "http://127.0.0.1:$PORT/metrics" | awk '
  /^skald_ingester_memory_waits_total / {w = $2}
  /^loki_ingester_chunks_flushed_total\{reason="memory"\}/ {m = $2}
  END {printf "memory_waits=%d chunks_flushed_for_memory=%d", w, m}')
STATS=$(curl -sf "http://127.0.0.1:$PORT/loki/api/v1/index/stats?query=%7Bapp%3D~%22.%2B%22%7D&start=0&end=$(( $(date +%s%N) + 3600000000000 ))")
MEMSTATS=$MEMSTATS python3 - "$LINES" "$RAW" "$HZ" "$T0" "$T1" "$T2" "$HWM" "$DISK" "${CHUNKS:-0}" "$STATS" "$WORK/loadgen.out" \
  "$HWM_PUSH" "$RSS_PUSH" "${WAL_PUSH:-0}" "${WAL:-0}" "$LOAD" <<'PY'
import json, os, re, sys
lines, raw, hz, t0, t1, t2, hwm, disk, chunks, stats, out, hwm_push, rss_push, wal_push, wal, load = sys.argv[1:]
lines, raw, hz = int(lines), int(raw), int(hz)
push_cpu = (int(t1) - int(t0)) / hz
flush_cpu = (int(t2) - int(t1)) / hz
lps = re.search(r"lines_per_sec=(\d+)", open(out).read()).group(1)
print("lines=%d raw_line_bytes=%d" % (lines, raw))
print("lines_per_sec=%s" % lps)
print("server_cpu_s_per_million_lines push=%.2f push+flush=%.2f" % (push_cpu * 1e6 / lines, (push_cpu + flush_cpu) * 1e6 / lines))
print("peak_rss_mib=%.1f (at end of push: peak %.1f, current %.1f)" % (int(hwm) / 1024, int(hwm_push) / 1024, int(rss_push) / 1024))
print("on_disk_bytes (chunks+index, no wal)=%s (chunks %s) raw/disk=%.2fx raw/chunks=%.2fx" % (disk, chunks, raw / int(disk), raw / max(1, int(chunks))))
print("wal_bytes before flush=%s after flush=%s" % (wal_push, wal))
floor = re.search(r"zstd_floor_cpu_s_per_million_lines=([0-9.]+)", open(out).read())
if floor:
    f = float(floor.group(1))
    print("zstd_l1_floor_cpu_s_per_million_lines=%.3f server/floor push=%.1fx push+flush=%.1fx" %
          (f, push_cpu * 1e6 / lines / f, (push_cpu + flush_cpu) * 1e6 / lines / f))
print(os.environ.get("MEMSTATS", ""))
print("loadavg_after=%s" % load)
print("index_stats=%s" % stats)
PY
