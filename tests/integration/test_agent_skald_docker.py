"""skald-agent -> skald end to end with Docker json-file logs, real binaries
on loopback. Each container exercises one hazard while lines keep being
written; at the end the server must hold exactly the lines written, in
order, per stream (stdout and stderr are separate streams):

  web:   lines split by Docker at 16 KiB (sizes around the boundary),
         stdout and stderr interleaved, container labels from config.v2.json
  rot:   rotation by rename while writing (the writer keeps its fd for a
         while, then reopens), twice
  copy:  copytruncate (copy to .1, truncate, keep appending)
  trunc: truncate to 0 while writing
  and a kill -9 of the agent (after it caught up, with lines written while
  it is down), then a restart.

The agent is at-least-once: a kill -9 between the server's acknowledgement
and the position save re-sends. The kill happens once the agent has caught
up (acknowledged and saved), so any loss or duplicate is a bug."""

import json
import os
import shutil
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from skald_harness import Skald  # noqa: E402
from agent_skald_helpers import (Agent, Clock, LogWriter, query_all, count_all,  # noqa: E402
                                 wait_for, DOCKER_CHUNK)


def make_container(root, cid, name):
    d = os.path.join(root, "containers", cid)
    os.makedirs(d)
    with open(os.path.join(d, "config.v2.json"), "w") as f:
        json.dump({"ID": cid, "Name": "/" + name, "Config": {"Image": "shop/%s:1.2" % name, "Labels": {
            "com.docker.compose.project": "shop", "com.docker.compose.service": name}}}, f)
    return os.path.join(d, cid + "-json.log")


class AgentSkaldDockerTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="skald-agent-docker-")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def test_every_line_exactly_once_through_splits_rotations_truncations_and_kill9(self):
        clock = Clock()
        logs = {name: make_container(self.dir, "%016x" % (i + 1), name)
                for i, name in enumerate(["web", "rot", "copy", "trunc"])}
        writers = {name: LogWriter(path, clock, "docker") for name, path in logs.items()}
        with Skald() as skald:
            agent = Agent(self.dir, skald.url, f"""
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
            try:
                self.run_scenario(skald, agent, logs, writers)
                self.check(skald, clock, logs, writers)
                self.assertEqual(agent.stop(), 0)
                self.assertNotIn('msg="msg=', agent.output())  # log lines are not double-wrapped
                self.assertIn('msg="tail routine started: path=', agent.output())
            except BaseException:
                print(agent.output()[-5000:])
                raise
            finally:
                agent.stop(kill=True)
                for w in writers.values():
                    w.close()

    def run_scenario(self, skald, agent, logs, writers):
        web, rot, copy, trunc = (writers[n] for n in ["web", "rot", "copy", "trunc"])
        agent.start()
        for n in writers.values():
            n.write_many("a", 100)
        # 16 KiB splits: one record short of, exactly at and past the chunk
        # size (the newline counts), a 3-record line, interleaved streams.
        for size in [DOCKER_CHUNK - 2, DOCKER_CHUNK - 1, DOCKER_CHUNK, DOCKER_CHUNK + 1, 40000]:
            web.write("big-%d " % size + "B" * (size - len("big-%d " % size)))
            web.write("err-after-%d" % size, stream="stderr")
        web.write_many("b", 50, stream="stderr")

        # kill -9 once caught up; keep writing while the agent is down.
        wait_for(lambda: all(agent.saved(p) for p in logs.values()), what="positions saved")
        agent.stop(kill=True)
        for w in writers.values():
            w.write_many("down", 80)
        web.write("big-while-down " + "D" * 50000)
        agent.start()

        # Rename rotation while writing, twice.
        for gen in range(1, 3):
            rot.write_many("pre%d" % gen, 60)
            os.rename(logs["rot"], "%s.%d" % (logs["rot"], gen))
            rot.write_many("old-fd%d" % gen, 40)  # still lands in the renamed file
            rot.reopen()
            rot.write_many("new%d" % gen, 60)
            time.sleep(0.2)

        # copytruncate: the agent must have read the tail before the
        # truncate (what it never saw only exists in the copy).
        copy.write_many("pre", 100)
        wait_for(lambda: agent.read_all(logs["copy"]), what="copy read")
        shutil.copyfile(logs["copy"], logs["copy"] + ".1")
        os.truncate(logs["copy"], 0)
        copy.write_many("post", 120)

        # truncate while writing: lines follow the truncate at once.
        trunc.write_many("pre", 100)
        wait_for(lambda: agent.read_all(logs["trunc"]), what="trunc read")
        os.truncate(logs["trunc"], 0)
        trunc.write_many("post", 30)
        wait_for(lambda: agent.read_all(logs["trunc"]), what="trunc read again")
        os.truncate(logs["trunc"], 0)
        trunc.write_many("post2", 30)

        for w in writers.values():
            w.write_many("z", 20)
            w.write_many("z", 5, stream="stderr")

    def check(self, skald, clock, logs, writers):
        want_total = sum(len(v) for w in writers.values() for v in w.written.values())
        wait_for(lambda: count_all(skald, '{job="docker"}', clock.start_ns, clock.end()) >= want_total,
                 what="all %d lines in skald" % want_total)
        time.sleep(0.5)  # duplicates, if any, would have arrived by now
        got = query_all(skald, '{job="docker"}', clock.start_ns, clock.end())
        by_stream = {}
        for key, values in got.items():
            labels = dict(key)
            by_stream[(labels["container"], labels["stream"])] = (labels, values)
        want_keys = {(n, s) for n, w in writers.items() for s in w.written}
        self.assertEqual(set(by_stream), want_keys)
        for name, w in writers.items():
            for stream, written in w.written.items():
                labels, values = by_stream[(name, stream)]
                self.assertEqual(len(values), len(written), "%s/%s lost or duplicated" % (name, stream))
                self.assertEqual([line for _, line in values], [line for _, line in written],
                                 "%s/%s contents" % (name, stream))
                self.assertEqual([ts for ts, _ in values], [ts for ts, _ in written])
                self.assertEqual(labels["job"], "docker")
                self.assertEqual(labels["image"], "shop/%s:1.2" % name)
                self.assertEqual(labels["compose_project"], "shop")
                self.assertEqual(labels["compose_service"], name)
                self.assertEqual(labels["filename"], logs[name])


if __name__ == "__main__":
    unittest.main()
