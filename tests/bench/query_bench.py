#!/usr/bin/env python3
"""Query benchmark driver for Skald (Python 3 standard library only).

Subcommands (run_query_bench.sh calls them in this order):

  corpus-text CORPUS_DIR OUT [--max-bytes N]
      Writes the raw log lines of CORPUS_DIR/push.jsonl, one per line, up to
      N bytes (default 64 MiB): the input of scan_baseline_bench.

  pick-needle CORPUS_DIR
      Prints the unique trace id used by the queries: the first needle of
      needles.json that occurs once and whose app writes JSON, so that the
      `| json | trace_id=` query can find it too.

  push URL CORPUS_DIR [--batch-bytes N]
      Fallback when push_loadgen is not built: pushes push.jsonl as Loki JSON
      batches (`values: [ts, line, {"trace_id": id}]`), trace_id as structured
      metadata.

  query URL CORPUS_DIR [--runs 5] [--cores 2] [--baseline BENCH_JSON] [--json OUT] [--pid PID]
      Runs each benchmark query --runs times and prints, per query, the median
      wall latency, median server execTime, totalBytesProcessed and raw bytes
      scanned per second per core (totalBytesProcessed / execTime / cores),
      plus a correctness check of the answer against the corpus. With
      --pid, the server's CPU seconds per query (/proc/PID/stat) and bytes
      per server CPU second are printed too (robust to a shared machine). With
      --baseline (scan_baseline_bench --benchmark_format=json output), the
      `|=` queries' per-core scan speed is also printed as a ratio of the
      zstd+memmem baseline for the same needle.

Exit code of `query`: 0 when every answer checked out, 1 otherwise.
"""
import argparse
import importlib.util
import json
import os
import statistics
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_SHARED = os.environ.get("SKALD_SHARED_DIR", os.path.join(HERE, "..", "..", "..", "shared"))

HTTP_TIMEOUT_S = 600  # a single query on the full corpus must finish within this
MAX_PUSH_RETRIES = 50  # per batch; 429/5xx are retried after 100 ms


def load_genlogs(shared_dir):
    path = os.path.join(shared_dir, "bench", "genlogs.py")
    spec = importlib.util.spec_from_file_location("genlogs", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def read_corpus(corpus_dir):
    with open(os.path.join(corpus_dir, "push.jsonl"), "rb") as f:
        for raw in f:
            yield json.loads(raw)


# ---------------------------------------------------------------- corpus-text

def cmd_corpus_text(a):
    total = 0
    with open(a.out, "wb") as out:
        for e in read_corpus(a.corpus):
            b = e["line"].encode() + b"\n"
            if total + len(b) > a.max_bytes:
                break
            out.write(b)
            total += len(b)
    print("wrote %d bytes of lines to %s" % (total, a.out), file=sys.stderr)
    return 0


# ---------------------------------------------------------------- pick-needle

def json_apps(shared_dir):
    g = load_genlogs(shared_dir)
    return {app for app, fmt, _java in g.APPS if fmt == "json"}


def pick_needle(corpus_dir, shared_dir):
    with open(os.path.join(corpus_dir, "needles.json")) as f:
        needles = json.load(f)
    apps = json_apps(shared_dir)
    uniques = [n for n in needles["unique"] if n.get("count") == 1 and "first_labels" in n]
    for n in uniques:
        if n["first_labels"].get("app") in apps:
            return n
    if not uniques:
        raise SystemExit("needles.json has no unique needle")
    return uniques[0]


def cmd_pick_needle(a):
    print(pick_needle(a.corpus, a.shared)["trace_id"])
    return 0


# ---------------------------------------------------------------- push

def post(url, body, headers, timeout=HTTP_TIMEOUT_S):
    req = urllib.request.Request(url, data=body, headers=headers, method="POST")
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return r.status, r.read()


def cmd_push(a):
    url = a.url.rstrip("/") + "/loki/api/v1/push"
    streams = {}
    size = 0
    lines = 0
    t0 = time.monotonic()

    def flush_batch():
        nonlocal streams, size
        if not streams:
            return
        body = json.dumps({"streams": [{"stream": labels, "values": values}
                                       for labels, values in streams.values()]}).encode()
        for attempt in range(MAX_PUSH_RETRIES + 1):
            try:
                post(url, body, {"Content-Type": "application/json"})
                break
            except urllib.error.HTTPError as e:
                if attempt == MAX_PUSH_RETRIES or e.code not in (429, 500, 502, 503, 504):
                    raise SystemExit("push failed: HTTP %d %s" % (e.code, e.read()[:300]))
                time.sleep(0.1)
        streams, size = {}, 0

    for e in read_corpus(a.corpus):
        key = tuple(sorted(e["labels"].items()))
        ent = streams.get(key)
        if ent is None:
            ent = streams[key] = (e["labels"], [])
        v = [str(e["ts_ns"]), e["line"]]
        if e.get("trace_id"):
            v.append({"trace_id": e["trace_id"]})
        ent[1].append(v)
        size += len(e["line"])
        lines += 1
        if size >= a.batch_bytes:
            flush_batch()
    flush_batch()
    dt = time.monotonic() - t0
    print("pushed lines=%d seconds=%.1f lines_per_sec=%d" % (lines, dt, lines / dt if dt else 0))
    return 0


# ---------------------------------------------------------------- query

def expected_from_corpus(corpus_dir, shared_dir, needle):
    """One pass over the corpus: what each checked query must return."""
    apps = json_apps(shared_dir)
    exp = {"timeout_prod": 0, "needle_substr": [], "needle_json": [], "needle_meta": [],
           "lines": 0, "raw_bytes": 0}
    for e in read_corpus(corpus_dir):
        line = e["line"]
        exp["lines"] += 1
        exp["raw_bytes"] += len(line.encode())
        labels = e["labels"]
        if labels.get("env") == "prod" and "timeout" in line:
            exp["timeout_prod"] += 1
        if needle in line:
            exp["needle_substr"].append((e["ts_ns"], line))
            if labels.get("app") in apps:
                try:
                    obj = json.loads(line)
                except ValueError:
                    obj = None
                if isinstance(obj, dict) and obj.get("trace_id") == needle:
                    exp["needle_json"].append((e["ts_ns"], line))
        if e.get("trace_id") == needle:
            exp["needle_meta"].append((e["ts_ns"], line))
    return exp


def cpu_seconds(pid):
    """utime+stime of process pid in seconds, or None without /proc access."""
    if not pid:
        return None
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def query_range(base, params):
    url = base.rstrip("/") + "/loki/api/v1/query_range?" + urllib.parse.urlencode(params)
    t0 = time.monotonic()
    with urllib.request.urlopen(url, timeout=HTTP_TIMEOUT_S) as r:
        body = r.read()
    wall = time.monotonic() - t0
    return wall, json.loads(body)


def returned_lines(resp):
    out = []
    for s in resp["data"]["result"]:
        for v in s["values"]:
            out.append((int(v[0]), v[1]))
    return sorted(out)


def check_lines(resp, want, what):
    got = returned_lines(resp)
    if got == sorted(want):
        return True, "%d line(s) = %s" % (len(got), what)
    return False, "got %d line(s), want %d (%s)" % (len(got), len(want), what)


def check_series(resp, min_series, max_series=None, label=None):
    res = resp["data"]["result"]
    n = len(res)
    pts = sum(len(s.get("values", [])) for s in res)
    ok = n >= min_series and (max_series is None or n <= max_series) and pts > 0
    if label is not None:
        ok = ok and all(label in s["metric"] for s in res)
    desc = "%d series, %d points" % (n, pts)
    if res and label is not None:
        desc += " (%s=%s)" % (label, ",".join(sorted(s["metric"].get(label, "?") for s in res)))
    return ok, desc


def check_topk(resp):
    # topk(5, ...) over a range query: at most 5 series per step; the union of
    # series over all steps may exceed 5.
    res = resp["data"]["result"]
    per_step = {}
    for s in res:
        for ts, _ in s["values"]:
            per_step[ts] = per_step.get(ts, 0) + 1
    worst = max(per_step.values()) if per_step else 0
    ok = bool(res) and worst <= 5
    return ok, "%d series, %d steps, max %d series per step" % (len(res), len(per_step), worst)


def baseline_bps(bench_json, needle):
    """bytes_per_second of BM_ZstdMemmem for `needle` (one core), or None."""
    if not bench_json:
        return None
    with open(bench_json) as f:
        doc = json.load(f)
    for b in doc.get("benchmarks", []):
        if b.get("name", "").startswith("BM_ZstdMemmem/") and b.get("label") == needle:
            return float(b["bytes_per_second"])
    return None


def cmd_query(a):
    with open(os.path.join(a.corpus, "meta.json")) as f:
        meta = json.load(f)
    needle_ent = pick_needle(a.corpus, a.shared)
    needle = needle_ent["trace_id"]
    t0 = time.monotonic()
    exp = expected_from_corpus(a.corpus, a.shared, needle)
    print("corpus: lines=%d raw_bytes=%d needle=%s (app=%s) expected: prod timeout lines=%d, needle substr=%d json=%d meta=%d (%.1fs)"
          % (exp["lines"], exp["raw_bytes"], needle, needle_ent["first_labels"].get("app"),
             exp["timeout_prod"], len(exp["needle_substr"]), len(exp["needle_json"]),
             len(exp["needle_meta"]), time.monotonic() - t0))
    start = meta["start_ns"] - 1_000_000_000
    end = meta["end_ns"] + 1_000_000_000
    log = {"start": start, "end": end, "limit": 1000, "direction": "backward"}
    metric = {"start": start, "end": end, "step": "60s"}

    queries = [
        ("filter_timeout", '{env="prod"} |= "timeout"', log,
         lambda r: (lambda got: (len(got) == min(1000, exp["timeout_prod"]) and len(got) > 0,
                                 "%d line(s), want %d (limit 1000 of %d)" % (len(got), min(1000, exp["timeout_prod"]), exp["timeout_prod"])))(returned_lines(r)),
         "timeout"),
        ("filter_trace_id", '{env=~".+"} |= "%s"' % needle, log,
         lambda r: check_lines(r, exp["needle_substr"], "lines containing the id"), needle),
        ("json_trace_id", '{env=~".+"} | json | trace_id="%s"' % needle, log,
         lambda r: check_lines(r, exp["needle_json"], "JSON lines with that trace_id"), None),
        ("metadata_trace_id", '{env=~".+"} | trace_id="%s"' % needle, log,
         lambda r: check_lines(r, exp["needle_meta"], "entries with that trace_id metadata"), None),
        ("count_by_level", 'sum by (level) (count_over_time({env=~".+"} | json | __error__="" [5m]))', metric,
         lambda r: check_series(r, 1, None, "level"), None),
        ("rate_prod_error", 'sum(rate({env="prod"} |= "error" [1m]))', metric,
         lambda r: check_series(r, 1, 1), None),
        ("topk_bytes_by_app", 'topk(5, sum by (app) (bytes_over_time({env=~".+"}[10m])))', metric,
         check_topk, None),
        ("p99_duration_api", 'quantile_over_time(0.99, {app="api"} | json | unwrap duration_ms [5m]) by (app)', metric,
         lambda r: check_series(r, 1, 1, "app"), None),
    ]

    results = []
    all_ok = True
    print("%-18s %9s %9s %8s %12s %10s %10s %8s %8s  %s" % ("query", "wall_ms", "exec_ms", "cpu_ms", "bytes", "MB/s/core",
                                                            "MB/cpu_s", "vs_base", "cpu_vs_b", "check"))
    if a.only:
        wanted = set(a.only.split(","))
        queries = [x for x in queries if x[0] in wanted]
    for name, q, params, check, base_needle in queries:
        walls, execs, bytes_, lines_, cpus = [], [], [], [], []
        err = None
        resp = None
        for _ in range(a.runs):
            p = dict(params)
            p["query"] = q
            c0 = cpu_seconds(a.pid)
            try:
                wall, resp = query_range(a.url, p)
            except urllib.error.HTTPError as e:
                err = "HTTP %d: %s" % (e.code, e.read()[:300].decode(errors="replace"))
                break
            except (urllib.error.URLError, OSError, ValueError) as e:
                err = "%s" % e
                break
            summ = resp.get("data", {}).get("stats", {}).get("summary", {})
            c1 = cpu_seconds(a.pid)
            if c0 is not None and c1 is not None:
                cpus.append(c1 - c0)
            walls.append(wall)
            execs.append(float(summ.get("execTime", 0) or 0))
            bytes_.append(int(summ.get("totalBytesProcessed", 0) or 0))
            lines_.append(int(summ.get("totalLinesProcessed", 0) or 0))
        row = {"name": name, "query": q}
        if err is not None:
            all_ok = False
            row["error"] = err
            print("%-18s ERROR %s" % (name, err))
            results.append(row)
            continue
        wall = statistics.median(walls)
        ex = statistics.median(execs)
        nbytes = int(statistics.median(bytes_))
        per_core = nbytes / ex / a.cores if ex > 0 else 0.0
        ok, desc = check(resp)
        all_ok = all_ok and ok
        cpu = statistics.median(cpus) if cpus else None
        per_cpu_s = nbytes / cpu if cpu else None
        ratio = None
        base = baseline_bps(a.baseline, base_needle) if base_needle else None
        ratio_cpu = None
        if base:
            ratio = per_core / base
            ratio_cpu = per_cpu_s / base if per_cpu_s else None
        row.update({"wall_ms_median": wall * 1e3, "exec_ms_median": ex * 1e3, "total_bytes_processed": nbytes,
                    "total_lines_processed": int(statistics.median(lines_)),
                    "bytes_per_sec_per_core": per_core,
                    "server_cpu_s_median": cpu, "bytes_per_server_cpu_s": per_cpu_s, "wall_ms_all": [w * 1e3 for w in walls],
                    "baseline_bytes_per_sec": base, "ratio_vs_baseline": ratio,
                    "ratio_cpu_vs_baseline": ratio_cpu, "ok": ok, "check": desc})
        results.append(row)
        print("%-18s %9.1f %9.1f %8s %12d %10.1f %10s %8s %8s  %s %s" % (
            name, wall * 1e3, ex * 1e3, ("%.0f" % (cpu * 1e3)) if cpu is not None else "-", nbytes, per_core / 1e6,
            ("%.1f" % (per_cpu_s / 1e6)) if per_cpu_s else "-",
            ("%.2f" % ratio) if ratio is not None else "-",
            ("%.2f" % ratio_cpu) if ratio_cpu is not None else "-", "OK" if ok else "WRONG", desc))
    if a.baseline:
        with open(a.baseline) as f:
            doc = json.load(f)
        for b in doc.get("benchmarks", []):
            print("baseline %-28s %-34s %9.1f MB/s" % (b["name"], b.get("label", ""), b["bytes_per_second"] / 1e6))
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"corpus_lines": exp["lines"], "corpus_raw_bytes": exp["raw_bytes"], "needle": needle,
                       "cores": a.cores, "runs": a.runs, "queries": results}, f, indent=1)
    return 0 if all_ok else 1


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--shared", default=DEFAULT_SHARED, help="the shared dir holding bench/genlogs.py")
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("corpus-text")
    s.add_argument("corpus")
    s.add_argument("out")
    s.add_argument("--max-bytes", type=int, default=64 << 20)
    s = sub.add_parser("pick-needle")
    s.add_argument("corpus")
    s = sub.add_parser("push")
    s.add_argument("url")
    s.add_argument("corpus")
    s.add_argument("--batch-bytes", type=int, default=1 << 20)
    s = sub.add_parser("query")
    s.add_argument("url")
    s.add_argument("corpus")
    s.add_argument("--runs", type=int, default=5)
    s.add_argument("--cores", type=int, default=2)
    s.add_argument("--baseline", default=None)
    s.add_argument("--json", default=None)
    s.add_argument("--only", default="", help="comma-separated query names to run (default: all)")
    s.add_argument("--pid", type=int, default=0, help="server pid: also report its CPU seconds per query")
    a = p.parse_args(argv)
    return {"corpus-text": cmd_corpus_text, "pick-needle": cmd_pick_needle,
            "push": cmd_push, "query": cmd_query}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
