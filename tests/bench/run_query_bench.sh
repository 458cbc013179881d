#!/usr/bin/env bash
# Query benchmark: generates a corpus with genlogs.py, measures the single-core
# zstd+memmem baseline on its lines (scan_baseline_bench), starts skald on a
# fresh data dir, pushes the corpus (push_loadgen, or query_bench.py's JSON
# pusher when push_loadgen is not built), flushes it to chunks, then runs the
# log and metric queries of query_bench.py 5 times each and prints median
# latency, raw bytes scanned per second per core, the `|=` scans as a ratio of
# the baseline, and whether each answer matches the corpus.
#
# Usage: tests/bench/run_query_bench.sh [LINES]      (default 2000000; 200000 is quicker)
# Env:   BUILD_DIR   build dir with `skald` (and optionally `push_loadgen`,
#                    `scan_baseline_bench`; -DSKALD_BENCH=ON), default ./build
#        SKALD_BIN   skald binary (default $BUILD_DIR/server/skald)
#        SHARED_DIR  dir holding bench/genlogs.py (default ../shared)
#        CORPUS_DIR  reuse an existing genlogs.py --format push corpus (skips generation)
#        RUNS        runs per query (default 5); CORES (default 2)
#        RESULT_JSON where to copy the per-query JSON results (default: only printed)
#        KEEP_WORK=1 keep the temp dir (corpus, data, skald.log)
# Only loopback traffic; the server is killed on exit.
set -euo pipefail
LINES=${1:-2000000}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BENCH_DIR=$ROOT/tests/bench
BUILD_DIR=${BUILD_DIR:-$ROOT/build}
SHARED_DIR=${SHARED_DIR:-$ROOT/../shared}
SKALD=${SKALD_BIN:-$BUILD_DIR/server/skald}
LOADGEN=$BUILD_DIR/tests/bench/push_loadgen
BASELINE=$BUILD_DIR/tests/bench/scan_baseline_bench
RUNS=${RUNS:-5}
CORES=${CORES:-2}
[[ -x $SKALD ]] || { echo "missing $SKALD (build skald, or set SKALD_BIN)" >&2; exit 2; }

WORK=$(mktemp -d /tmp/skald-query-bench.XXXXXX)
PID=
cleanup() {
  if [[ -n $PID ]]; then kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; fi
  if [[ ${KEEP_WORK:-0} == 1 ]]; then echo "work dir kept: $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
echo "# $(date -u +%FT%TZ) lines=$LINES host=$(hostname) nproc=$(nproc) load: $(cut -d' ' -f1-3 /proc/loadavg)"

if [[ -n ${CORPUS_DIR:-} ]]; then
  CORPUS=$CORPUS_DIR
else
  CORPUS=$WORK/corpus
  T=$(date +%s)
  python3 "$SHARED_DIR/bench/genlogs.py" --out "$CORPUS" --format push --lines "$LINES" --streams 200 --seed 42 --quiet
  echo "# corpus generated in $(( $(date +%s) - T )) s"
fi
NEEDLE=$(python3 "$BENCH_DIR/query_bench.py" --shared "$SHARED_DIR" pick-needle "$CORPUS")

# Baseline first, while no server is running.
BASE_ARGS=()
if [[ -x $BASELINE ]]; then
  python3 "$BENCH_DIR/query_bench.py" --shared "$SHARED_DIR" corpus-text "$CORPUS" "$WORK/lines.txt"
  SKALD_SCAN_CORPUS=$WORK/lines.txt SKALD_SCAN_NEEDLE=$NEEDLE "$BASELINE" \
    --benchmark_filter='BM_ZstdDecompress|BM_ZstdMemmem|BM_MemmemBlock' \
    --benchmark_format=json --benchmark_out="$WORK/baseline.json" --benchmark_out_format=json > /dev/null
  BASE_ARGS=(--baseline "$WORK/baseline.json")
else
  echo "# $BASELINE not built: no baseline ratio" >&2
fi

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
URL=http://127.0.0.1:$PORT
cat > "$WORK/config.yaml" <<YAML
limits_config:
  ingestion_rate_mb: 1024
  ingestion_burst_size_mb: 1024
  per_stream_rate_limit: 1GB
  per_stream_rate_limit_burst: 1GB
  max_global_streams_per_user: 100000
YAML
"$SKALD" -config.file="$WORK/config.yaml" -server.http-listen-address=127.0.0.1 \
  -server.http-listen-port="$PORT" -common.path-prefix="$WORK/data" > "$WORK/skald.log" 2>&1 &
PID=$!
for _ in $(seq 1 300); do
  curl -sf "$URL/ready" > /dev/null 2>&1 && break
  kill -0 "$PID" 2>/dev/null || { echo "skald exited:" >&2; tail -20 "$WORK/skald.log" >&2; exit 1; }
  sleep 0.1
done

T=$(date +%s)
if [[ -x $LOADGEN ]]; then
  "$LOADGEN" --url "$URL" --file "$CORPUS/push.jsonl" --connections 2
else
  echo "# $LOADGEN not built: pushing JSON from python" >&2
  python3 "$BENCH_DIR/query_bench.py" --shared "$SHARED_DIR" push "$URL" "$CORPUS"
fi
curl -sf -X POST "$URL/flush" > /dev/null
echo "# pushed and flushed in $(( $(date +%s) - T )) s; data dir $(du -sb "$WORK/data" | cut -f1) bytes"

# The query path may still be landing: wait up to 10 minutes for a first answer.
for i in $(seq 1 60); do
  if curl -sf -G "$URL/loki/api/v1/query_range" --data-urlencode 'query={env="prod"}' \
       --data-urlencode limit=1 > /dev/null 2>&1; then break; fi
  [[ $i == 60 ]] && { echo "query_range does not answer" >&2; exit 1; }
  sleep 10
done

STATUS=0
python3 "$BENCH_DIR/query_bench.py" --shared "$SHARED_DIR" query "$URL" "$CORPUS" --runs "$RUNS" --cores "$CORES" \
  --pid "$PID" --json "$WORK/results.json" "${BASE_ARGS[@]}" || STATUS=$?
echo "# server peak RSS $(awk '/VmHWM/ {print $2, $3}' "/proc/$PID/status"); load after: $(cut -d' ' -f1-3 /proc/loadavg)"
if [[ -n ${RESULT_JSON:-} ]]; then cp "$WORK/results.json" "$RESULT_JSON"; fi
if [[ -n ${RESULT_JSON:-} && -f $WORK/baseline.json ]]; then cp "$WORK/baseline.json" "${RESULT_JSON%.json}.baseline.json"; fi
exit $STATUS
