"""Crash safety: every push acknowledged with 204 survives `kill -9`.

Several threads push numbered, unique lines; the server is killed with
SIGKILL mid-stream (and, in the second test, while /flush requests are in
flight back to back); after a restart and a /flush:
  * /loki/api/v1/index/stats counts at least every acknowledged line and no
    more than were sent (nothing invented, nothing duplicated);
  * a full forward read of every stream through /loki/api/v1/query_range
    (paged by timestamp) returns each acknowledged line with its exact text
    and timestamp, only lines that were sent, and none twice.
A second kill -9 right after recovery must change nothing.
"""

import json
import os
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from skald_harness import Skald  # noqa: E402
from push_helpers import PROTO, now_ns, proto_body, stats  # noqa: E402

THREADS = 4
BATCH = 50
MAX_BATCHES = 400  # per thread: bounds the test whatever happens
PAGE = 1000        # query_range limit per page (under Loki's 5000 default cap)


def line_ts(base_ts, tid, n):
    return base_ts + n * 1000 + tid


def line_text(tid, n):
    return "t%d b%d i%d" % (tid, n // BATCH, n % BATCH)


def pusher(s, tid, base_ts, acked, sent, stop):
    for b in range(MAX_BATCHES):
        if stop.is_set():
            return
        entries = [(line_ts(base_ts, tid, b * BATCH + i), line_text(tid, b * BATCH + i)) for i in range(BATCH)]
        body = proto_body([('{job="crash", thread="%d"}' % tid, entries)])
        sent[tid] += BATCH
        try:
            status, _, _ = s.post("/loki/api/v1/push", body=body, headers=PROTO, timeout=10)
        except Exception:  # the server died under us: this batch is not acknowledged
            return
        if status == 204:
            acked[tid] += BATCH
        else:
            return


def read_stream(s, tid, start, end):
    """Every (ts, line) of one thread's stream, oldest first, paged by timestamp."""
    out = []
    cursor = start
    while True:
        status, _, body = s.get("/loki/api/v1/query_range", params={
            "query": '{job="crash", thread="%d"}' % tid, "start": str(cursor), "end": str(end),
            "limit": str(PAGE), "direction": "forward"})
        assert status == 200, (status, body)
        result = json.loads(body)["data"]["result"]
        page = [(int(ts), line) for r in result for ts, line in r["values"]]
        page.sort()
        out.extend(page)
        if len(page) < PAGE:
            return out
        cursor = page[-1][0] + 1


class CrashRecovery(unittest.TestCase):
    def check_content(self, s, base, acked, sent):
        end = now_ns() + 10**9
        for tid in range(THREADS):
            got = read_stream(s, tid, base - 10**9, end)
            stamps = [ts for ts, _ in got]
            self.assertEqual(len(stamps), len(set(stamps)), "thread %d: a line is returned twice" % tid)
            by_ts = dict(got)
            for n in range(acked[tid]):
                ts = line_ts(base, tid, n)
                self.assertIn(ts, by_ts, "thread %d: acknowledged line %d lost" % (tid, n))
                self.assertEqual(by_ts[ts], line_text(tid, n), "thread %d: line %d altered" % (tid, n))
            expected = {line_ts(base, tid, n): line_text(tid, n) for n in range(sent[tid])}
            for ts, line in got:
                self.assertEqual(expected.get(ts), line, "thread %d: line never sent: %r" % (tid, line))

    def run_crash(self, during_flush):
        s = Skald(config="ingester:\n  chunk_target_size: 8192\n  flush_check_period: 1s\n")
        try:
            base = now_ns() - 600 * 10**9
            acked = [0] * THREADS
            sent = [0] * THREADS
            stop = threading.Event()
            threads = [threading.Thread(target=pusher, args=(s, t, base, acked, sent, stop)) for t in range(THREADS)]
            for t in threads:
                t.start()
            time.sleep(1.5)
            flushes = [0]
            if during_flush:
                flusher = threading.Thread(target=self._flush_until_dead, args=(s, flushes))
                flusher.start()
                time.sleep(0.3)
            s.kill9()
            stop.set()
            for t in threads:
                t.join(timeout=30)
            if during_flush:
                flusher.join(timeout=30)
                self.assertGreater(flushes[0], 0, "no /flush completed before the kill")
            total_acked = sum(acked)
            total_sent = sum(sent)
            self.assertGreater(total_acked, 0, "no push was acknowledged before the crash")

            s.start()
            status, _, body = s.post("/flush", timeout=120)
            self.assertEqual(status, 204, body)
            st = stats(s, '{job="crash"}', start=base - 10**9, end=now_ns() + 10**9)
            self.assertGreaterEqual(st["entries"], total_acked, "acknowledged lines were lost")
            self.assertLessEqual(st["entries"], total_sent, "more lines than were sent (duplicates)")
            self.check_content(s, base, acked, sent)

            # A second crash right after recovery must not duplicate anything.
            s.kill9()
            s.start()
            self.assertEqual(s.post("/flush", timeout=120)[0], 204)
            st2 = stats(s, '{job="crash"}', start=base - 10**9, end=now_ns() + 10**9)
            self.assertEqual(st2["entries"], st["entries"])
            self.check_content(s, base, acked, sent)
        finally:
            s.close()

    @staticmethod
    def _flush_until_dead(s, flushes):
        """POSTs /flush back to back until the server dies, so the kill lands in one."""
        while True:
            try:
                status, _, _ = s.post("/flush", timeout=30)
            except Exception:
                return
            if status != 204:
                return
            flushes[0] += 1

    def test_kill9_mid_stream_loses_no_acknowledged_line(self):
        self.run_crash(during_flush=False)

    def test_kill9_during_flush_loses_no_acknowledged_line(self):
        self.run_crash(during_flush=True)


if __name__ == "__main__":
    unittest.main()
