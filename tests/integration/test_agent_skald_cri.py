"""skald-agent -> skald end to end with Kubernetes CRI logs
(pods/<ns>_<pod>_<uid>/<container>/0.log), real binaries on loopback. At the
end the server must hold exactly the lines written, in order, per stream:

  api: lines split into P...F partial records (stdout and stderr partials
       interleaved, as the runtime writes them), kubelet-style rotation
       (0.log renamed to 0.log.<timestamp>, a new 0.log created), and a
       kill -9 of the agent while a P fragment waits for its F
  web: plain F lines throughout
  plus a server outage: skald stopped while lines are written, restarted,
  the agent retries and then delivers everything (reading pauses, nothing
  is dropped)."""

import os
import re
import shutil
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from skald_harness import Skald  # noqa: E402
from agent_skald_helpers import (Agent, Clock, LogWriter, query_all, count_all,  # noqa: E402
                                 rfc3339, wait_for)


def pod_log(root, ns, pod, container):
    d = os.path.join(root, "pods", "%s_%s_%s-uid" % (ns, pod, pod), container)
    os.makedirs(d)
    return os.path.join(d, "0.log")


class AgentSkaldCriTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="skald-agent-cri-")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def test_every_line_exactly_once_through_partials_rotation_kill9_and_server_outage(self):
        clock = Clock()
        logs = {"api": pod_log(self.dir, "shop", "api-7d9f", "api"),
                "web": pod_log(self.dir, "shop", "web-55c1", "web")}
        api = LogWriter(logs["api"], clock, "cri", cri_chunk=700)
        web = LogWriter(logs["web"], clock, "cri")
        with Skald() as skald:
            agent = Agent(self.dir, skald.url, f"""
scrape_configs:
  - job_name: pods
    static_configs:
      - targets: [localhost]
        labels:
          job: pods
          __path__: {self.dir}/pods/*/*/*.log
    pipeline_stages:
      - cri: {{}}
""")
            try:
                agent.start()
                self.partials(api, web)
                self.kill9_with_pending_partial(agent, api, logs["api"])
                self.rotate(api, web, logs["api"])
                self.server_outage(skald, agent, api, web)
                self.check(skald, clock, {"api": api, "web": web}, logs)
                self.assertEqual(agent.stop(), 0)
            except BaseException:
                print(agent.output()[-5000:])
                raise
            finally:
                agent.stop(kill=True)
                api.close()
                web.close()

    def partials(self, api, web):
        api.write_many("a", 100)
        web.write_many("a", 100)
        for n in [699, 700, 701, 2500, 10000]:
            api.write("long-%d " % n + "p" * n)
        # Interleaved partials: stdout P, stderr P, stderr F, stdout F.
        ts_out, ts_err = clock_pair(api)
        out_parts, err_parts = ["out-first-half ", "out-second-half"], ["err-1 ", "err-2"]
        api.f.write("%s stdout P %s\n" % (rfc3339(ts_out), out_parts[0]))
        api.f.write("%s stderr P %s\n" % (rfc3339(ts_err), err_parts[0]))
        api.f.write("%s stderr F %s\n" % (rfc3339(ts_err), err_parts[1]))
        api.f.write("%s stdout F %s\n" % (rfc3339(ts_out), out_parts[1]))
        api.f.flush()
        api.written.setdefault("stdout", []).append((ts_out, "".join(out_parts)))
        api.written.setdefault("stderr", []).append((ts_err, "".join(err_parts)))
        api.write_many("e", 30, stream="stderr")

    def kill9_with_pending_partial(self, agent, api, path):
        ts = api.clock.tick()
        api.f.write("%s stdout P %s\n" % (rfc3339(ts), "held-fragment "))
        api.f.flush()
        start_of_p = os.path.getsize(path) - len("%s stdout P held-fragment \n" % rfc3339(ts))
        wait_for(lambda: agent.read_all(path), what="P fragment read")
        # Everything before the fragment is acknowledged, the fragment is
        # not: the saved position stops at its start.
        wait_for(lambda: saved_offset(agent, path) == start_of_p, what="position at the P record")
        time.sleep(0.3)
        self.assertEqual(saved_offset(agent, path), start_of_p)
        agent.stop(kill=True)
        api.f.write("%s stdout F %s\n" % (rfc3339(ts), "completed-after-restart"))
        api.f.flush()
        api.written["stdout"].append((ts, "held-fragment completed-after-restart"))
        api.write_many("down", 50)
        agent.start()

    def rotate(self, api, web, path):
        for gen in range(2):
            api.write_many("pre%d" % gen, 60)
            web.write_many("pre%d" % gen, 20)
            os.rename(path, "%s.2026112%d-050000" % (path, gen))
            api.write("old-fd-%d " % gen + "r" * 1500)  # partials into the renamed file
            api.write_many("old-fd%d" % gen, 20)
            api.reopen()
            api.write_many("new%d" % gen, 60)
            time.sleep(0.2)

    def server_outage(self, skald, agent, api, web):
        skald.stop()
        api.write_many("outage", 200)
        web.write_many("outage", 200)
        api.write("long-during-outage " + "o" * 3000)
        # The agent keeps retrying (connection refused) and drops nothing.
        wait_for(lambda: agent.metric("promtail_batch_retries_total") >= 3, what="retries")
        time.sleep(0.5)
        skald.start()
        api.write_many("after", 50)
        web.write_many("after", 50)
        self.assertEqual(agent.metric("promtail_dropped_entries_total"), 0)

    def check(self, skald, clock, writers, logs):
        want_total = sum(len(v) for w in writers.values() for v in w.written.values())
        wait_for(lambda: count_all(skald, '{job="pods"}', clock.start_ns, clock.end()) >= want_total,
                 what="all %d lines in skald" % want_total)
        time.sleep(0.5)  # duplicates, if any, would have arrived by now
        got = query_all(skald, '{job="pods"}', clock.start_ns, clock.end())
        by_stream = {}
        for key, values in got.items():
            labels = dict(key)
            by_stream[(labels["container"], labels["stream"])] = (labels, values)
        self.assertEqual(set(by_stream), {(n, s) for n, w in writers.items() for s in w.written})
        for name, w in writers.items():
            for stream, written in w.written.items():
                labels, values = by_stream[(name, stream)]
                self.assertEqual(len(values), len(written), "%s/%s lost or duplicated" % (name, stream))
                self.assertEqual([line for _, line in values], [line for _, line in written],
                                 "%s/%s contents" % (name, stream))
                self.assertEqual([ts for ts, _ in values], [ts for ts, _ in written])
                self.assertEqual(labels["namespace"], "shop")
                self.assertTrue(labels["pod"].startswith(name + "-"), labels)
                self.assertEqual(labels["filename"], logs[name])


def clock_pair(writer):
    return writer.clock.tick(), writer.clock.tick()


def saved_offset(agent, path):
    try:
        with open(agent.positions_path) as f:
            m = re.search(r'%s: "(\d+)"' % re.escape(path), f.read())
    except FileNotFoundError:
        return None
    return int(m.group(1)) if m else None


if __name__ == "__main__":
    unittest.main()
