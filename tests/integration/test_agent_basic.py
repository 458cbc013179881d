"""skald-agent end to end: config errors, -dry-run output with docker metadata,
/ready and /metrics, and at-least-once delivery (positions advance only after
the server acknowledged) against a tiny recording HTTP server."""

import http.client
import http.server
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import unittest

AGENT = os.environ.get("SKALD_AGENT_BIN", "./build/agent/skald-agent")
TIMEOUT = 30.0


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(pred, timeout=TIMEOUT, what="condition"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(0.05)
    raise AssertionError("timed out waiting for " + what)


def http_get(port, path):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        c.request("GET", path)
        r = c.getresponse()
        return r.status, r.read().decode()
    finally:
        c.close()


def read_file(path):
    with open(path) as f:
        return f.read()


def docker_line(log, stream="stdout", ts="2024-05-01T10:00:00.123456789Z"):
    return json.dumps({"log": log, "stream": stream, "time": ts}) + "\n"


class Recorder(http.server.BaseHTTPRequestHandler):
    """Records pushes; answers with server.status (settable)."""

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.server.pushes.append((dict(self.headers), body))
        self.send_response(self.server.status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


class AgentTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="skald-agent-it-")
        self.procs = []

    def tearDown(self):
        for p in self.procs:
            if p.poll() is None:
                p.kill()
                p.wait()
            for stream in (p.stdout, p.stderr):
                if stream:
                    stream.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def make_container(self, cid="abc123", name="/shop-api-1"):
        d = os.path.join(self.dir, "containers", cid)
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "config.v2.json"), "w") as f:
            json.dump({"ID": cid, "Name": name, "Config": {"Image": "shop/api:1.2", "Labels": {
                "com.docker.compose.project": "shop", "com.docker.compose.service": "api"}}}, f)
        return os.path.join(d, cid + "-json.log")

    def write_config(self, text):
        path = os.path.join(self.dir, "agent.yaml")
        with open(path, "w") as f:
            f.write(text)
        return path

    def start(self, *args):
        p = subprocess.Popen([AGENT] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
        self.procs.append(p)
        return p

    def config(self, url, port, extra_client=""):
        return f"""
server:
  http_listen_port: {port}
  http_listen_address: 127.0.0.1
positions:
  filename: {self.dir}/positions.yaml
  sync_period: 100ms
clients:
  - url: {url}
    batchwait: 50ms
    backoff_config:
      min_period: 20ms
      max_period: 50ms
      max_retries: 1000
{extra_client}
target_config:
  sync_period: 200ms
scrape_configs:
  - job_name: docker
    static_configs:
      - targets: [localhost]
        labels:
          job: docker
          __path__: {self.dir}/containers/*/*-json.log
    pipeline_stages:
      - docker: {{}}
      - json:
          expressions:
            trace_id: trace_id
            level: level
      - labels:
          level:
      - structured_metadata:
          trace_id:
"""

    def test_bad_config_names_file_line_and_key(self):
        path = self.write_config("clients:\n  - url: http://x/loki/api/v1/push\n    batchwaitt: 1s\n")
        p = self.start(f"-config.file={path}")
        _, err = p.communicate(timeout=TIMEOUT)
        self.assertEqual(p.returncode, 1)
        self.assertIn("agent.yaml:3", err)
        self.assertIn("clients[0].batchwaitt", err)

    def test_version(self):
        p = self.start("-version")
        out, _ = p.communicate(timeout=TIMEOUT)
        self.assertEqual(p.returncode, 0)
        self.assertIn("skald-agent, version", out)

    def test_dry_run_prints_entries_with_container_labels(self):
        log = self.make_container()
        with open(log, "w") as f:
            f.write(docker_line('{"level":"error","trace_id":"4bf92f35","msg":"boom"}\n'))
            f.write(docker_line("part one ") + docker_line("part two\n"))
        port = free_port()
        path = self.write_config(self.config("http://127.0.0.1:9/loki/api/v1/push", port))
        p = self.start(f"-config.file={path}", "-dry-run")
        lines = []
        reader = threading.Thread(target=lambda: lines.extend(iter(p.stdout.readline, "")), daemon=True)
        reader.start()
        wait_for(lambda: len(lines) >= 2, what="two dry-run lines")
        ts, labels, line, meta = lines[0].rstrip("\n").split("\t")
        self.assertEqual(ts, "2024-05-01T10:00:00.123456789Z")
        for want in ['container="shop-api-1"', 'compose_service="api"', 'compose_project="shop"',
                     'image="shop/api:1.2"', 'job="docker"', 'level="error"', 'stream="stdout"',
                     f'filename="{log}"']:
            self.assertIn(want, labels)
        self.assertNotIn("trace_id", labels)
        self.assertEqual(meta, '{trace_id="4bf92f35"}')
        self.assertEqual(line, '{"level":"error","trace_id":"4bf92f35","msg":"boom"}')
        self.assertEqual(lines[1].split("\t")[2].rstrip("\n"), "part one part two")

        status, body = wait_for(lambda: http_get(port, "/ready"), what="/ready")
        self.assertEqual(status, 200)
        status, body = http_get(port, "/metrics")
        self.assertEqual(status, 200)
        self.assertRegex(body, r'promtail_read_lines_total\{path="[^"]+"\} 3')
        self.assertIn("promtail_files_active_total 1", body)
        p.send_signal(signal.SIGTERM)
        p.wait(timeout=TIMEOUT)
        self.assertEqual(p.returncode, 0)
        self.assertFalse(os.path.exists(os.path.join(self.dir, "positions.yaml")),
                         "dry-run must not write positions")

    def test_stage_drops_are_counted_on_metrics_like_promtail(self):
        log = self.make_container()
        with open(log, "w") as f:
            for text in ["keep 1", "debug 2", "keep 3", "debug 4", "noise 5"]:
                f.write(docker_line(text + "\n"))
        port = free_port()
        stages = """
      - match:
          selector: '{job="docker"} |= "debug"'
          action: drop
      - drop:
          expression: "^noise"
          drop_counter_reason: noise
"""
        text = self.config("http://127.0.0.1:9/loki/api/v1/push", port)
        text = text[:text.index("      - json:")] + stages.lstrip("\n")
        path = self.write_config(text)
        p = self.start(f"-config.file={path}", "-dry-run")
        lines = []
        reader = threading.Thread(target=lambda: lines.extend(iter(p.stdout.readline, "")), daemon=True)
        reader.start()
        wait_for(lambda: len(lines) >= 2, what="two kept lines")
        wait_for(lambda: http_get(port, "/ready")[0] == 200, what="/ready")
        _, body = http_get(port, "/metrics")
        self.assertIn('logentry_dropped_lines_total{reason="match_stage"} 2', body)
        self.assertIn('logentry_dropped_lines_total{reason="noise"} 1', body)
        self.assertEqual([l.split("\t")[2].rstrip("\n") for l in lines], ["keep 1", "keep 3"])
        p.send_signal(signal.SIGTERM)
        p.wait(timeout=TIMEOUT)

    def test_positions_advance_only_after_acknowledgement(self):
        srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
        srv.pushes = []
        srv.status = 503
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        try:
            log = self.make_container()
            data = docker_line("hello\n") + docker_line("world\n")
            with open(log, "w") as f:
                f.write(data)
            port = free_port()
            url = f"http://127.0.0.1:{srv.server_address[1]}/loki/api/v1/push"
            path = self.write_config(self.config(url, port, "    tenant_id: team-a"))
            p = self.start(f"-config.file={path}")
            wait_for(lambda: len(srv.pushes) >= 2, what="retried pushes")
            pos_file = os.path.join(self.dir, "positions.yaml")
            wait_for(lambda: os.path.exists(pos_file), what="positions file")
            time.sleep(0.3)  # several position syncs while the server refuses
            with open(pos_file) as f:
                self.assertIn(f'{log}: "0"', f.read())
            headers, body = srv.pushes[0]
            self.assertEqual(headers.get("X-Scope-OrgID"), "team-a")
            self.assertEqual(headers.get("Content-Type"), "application/x-protobuf")
            self.assertGreater(len(body), 0)
            srv.status = 204
            want = f'{log}: "{len(data)}"'
            wait_for(lambda: want in read_file(pos_file), what="acknowledged position")
            status, metrics = http_get(port, "/metrics")
            self.assertRegex(metrics, r'promtail_sent_entries_total\{host="[^"]+"\} 2')
            self.assertIn("promtail_batch_retries_total", metrics)
            p.send_signal(signal.SIGTERM)
            p.wait(timeout=TIMEOUT)
            self.assertEqual(p.returncode, 0)
        finally:
            srv.shutdown()
            srv.server_close()

    def test_rotation_by_rename_reads_old_tail_and_new_file(self):
        log = self.make_container()
        with open(log, "w") as f:
            f.write(docker_line("before\n"))
        port = free_port()
        path = self.write_config(self.config("http://127.0.0.1:9/loki/api/v1/push", port))
        p = self.start(f"-config.file={path}", "-dry-run")
        lines = []
        threading.Thread(target=lambda: lines.extend(iter(p.stdout.readline, "")), daemon=True).start()
        wait_for(lambda: len(lines) >= 1, what="first line")
        os.rename(log, log + ".1")
        with open(log + ".1", "a") as f:
            f.write(docker_line("late in old\n"))
        with open(log, "w") as f:
            f.write(docker_line("in new\n"))
        wait_for(lambda: len(lines) >= 3, what="three lines")
        got = sorted(l.split("\t")[2].rstrip("\n") for l in lines)
        self.assertEqual(got, ["before", "in new", "late in old"])
        p.send_signal(signal.SIGTERM)
        p.wait(timeout=TIMEOUT)


if __name__ == "__main__":
    unittest.main()
