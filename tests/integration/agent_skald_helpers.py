"""Helpers for the skald-agent -> skald end-to-end tests (test_agent_skald_*.py):
an agent process with a fast test config, Docker json-file and CRI record
writers, and a paginated query that returns every entry of a selector.
Python 3 stdlib only."""

import datetime
import json
import os
import re
import signal
import subprocess
import time
import urllib.request

from skald_harness import free_port

AGENT = os.environ.get("SKALD_AGENT_BIN", "./build/agent/skald-agent")
TIMEOUT = 30.0
DOCKER_CHUNK = 16 * 1024  # Docker's json-file splits longer lines into partial messages


def wait_for(pred, timeout=TIMEOUT, what="condition"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(0.05)
    raise AssertionError("timed out waiting for " + what)


def rfc3339(ns):
    sec, frac = divmod(ns, 1_000_000_000)
    t = datetime.datetime.fromtimestamp(sec, tz=datetime.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S") + ".%09dZ" % frac


def docker_records(text, ts_ns, stream="stdout"):
    """The json-file records Docker writes for one line of `text`: a line
    longer than 16 KiB becomes several records, only the last ending in \\n."""
    data = text + "\n"
    parts = [data[i:i + DOCKER_CHUNK] for i in range(0, len(data), DOCKER_CHUNK)]
    return "".join(json.dumps({"log": p, "stream": stream, "time": rfc3339(ts_ns)}) + "\n"
                   for p in parts)


def cri_records(text, ts_ns, stream="stdout", chunk=None):
    """CRI records for one line: P fragments of `chunk` bytes, then F."""
    if chunk is None or len(text) <= chunk:
        return "%s %s F %s\n" % (rfc3339(ts_ns), stream, text)
    parts = [text[i:i + chunk] for i in range(0, len(text), chunk)]
    out = ["%s %s P %s\n" % (rfc3339(ts_ns), stream, p) for p in parts[:-1]]
    out.append("%s %s F %s\n" % (rfc3339(ts_ns), stream, parts[-1]))
    return "".join(out)


class Clock:
    """Unique, increasing entry timestamps (a minute in the past, well inside
    skald's accepted window) shared by all writers of a test."""

    def __init__(self):
        self.next_ns = time.time_ns() - 60 * 1_000_000_000
        self.start_ns = self.next_ns

    def tick(self):
        self.next_ns += 1000
        return self.next_ns

    def end(self):
        return self.next_ns + 1


class LogWriter:
    """Appends records to one log file (O_APPEND, like Docker and the
    kubelet) and remembers every line written per stream."""

    def __init__(self, path, clock, fmt, cri_chunk=None):
        self.path = path
        self.clock = clock
        self.fmt = fmt  # "docker" or "cri"
        self.cri_chunk = cri_chunk
        self.written = {}  # stream -> [(ts, line)]
        self.f = open(path, "a")

    def write(self, text, stream="stdout", flush=True):
        ts = self.clock.tick()
        if self.fmt == "docker":
            self.f.write(docker_records(text, ts, stream))
        else:
            self.f.write(cri_records(text, ts, stream, self.cri_chunk))
        if flush:
            self.f.flush()
        self.written.setdefault(stream, []).append((ts, text))

    def write_many(self, prefix, n, stream="stdout", pause_every=25):
        for i in range(n):
            count = len(self.written.get(stream, []))
            self.write("%s-%s-%05d %s" % (prefix, stream, count, "x" * (count % 40)), stream,
                       flush=False)
            if i % pause_every == 0:
                self.f.flush()
                time.sleep(0.002)
        self.f.flush()

    def reopen(self):
        """Closes the fd and opens the path again (after a rename rotation)."""
        self.f.close()
        self.f = open(self.path, "a")

    def close(self):
        self.f.close()


class Agent:
    """One skald-agent process; `config` is the YAML body after `server:`,
    `positions:` and `clients:` (i.e. target_config and scrape_configs)."""

    def __init__(self, workdir, push_url, scrape_yaml, batchwait="50ms"):
        self.dir = workdir
        self.port = free_port()
        self.positions_path = os.path.join(workdir, "positions.yaml")
        self.config_path = os.path.join(workdir, "agent.yaml")
        self.log_path = os.path.join(workdir, "agent.log")
        with open(self.config_path, "w") as f:
            f.write(f"""
server:
  http_listen_port: {self.port}
  http_listen_address: 127.0.0.1
positions:
  filename: {self.positions_path}
  sync_period: 100ms
clients:
  - url: {push_url}/loki/api/v1/push
    batchwait: {batchwait}
    backoff_config:
      min_period: 20ms
      max_period: 200ms
      max_retries: 100000
target_config:
  sync_period: 200ms
""" + scrape_yaml)
        self.proc = None

    def start(self):
        self.log = open(self.log_path, "a")
        self.proc = subprocess.Popen([AGENT, f"-config.file={self.config_path}"],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        wait_for(lambda: self.ready(), what="agent /ready")

    def ready(self):
        if self.proc.poll() is not None:
            raise AssertionError("agent exited with %d:\n%s" % (self.proc.returncode,
                                                                 self.output()[-3000:]))
        try:
            with urllib.request.urlopen("http://127.0.0.1:%d/ready" % self.port, timeout=2) as r:
                return r.status == 200
        except OSError:
            return False

    def stop(self, kill=False):
        """SIGKILL (no flush, no final position save) or SIGTERM; returns
        the exit code."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
        code = self.proc.wait(timeout=TIMEOUT)
        self.log.close()
        self.proc = None
        return code

    def output(self):
        try:
            with open(self.log_path) as f:
                return f.read()
        except OSError:
            return ""

    def metrics(self):
        with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % self.port, timeout=5) as r:
            return r.read().decode()

    def metric(self, name, **labels):
        """Sum of the samples of `name` whose labels include `labels`."""
        total = 0.0
        pat = re.compile(r'^%s(\{[^}]*\})? (\S+)$' % re.escape(name))
        for line in self.metrics().splitlines():
            m = pat.match(line)
            if not m:
                continue
            if all('%s="%s"' % (k, v) in (m.group(1) or "") for k, v in labels.items()):
                total += float(m.group(2))
        return total

    def read_all(self, path):
        """True once the agent has read `path` to its current end."""
        return self.metric("promtail_read_bytes_total", path=path) == os.path.getsize(path)

    def saved(self, path):
        """True once the positions file holds `path` at its current size
        (every line before it acknowledged by the server)."""
        try:
            with open(self.positions_path) as f:
                text = f.read()
        except FileNotFoundError:
            return False
        # Anchored: identity and rotated-file entries also end in the path.
        want = '%s: "%d"' % (path, os.path.getsize(path))
        return any(line.strip() == want for line in text.splitlines())


def query_all(skald, selector, start_ns, end_ns):
    """Every entry matching `selector` in [start, end): {stream labels as a
    sorted tuple: [(ts, line)]}, each stream in timestamp order. Pages
    forward 5000 entries at a time."""
    streams = {}
    start = start_ns
    while True:
        params = {"query": selector, "limit": "5000", "direction": "forward",
                  "start": str(start), "end": str(end_ns)}
        status, _, body = skald.get("/loki/api/v1/query_range", params=params)
        if status != 200:
            raise AssertionError("query failed: %d %s" % (status, body[:500]))
        result = json.loads(body)["data"]["result"]
        n, last = 0, start
        for s in result:
            key = tuple(sorted(s["stream"].items()))
            for ts, line in s["values"]:
                streams.setdefault(key, []).append((int(ts), line))
                n += 1
                last = max(last, int(ts))
        if n < 5000:
            break
        start = last + 1
    for v in streams.values():
        v.sort()
    return streams


def count_all(skald, selector, start_ns, end_ns):
    return sum(len(v) for v in query_all(skald, selector, start_ns, end_ns).values())
