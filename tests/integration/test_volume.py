"""/loki/api/v1/index/volume and /index/volume_range against the real binary:
exact byte counts for known pushed lines (line + structured-metadata bytes),
from the head before a flush and from the index after it; Loki's shapes,
grouping, limits, step buckets and 400 texts."""

import json
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from push_helpers import JSON, json_body  # noqa: E402
from skald_harness import Skald  # noqa: E402

SEC = 10**9


class VolumeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = Skald()
        # A whole minute, ten minutes ago: volume_range buckets align to it.
        cls.base = (int(time.time()) // 60) * 60 - 600
        b = cls.base * SEC
        streams = [
            # 10 + 10 + len("trace_id") + len("abcd") = 32 bytes
            ({"app": "api", "env": "prod"}, [(b, "a" * 10), (b + SEC, "b" * 10, {"trace_id": "abcd"})]),
            ({"app": "web", "env": "prod"}, [(b + 2 * SEC, "c" * 20)]),  # 20 bytes
            ({"app": "db", "env": "dev"}, [(b, "d" * 5)]),  # 5 bytes
            # 4 x 5 bytes spanning [base+10s, base+90s]
            ({"app": "batch", "env": "test"},
             [(b + 10 * SEC, "fffff"), (b + 30 * SEC, "fffff"), (b + 70 * SEC, "fffff"),
              (b + 90 * SEC, "fffff")]),
        ]
        status, _, body = cls.s.post("/loki/api/v1/push", body=json_body(streams), headers=JSON)
        assert status == 204, (status, body)

    @classmethod
    def tearDownClass(cls):
        cls.s.stop()
        cls.s.close()

    def volume(self, path, **params):
        params.setdefault("start", str(self.base - 60))
        params.setdefault("end", str(self.base + 60))
        status, headers, body = self.s.get(path, params=params)
        self.assertEqual(status, 200, body)
        self.assertTrue(headers["content-type"].startswith("application/json"))
        doc = json.loads(body)
        self.assertEqual(doc["status"], "success")
        self.assertEqual(doc["data"]["stats"]["summary"]["totalBytesProcessed"], 0)
        return doc["data"]["resultType"], doc["data"]["result"]

    def instant(self, **params):
        kind, result = self.volume("/loki/api/v1/index/volume", **params)
        self.assertEqual(kind, "vector")
        for r in result:
            self.assertEqual(r["value"][0], self.base + 60)  # the end of the range
        return [(r["metric"], r["value"][1]) for r in result]

    def check_all(self):
        # Grouped by the selector's label names (env), largest first. The batch
        # stream spans [base+10s, base+90s] and the window ends at base+60s:
        # 50/80 of its 20 bytes and 4 entries count.
        self.assertEqual(self.instant(query='{env=~".+"}'),
                         [({"env": "prod"}, "52"), ({"env": "test"}, "12"), ({"env": "dev"}, "5")])
        self.assertEqual(self.instant(query='{env=~"prod|dev"}', targetLabels="app"),
                         [({"app": "api"}, "32"), ({"app": "web"}, "20"), ({"app": "db"}, "5")])
        self.assertEqual(self.instant(query='{app=~"api|web|db", env=~".+"}', aggregateBy="labels"),
                         [({"app": ""}, "57"), ({"env": ""}, "57")])
        self.assertEqual(self.instant(query='{env=~".+"}', limit="1"), [({"env": "prod"}, "52")])
        self.assertEqual(self.instant(query="{}", limit="2"),
                         [({"app": "api", "env": "prod"}, "32"), ({"app": "web", "env": "prod"}, "20")])
        # volume_range: 60 s buckets [base, base+59.999] and [base+60, base+120];
        # the batch stream's span is prorated into both (49/80 and 30/80).
        kind, result = self.volume("/loki/api/v1/index/volume_range", query='{app="batch"}',
                                   start=str(self.base), end=str(self.base + 120), step="60")
        self.assertEqual(kind, "matrix")
        self.assertEqual(result, [{"metric": {"app": "batch"},
                                   "values": [[float("%d.999" % (self.base + 59)), "12"],
                                              [self.base + 120, "7"]]}])
        # Data in one bucket only (the last, ending at `end`): Loki answers a
        # vector even for volume_range.
        kind, result = self.volume("/loki/api/v1/index/volume_range", query='{app="api"}',
                                   start=str(self.base - 120), end=str(self.base + 60), step="60")
        self.assertEqual(kind, "vector")
        self.assertEqual(result, [{"metric": {"app": "api"}, "value": [self.base + 60, "32"]}])

    def test_1_head_then_index_give_the_same_numbers(self):
        self.check_all()
        status, _, body = self.s.post("/flush")
        self.assertIn(status, (200, 204), body)
        self.check_all()

    def test_post_form_is_accepted(self):
        status, _, body = self.s.post_form("/loki/api/v1/index/volume",
                                           {"query": '{app="web"}', "start": str(self.base - 60),
                                            "end": str(self.base + 60)})
        self.assertEqual(status, 200, body)
        self.assertEqual(json.loads(body)["data"]["result"],
                         [{"metric": {"app": "web"}, "value": [self.base + 60, "20"]}])

    def test_bad_parameters_are_400_with_loki_texts(self):
        cases = [
            ({"query": '{app="api"}', "aggregateBy": "pods"}, "invalid aggregation option\n"),
            ({"query": '{app="api"}', "limit": "-5"}, "limit must be a positive value\n"),
            ({"query": '{app="api"}', "start": "1700000100", "end": "1700000000"},
             "end timestamp must not be before or equal to start time\n"),
        ]
        for params, text in cases:
            status, _, body = self.s.get("/loki/api/v1/index/volume", params=params)
            self.assertEqual((status, body.decode()), (400, text), params)
        status, _, body = self.s.get("/loki/api/v1/index/volume", params={"query": '{app="api"} |= "x"'})
        self.assertEqual(status, 400, body)
        status, _, body = self.s.get("/loki/api/v1/index/volume_range",
                                     params={"query": '{app="api"}', "step": "0"})
        self.assertEqual(status, 400, body)


if __name__ == "__main__":
    unittest.main()
