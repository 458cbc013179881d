"""WORK IN PROGRESS (not registered with CTest: rename to test_agent_skald.py once it
passes). Currently fails: skald returns no streams for {job="docker"} although it
acknowledged the agent's pushes; not yet diagnosed (agent push vs. server query).

skald-agent against the real skald server: docker json-file logs (with a
line longer than 16 KiB split Docker-style and a container config.v2.json),
rotation by rename while writing, and a kill -9 of the agent between pushes
followed by a restart. The server must end up holding exactly the lines
written, in order, with the container's labels.

The agent is at-least-once: a kill -9 after the server acknowledged a batch
but before the position was saved would resend that batch. The test kills
the agent once it has caught up (acknowledged and saved), while lines keep
being written during its downtime, so any loss or duplicate is a bug."""

import datetime
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from skald_harness import Skald, free_port  # noqa: E402

AGENT = os.environ.get("SKALD_AGENT_BIN", "./build/agent/skald-agent")
TIMEOUT = 60.0
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


def docker_records(text, ts_ns):
    """The json-file records Docker writes for one line of `text`."""
    data = text + "\n"
    parts = [data[i:i + DOCKER_CHUNK] for i in range(0, len(data), DOCKER_CHUNK)]
    return "".join(json.dumps({"log": p, "stream": "stdout", "time": rfc3339(ts_ns)}) + "\n"
                   for p in parts)


class AgentSkaldTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="skald-agent-e2e-")
        self.agent = None

    def tearDown(self):
        self.stop_agent(kill=True)
        shutil.rmtree(self.dir, ignore_errors=True)

    def start_agent(self, config_path):
        self.agent_log = open(os.path.join(self.dir, "agent.log"), "a")
        self.agent = subprocess.Popen([AGENT, f"-config.file={config_path}"],
                                      stdout=self.agent_log, stderr=subprocess.STDOUT)

    def stop_agent(self, kill=False):
        if self.agent is None:
            return
        if self.agent.poll() is None:
            if kill:
                self.agent.kill()  # SIGKILL: no flush, no final position save
            else:
                self.agent.send_signal(signal.SIGTERM)
            self.agent.wait(timeout=TIMEOUT)
        self.agent_log.close()
        self.agent = None

    def agent_output(self):
        with open(os.path.join(self.dir, "agent.log")) as f:
            return f.read()

    def positions(self):
        try:
            with open(os.path.join(self.dir, "positions.yaml")) as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def query_all(self, skald, start_ns, end_ns):
        params = {"query": '{job="docker"}', "limit": "5000", "direction": "forward",
                  "start": str(start_ns), "end": str(end_ns)}
        status, _, body = skald.get("/loki/api/v1/query_range", params=params)
        self.assertEqual(status, 200, body[:500])
        result = json.loads(body)["data"]["result"]
        values = []
        for stream in result:
            for ts, line in stream["values"]:
                values.append((int(ts), line, stream["stream"]))
        values.sort(key=lambda v: v[0])
        return values

    def test_docker_logs_reach_skald_exactly_once_across_rotation_and_kill9(self):
        cid = "0123456789abcdef"
        cdir = os.path.join(self.dir, "containers", cid)
        os.makedirs(cdir)
        with open(os.path.join(cdir, "config.v2.json"), "w") as f:
            json.dump({"ID": cid, "Name": "/shop-api-1", "Config": {"Image": "shop/api:1.2", "Labels": {
                "com.docker.compose.project": "shop", "com.docker.compose.service": "api"}}}, f)
        log = os.path.join(cdir, cid + "-json.log")

        with Skald() as skald:
            agent_port = free_port()
            config = os.path.join(self.dir, "agent.yaml")
            with open(config, "w") as f:
                f.write(f"""
server:
  http_listen_port: {agent_port}
  http_listen_address: 127.0.0.1
positions:
  filename: {self.dir}/positions.yaml
  sync_period: 100ms
clients:
  - url: {skald.url}/loki/api/v1/push
    batchwait: 50ms
    backoff_config:
      min_period: 20ms
      max_period: 200ms
      max_retries: 100
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
""")
            base_ns = time.time_ns() - 60 * 1_000_000_000
            written = []  # (ts_ns, line) in write order
            out = open(log, "a")

            def write(n):
                for _ in range(n):
                    i = len(written)
                    text = "line-%05d %s" % (i, "x" * (i % 50))
                    if i == 42:
                        text = "line-00042 " + "L" * 40000  # three Docker partial records
                    ts = base_ns + i * 1000
                    out.write(docker_records(text, ts))
                    written.append((ts, text))
                    if i % 25 == 0:
                        out.flush()
                        time.sleep(0.005)
                out.flush()

            self.start_agent(config)
            write(400)
            # Let the agent catch up (acknowledged and position saved), kill it,
            # and keep writing while it is down.
            size = os.path.getsize(log)
            wait_for(lambda: f'{log}: "{size}"' in self.positions(), what="saved position")
            self.stop_agent(kill=True)
            write(300)
            self.start_agent(config)
            write(300)
            # Rotate by rename while writing: the tail of the old file and the
            # new file must both arrive.
            os.rename(log, log + ".1")
            write(50)  # still lands in the renamed file (the writer keeps its fd)
            out.close()
            out = open(log, "a")
            write(300)
            out.close()

            want = [line for _, line in written]
            end_ns = base_ns + len(written) * 1000 + 1

            def caught_up():
                return len(self.query_all(skald, base_ns, end_ns)) >= len(want)

            try:
                wait_for(caught_up, what="all lines in skald")
                time.sleep(0.5)  # anything extra (duplicates) would have arrived by now
            except AssertionError:
                print(self.agent_output()[-4000:])
                print(skald.get("/loki/api/v1/query_range",
                                params={"query": '{job="docker"}', "limit": "20"})[2][:1000])
                raise
            got = self.query_all(skald, base_ns, end_ns)
            self.assertEqual(len(got), len(want), "lost or duplicated lines")
            self.assertEqual([line for _, line, _ in got], want)
            self.assertEqual([ts for ts, _, _ in got], [ts for ts, _ in written])
            labels = got[0][2]
            self.assertEqual(labels.get("job"), "docker")
            self.assertEqual(labels.get("container"), "shop-api-1")
            self.assertEqual(labels.get("image"), "shop/api:1.2")
            self.assertEqual(labels.get("compose_project"), "shop")
            self.assertEqual(labels.get("compose_service"), "api")
            self.assertEqual(labels.get("stream"), "stdout")
            self.assertEqual(labels.get("filename"), log)
            self.assertEqual(len(got[42][1]), len("line-00042 ") + 40000)
            self.stop_agent()


if __name__ == "__main__":
    unittest.main()
