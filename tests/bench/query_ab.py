#!/usr/bin/env python3
"""Alternates one query between running skald servers, for A/B comparisons on
a shared, noisy machine: each round sends the query to every server in turn
(the order reversed every other round), so load changes hit all of them alike.

Usage:
  tests/bench/query_ab.py CORPUS_DIR 'QUERY' --pid-port PID:PORT [--pid-port PID:PORT ...]
                          [--rounds 20] [--metric] [--limit 1000]

CORPUS_DIR is the genlogs.py corpus the servers hold (its meta.json gives the
time range). Log queries run backward with --limit; --metric runs a range
query with step 60 s. Reports per server: median wall and execTime (ms), mean
server CPU per query (ms, from /proc/PID/stat; the tick is 10 ms, so use
enough rounds) and totalBytesProcessed. Not a test: nothing is asserted.
Standard library only.
"""
import argparse
import json
import os
import statistics
import time
import urllib.parse
import urllib.request


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpus")
    ap.add_argument("query")
    ap.add_argument("--pid-port", action="append", required=True, help="server PID:PORT (repeat)")
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--metric", action="store_true")
    ap.add_argument("--limit", type=int, default=1000)
    a = ap.parse_args()
    with open(os.path.join(a.corpus, "meta.json")) as f:
        meta = json.load(f)
    params = {"query": a.query, "start": meta["start_ns"] - 10**9, "end": meta["end_ns"] + 10**9}
    if a.metric:
        params["step"] = 60
    else:
        params.update(limit=a.limit, direction="backward")
    servers = []
    for pp in a.pid_port:
        pid, port = (int(x) for x in pp.split(":"))
        servers.append({"pid": pid, "port": port, "wall": [], "exec": [], "cpu": [], "bytes": 0})
    qs = urllib.parse.urlencode(params)

    def run(s):
        url = "http://127.0.0.1:%d/loki/api/v1/query_range?%s" % (s["port"], qs)
        c0 = cpu_seconds(s["pid"])
        t0 = time.monotonic()
        with urllib.request.urlopen(url, timeout=120) as r:
            body = r.read()
        wall = time.monotonic() - t0
        time.sleep(0.05)  # let the server's last threads account their CPU
        summary = json.loads(body)["data"]["stats"]["summary"]
        return wall, summary, cpu_seconds(s["pid"]) - c0

    for s in servers:  # warm caches
        run(s)
    for i in range(a.rounds):
        for s in servers if i % 2 == 0 else servers[::-1]:
            wall, summary, cpu = run(s)
            s["wall"].append(wall * 1e3)
            s["exec"].append(summary["execTime"] * 1e3)
            s["cpu"].append(cpu * 1e3)
            s["bytes"] = summary["totalBytesProcessed"]
    for s in servers:
        print("port %d: wall %.1f ms, exec %.1f ms, cpu %.0f ms/query, min wall %.1f ms, bytes %d" % (
            s["port"], statistics.median(s["wall"]), statistics.median(s["exec"]), statistics.mean(s["cpu"]),
            min(s["wall"]), s["bytes"]))


if __name__ == "__main__":
    main()
