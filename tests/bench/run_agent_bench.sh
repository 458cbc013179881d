#!/usr/bin/env bash
# Agent benchmark: tails a genlogs.py docker corpus (200 containers) with
# skald-agent (`docker: {}` pipeline, positions in the work dir, default
# batchwait 1s / batchsize 1 MiB) into a running skald with ingestion limits
# raised, and reports for the agent process:
#   lines/s (agent start until promtail_sent_entries_total reaches the corpus
#   line count), CPU seconds per million lines (/proc/<pid>/stat utime+stime),
#   peak RSS (VmHWM), plus the server's entry count (index/stats) as a check.
#
# Usage: tests/bench/run_agent_bench.sh [lines] [streams]
# Env:   BUILD_DIR (default ./build; needs server/skald and agent/skald-agent,
#        ideally a Release build; SKALD_BIN / SKALD_AGENT_BIN override each), SHARED_DIR (default ../shared), CORPUS_DIR (a
#        directory made by genlogs.py --format docker, used as is instead of
#        generating one; [lines] must then match it), KEEP=1 (keep the work
#        directory), PERF=1 (record the agent with perf into $WORK/perf.data;
#        PERF_CALL_GRAPH=dwarf for call graphs through libc, PERF_FREQ Hz),
#        SINK=1 (push to tests/bench/ack_sink.py, which acknowledges without
#        decoding, instead of skald: the agent's own ceiling, not ingestion),
#        STRACE=1 (count the agent's syscalls (all threads) for STRACE_SECS, default
#        5, from 3 s after its start into $WORK/strace.txt; slows the agent, so
#        that run's CPU figures are not comparable).
# Not a test: nothing asserts a figure. Loopback only; bounded by the corpus.
set -euo pipefail
LINES=${1:-2000000}
STREAMS=${2:-200}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build}
SHARED_DIR=${SHARED_DIR:-$ROOT/../shared}
SKALD=${SKALD_BIN:-$BUILD_DIR/server/skald}
AGENT=${SKALD_AGENT_BIN:-$BUILD_DIR/agent/skald-agent}
for b in "$SKALD" "$AGENT"; do
  [[ -x $b ]] || { echo "missing $b (build the skald and skald-agent targets)" >&2; exit 2; }
done

WORK=$(mktemp -d /tmp/skald-agent-bench.XXXXXX)
SPID=
APID=
cleanup() {
  for p in $APID $SPID; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  if [[ ${KEEP:-0} == 1 ]]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
if [[ -n ${CORPUS_DIR:-} ]]; then
  CORPUS=$CORPUS_DIR
else
  python3 "$SHARED_DIR/bench/genlogs.py" --out "$WORK/corpus" --format docker --lines "$LINES" \
    --streams "$STREAMS" --seed 42 --quiet
  CORPUS=$WORK/corpus
fi
RAW=$(du -cb "$CORPUS"/containers/*/*-json.log | tail -1 | cut -f1)

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
SPORT=$(free_port)
APORT=$(free_port)
if [[ ${SINK:-0} == 1 ]]; then
  # The agent's own ceiling: a push endpoint that only acknowledges.
  python3 "$ROOT/tests/bench/ack_sink.py" "$SPORT" > "$WORK/sink.log" 2>&1 &
  SPID=$!
else
cat > "$WORK/skald.yaml" <<YAML
limits_config:
  ingestion_rate_mb: 100000
  ingestion_burst_size_mb: 100000
  per_stream_rate_limit: 100GB
  per_stream_rate_limit_burst: 100GB
  max_global_streams_per_user: 100000
YAML
"$SKALD" -config.file="$WORK/skald.yaml" -server.http-listen-address=127.0.0.1 \
  -server.http-listen-port="$SPORT" -common.path-prefix="$WORK/data" > "$WORK/skald.log" 2>&1 &
SPID=$!
fi
for _ in $(seq 1 100); do
  curl -sf "http://127.0.0.1:$SPORT/ready" > /dev/null 2>&1 && break
  sleep 0.1
done

cat > "$WORK/agent.yaml" <<YAML
server:
  http_listen_address: 127.0.0.1
  http_listen_port: $APORT
positions:
  filename: $WORK/positions.yaml
clients:
  - url: http://127.0.0.1:$SPORT/loki/api/v1/push
scrape_configs:
  - job_name: bench
    static_configs:
      - targets: [localhost]
        labels:
          job: bench
          __path__: $CORPUS/containers/*/*-json.log
    pipeline_stages:
      - docker: {}
YAML
sent() {  # always one number (0 while the agent is not up yet)
  { curl -sf "http://127.0.0.1:$APORT/metrics" 2>/dev/null || true; } |
    awk '/^promtail_sent_entries_total/ {s += $2} END {printf "%d\n", s}'
}
T_START=$(date +%s.%N)
"$AGENT" -config.file="$WORK/agent.yaml" > "$WORK/agent.log" 2>&1 &
APID=$!
if [[ ${PERF:-0} == 1 ]]; then
  # PERF_CALL_GRAPH=dwarf: call graphs through libc/libstdc++ (no frame pointers there).
  # perf -p follows only the threads that exist when it attaches: wait until
  # the agent has started its reader and push threads.
  for _ in $(seq 1 50); do
    [[ $(ls "/proc/$APID/task" 2>/dev/null | wc -l) -ge 4 ]] && break
    sleep 0.1
  done
  perf record "--call-graph=${PERF_CALL_GRAPH:-fp}" -F "${PERF_FREQ:-499}" -p "$APID" \
    -o "$WORK/perf.data" > "$WORK/perf.log" 2>&1 &
  PERF_PID=$!
fi
if [[ ${STRACE:-0} == 1 ]]; then
  ( sleep 3; timeout -s INT "${STRACE_SECS:-5}" strace -c -f -p "$APID" -o "$WORK/strace.txt" \
      > /dev/null 2>&1 ) &
  STRACE_PID=$!
fi
while :; do
  kill -0 "$APID" 2>/dev/null || { echo "agent exited"; cat "$WORK/agent.log"; exit 1; }
  n=$(sent)
  [[ ${n:-0} -ge $LINES ]] && break
  sleep 0.1
done
T_END=$(date +%s.%N)
if [[ -n ${STRACE_PID:-} ]]; then wait "$STRACE_PID" || true; echo "syscalls: $WORK/strace.txt"; fi
if [[ -n ${PERF_PID:-} ]]; then kill -INT "$PERF_PID"; wait "$PERF_PID" || true; fi
TICKS=$(awk '{print $14 + $15}' "/proc/$APID/stat")
# Per-thread CPU (threads are named: agent-reader, agent-push, ...).
THREADS=$(for t in /proc/$APID/task/*; do
  printf '%s:%s ' "$(cat "$t/comm")" "$(awk '{print $14 + $15}' "$t/stat")"; done)
HWM=$(awk '/VmHWM/ {print $2}' "/proc/$APID/status")
STICKS=$(awk '{print $14 + $15}' "/proc/$SPID/stat")
HZ=$(getconf CLK_TCK)
LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
STATS=$([[ ${SINK:-0} == 1 ]] && echo '"ack sink: not stored"' || curl -sf "http://127.0.0.1:$SPORT/loki/api/v1/index/stats?query=%7Bjob%3D%22bench%22%7D&start=0&end=$(( $(date +%s%N) + 3600000000000 ))" || echo '{}')
python3 - "$LINES" "$RAW" "$HZ" "$T_START" "$T_END" "$TICKS" "$HWM" "$STICKS" "$LOAD" "$STATS" "$(sent)" "$THREADS" <<'PY'
import sys
lines, raw, hz, t0, t1, ticks, hwm, sticks, load, stats, sent, threads = sys.argv[1:]
lines, raw, hz = int(lines), int(raw), int(hz)
wall = float(t1) - float(t0)
cpu = int(ticks) / hz
print("lines=%d json_file_bytes=%d sent=%s" % (lines, raw, sent))
print("wall_s=%.2f agent_lines_per_sec=%.0f" % (wall, lines / wall))
print("agent_cpu_s=%.2f agent_cpu_s_per_million_lines=%.2f" % (cpu, cpu * 1e6 / lines))
print("agent_peak_rss_mib=%.1f" % (int(hwm) / 1024))
print("server_cpu_s=%.2f" % (int(sticks) / hz))
print("agent_thread_cpu_ticks=%s" % threads.strip())
print("loadavg_after=%s" % load)
print("server_index_stats=%s" % stats)
PY
