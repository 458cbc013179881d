"""skald-agent restart safety: files are identified by (device, inode) and a
fingerprint of their first bytes, not by path, so a rotation while the agent
is dead (kill -9) is noticed at restart: the rotated file is found again and
drained from the saved offset before the new file is read from 0.

Containers (Docker json-file logs, real skald and skald-agent on loopback):
  renamed: rename+create while the agent is down (the writer keeps its old fd
           for a while, then reopens the path)
  copied:  copytruncate while the agent is down
  deleted: rename+create, then the rotated file is deleted: its unread lines
           are lost; the agent warns and counts it
  steady:  no rotation; resumes exactly at the saved offset
The server must end with exactly the lines written (minus the deleted ones),
in order per stream, no duplicates. A second test restores a rotated file
that was still being drained at the last save (an entry of the positions
file) and checks it is read before the file now at the path."""

import json
import os
import shutil
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from skald_harness import Skald  # noqa: E402
from agent_skald_helpers import Agent, Clock, LogWriter, query_all, count_all, wait_for  # noqa: E402

SCRAPE = """
scrape_configs:
  - job_name: docker
    static_configs:
      - targets: [localhost]
        labels:
          job: docker
          __path__: {dir}/containers/*/*-json.log
    pipeline_stages:
      - docker: {{}}
"""


def make_container(root, cid, name):
    d = os.path.join(root, "containers", cid)
    os.makedirs(d)
    with open(os.path.join(d, "config.v2.json"), "w") as f:
        json.dump({"ID": cid, "Name": "/" + name, "Config": {"Image": "shop/%s:1.2" % name}}, f)
    return os.path.join(d, cid + "-json.log")


class AgentSkaldRestartTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="skald-agent-restart-")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def check_exact(self, skald, clock, writers):
        want_total = sum(len(v) for w in writers.values() for v in w.written.values())
        wait_for(lambda: count_all(skald, '{job="docker"}', clock.start_ns, clock.end()) >= want_total,
                 what="all %d lines in skald" % want_total)
        got = query_all(skald, '{job="docker"}', clock.start_ns, clock.end())
        by_stream = {}
        for key, values in got.items():
            labels = dict(key)
            by_stream[(labels["container"], labels["stream"])] = values
        self.assertEqual(set(by_stream), {(n, s) for n, w in writers.items() for s in w.written})
        for name, w in writers.items():
            for stream, written in w.written.items():
                values = by_stream[(name, stream)]
                self.assertEqual([line for _, line in values], [line for _, line in written],
                                 "%s/%s lost, duplicated or reordered" % (name, stream))
                self.assertEqual([ts for ts, _ in values], [ts for ts, _ in written])

    def test_kill9_then_rotation_while_down_resumes_exactly(self):
        clock = Clock()
        names = ["renamed", "copied", "deleted", "steady"]
        logs = {n: make_container(self.dir, "%016x" % (i + 1), n) for i, n in enumerate(names)}
        writers = {n: LogWriter(p, clock, "docker") for n, p in logs.items()}
        with Skald() as skald:
            agent = Agent(self.dir, skald.url, SCRAPE.format(dir=self.dir))
            try:
                agent.start()
                for w in writers.values():
                    w.write_many("a", 100)
                writers["steady"].write_many("e", 20, stream="stderr")
                wait_for(lambda: all(agent.saved(p) for p in logs.values()), what="positions saved")
                with open(agent.positions_path) as f:
                    self.assertIn("skald-identity:" + logs["renamed"], f.read())
                agent.stop(kill=True)

                # While the agent is down.
                ren = writers["renamed"]
                ren.write_many("down-old", 50)
                os.rename(logs["renamed"], logs["renamed"] + ".1")
                ren.write_many("old-fd", 20)  # lands in the renamed file
                ren.reopen()
                ren.write_many("down-new", 50)

                cp = writers["copied"]
                cp.write_many("down-pre", 50)
                shutil.copyfile(logs["copied"], logs["copied"] + ".1")
                os.truncate(logs["copied"], 0)
                cp.write_many("down-post", 50)

                dl = writers["deleted"]
                dl.write_many("lost", 30)
                os.rename(logs["deleted"], logs["deleted"] + ".1")
                os.remove(logs["deleted"] + ".1")
                dl.reopen()
                kept = list(dl.written["stdout"][:100])
                dl.written["stdout"] = kept  # the 30 "lost" lines are gone for good
                dl.write_many("down-new", 40)

                writers["steady"].write_many("down", 60)
                writers["steady"].write_many("down", 10, stream="stderr")

                agent.start()
                for w in writers.values():
                    w.write_many("after", 20)
                self.check_exact(skald, clock, writers)
                self.assertEqual(agent.metric("skald_agent_rotated_files_resumed_total"), 2)
                self.assertEqual(agent.metric("skald_agent_rotated_files_lost_total"), 1)
                out = agent.output()
                self.assertIn("rotated file not found; lines after the saved offset are lost: path=%s"
                              % logs["deleted"], out)
                self.assertIn("draining file rotated while not tailed: path=%s rotated=%s.1"
                              % (logs["renamed"], logs["renamed"]), out)
                self.assertEqual(agent.stop(), 0)
            except BaseException:
                print(agent.output()[-5000:])
                raise
            finally:
                agent.stop(kill=True)
                for w in writers.values():
                    w.close()

    def test_rotated_file_draining_at_last_save_is_resumed_first(self):
        clock = Clock()
        log = make_container(self.dir, "%016x" % 1, "drain")
        w = LogWriter(log, clock, "docker")
        w.write_many("old", 10)
        offset = os.path.getsize(log)  # the first 10 lines were acknowledged
        w.write_many("old-unsent", 15)
        os.rename(log, log + ".1")
        w.reopen()
        w.write_many("new", 25)
        w.written["stdout"] = w.written["stdout"][10:]
        st = os.stat(log + ".1")
        positions = os.path.join(self.dir, "positions.yaml")
        with open(positions, "w") as f:
            # fingerprint length 0: identified by device and inode alone.
            f.write('positions:\n  %s: "0"\n  skald-rotated:%d:%d:0:0000000000000000:%s: "%d"\n'
                    % (log, st.st_dev, st.st_ino, log, offset))
        with Skald() as skald:
            agent = Agent(self.dir, skald.url, SCRAPE.format(dir=self.dir))
            try:
                agent.start()
                w.write_many("after", 10)
                self.check_exact(skald, clock, {"drain": w})
                self.assertEqual(agent.metric("skald_agent_rotated_files_resumed_total"), 1)
                self.assertEqual(agent.stop(), 0)
            except BaseException:
                print(agent.output()[-5000:])
                raise
            finally:
                agent.stop(kill=True)
                w.close()


if __name__ == "__main__":
    unittest.main()
