"""Crash safety: every push acknowledged with 204 survives `kill -9`.

Several threads push numbered, unique lines; the server is killed with
SIGKILL mid-stream (and, in the second test, during a /flush); after a
restart and a /flush, /loki/api/v1/index/stats must count at least every
acknowledged line, and no more than were sent (nothing invented, nothing
duplicated). Line contents are checked through the query API by the query
engine's own tests; here the index count is the oracle.
"""

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


def pusher(s, tid, base_ts, acked, sent, stop):
    for b in range(MAX_BATCHES):
        if stop.is_set():
            return
        entries = [(base_ts + (b * BATCH + i) * 1000 + tid, "t%d b%d i%d" % (tid, b, i)) for i in range(BATCH)]
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


class CrashRecovery(unittest.TestCase):
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
            if during_flush:
                flusher = threading.Thread(target=lambda: self._flush_quietly(s))
                flusher.start()
                time.sleep(0.05)
            s.kill9()
            stop.set()
            for t in threads:
                t.join(timeout=30)
            if during_flush:
                flusher.join(timeout=30)
            total_acked = sum(acked)
            total_sent = sum(sent)
            self.assertGreater(total_acked, 0, "no push was acknowledged before the crash")

            s.start()
            status, _, body = s.post("/flush", timeout=120)
            self.assertEqual(status, 204, body)
            st = stats(s, '{job="crash"}', start=base - 10**9, end=now_ns() + 10**9)
            self.assertGreaterEqual(st["entries"], total_acked, "acknowledged lines were lost")
            self.assertLessEqual(st["entries"], total_sent, "more lines than were sent (duplicates)")

            # A second crash right after recovery must not duplicate anything.
            s.kill9()
            s.start()
            self.assertEqual(s.post("/flush", timeout=120)[0], 204)
            st2 = stats(s, '{job="crash"}', start=base - 10**9, end=now_ns() + 10**9)
            self.assertEqual(st2["entries"], st["entries"])
        finally:
            s.close()

    @staticmethod
    def _flush_quietly(s):
        try:
            s.post("/flush", timeout=30)
        except Exception:
            pass

    def test_kill9_mid_stream_loses_no_acknowledged_line(self):
        self.run_crash(during_flush=False)

    def test_kill9_during_flush_loses_no_acknowledged_line(self):
        self.run_crash(during_flush=True)


if __name__ == "__main__":
    unittest.main()
