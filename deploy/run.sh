#!/usr/bin/env bash
# The main job: installs dependencies, builds, then runs `skald` on embedded
# defaults (HTTP :3100, data in ./data, tenant "fake") and `skald-agent`
# tailing this host's Docker logs — or, where there are none, the demo log
# writer's fake containers — and prints how to query. Ctrl-C stops everything.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

bash deploy/install-deps.sh
BUILD_DIR="$root/build" bash deploy/build.sh -DSKALD_BENCH=OFF

pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

./build/server/skald &
pids+=($!)
for _ in $(seq 1 100); do
  curl -fsS localhost:3100/ready >/dev/null 2>&1 && break
  sleep 0.1
done

if compgen -G "/var/lib/docker/containers/*/*-json.log" >/dev/null && \
   [ -r /var/lib/docker/containers ]; then
  echo "skald-agent: tailing this host's Docker containers"
  ./build/agent/skald-agent -positions.file=./data/agent-positions.yaml &
  pids+=($!)
else
  echo "skald-agent: no Docker logs here; tailing the demo writer's fake containers in ./demo"
  python3 deploy/demo/logwriter.py --dir ./demo &
  pids+=($!)
  ./build/agent/skald-agent -config.file=config/agent-demo.yaml &
  pids+=($!)
fi

cat <<'TXT'

Skald is running.
  server metrics:   curl -s localhost:3100/metrics | grep loki_
  agent metrics:    curl -s localhost:9080/metrics | grep promtail_
  label names:      curl -s localhost:3100/loki/api/v1/labels
  last lines:       curl -sG localhost:3100/loki/api/v1/query_range --data-urlencode 'query={job="docker"}' --data-urlencode limit=10
  errors per app:   curl -sG localhost:3100/loki/api/v1/query --data-urlencode 'query=sum by (container) (count_over_time({job="docker"} |= "error" [5m]))'
  Grafana:          add a Loki data source with URL http://<this host>:3100
Ctrl-C stops the server and the agent.
TXT
wait
