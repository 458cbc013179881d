"""Push (JSON, gzip JSON, protobuf+snappy, legacy) and read back through
labels, label values, series and index/stats; validation statuses; auth and
tenant isolation. Runs the real skald on loopback."""

import gzip
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from skald_harness import Skald  # noqa: E402
from push_helpers import JSON, PROTO, json_body, now_ns, proto_body, stats, with_tenant  # noqa: E402


class PushAndReadBack(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = Skald()

    @classmethod
    def tearDownClass(cls):
        cls.s.close()

    def test_json_push_is_visible_in_labels_series_and_stats(self):
        t = now_ns()
        body = json_body([({"job": "json", "env": "prod"}, [(t, "a"), (t + 1, "b", {"trace_id": "x1"})])])
        status, _, resp = self.s.post("/loki/api/v1/push", body=body, headers=JSON)
        self.assertEqual(status, 204, resp)
        status, _, resp = self.s.get("/loki/api/v1/labels")
        self.assertEqual(status, 200)
        data = json.loads(resp)["data"]
        self.assertIn("job", data)
        self.assertIn("env", data)
        self.assertNotIn("trace_id", data)  # structured metadata is not a label
        status, _, resp = self.s.get("/loki/api/v1/label/job/values")
        self.assertIn("json", json.loads(resp)["data"])
        status, _, resp = self.s.get("/loki/api/v1/series", params={"match[]": '{job="json"}'})
        self.assertEqual(json.loads(resp), {"status": "success", "data": [{"env": "prod", "job": "json"}]})
        st = stats(self.s, '{job="json"}')
        self.assertEqual(st["streams"], 1)
        self.assertEqual(st["entries"], 2)

    def test_gzip_json_push(self):
        t = now_ns()
        body = gzip.compress(json_body([({"job": "gzip"}, [(t, "zipped")])]))
        status, _, resp = self.s.post("/loki/api/v1/push", body=body,
                                      headers={"Content-Type": "application/json", "Content-Encoding": "gzip"})
        self.assertEqual(status, 204, resp)
        self.assertEqual(stats(self.s, '{job="gzip"}')["entries"], 1)

    def test_protobuf_snappy_push(self):
        t = now_ns()
        body = proto_body([('{job="proto", pod="p1"}', [(t + i, "line %d" % i) for i in range(50)])])
        status, _, resp = self.s.post("/loki/api/v1/push", body=body, headers=PROTO)
        self.assertEqual(status, 204, resp)
        self.assertEqual(stats(self.s, '{job="proto"}')["entries"], 50)

    def test_legacy_push_path(self):
        body = json.dumps({"streams": [{"labels": '{job="legacy"}', "entries": [
            {"ts": "2030-01-01T00:00:00Z", "line": "old api"}]}]}).encode()
        status, _, resp = self.s.post("/api/prom/push", body=body, headers=JSON)
        # 2030 is beyond the creation grace period: a validation error, as Loki answers.
        self.assertEqual(status, 400, resp)
        self.assertIn(b"has timestamp too new", resp)

    def test_flush_moves_head_data_to_the_index_without_changing_counts(self):
        t = now_ns()
        body = proto_body([('{job="flushme"}', [(t + i, "f%d" % i) for i in range(10)])])
        self.assertEqual(self.s.post("/loki/api/v1/push", body=body, headers=PROTO)[0], 204)
        before = stats(self.s, '{job="flushme"}')
        status, _, _ = self.s.post("/flush")
        self.assertEqual(status, 204)
        after = stats(self.s, '{job="flushme"}')
        self.assertEqual(before["entries"], 10)
        self.assertEqual(after["entries"], 10)
        self.assertEqual(after["streams"], 1)
        self.assertGreaterEqual(after["chunks"], 1)
        status, _, resp = self.s.get("/loki/api/v1/series", params={"match[]": '{job="flushme"}'})
        self.assertEqual(json.loads(resp)["data"], [{"job": "flushme"}])

    def test_flushed_blocks_read_backward_decompress_only_their_newest_lines(self):
        # ~600 KB of lines in one stream: flushed as blocks of 256 KiB, each
        # stored newest segment first; a backward limit query decompresses
        # the newest segment, a forward one the oldest block whole, a metric
        # over everything every byte once (stats.summary.totalBytesProcessed).
        t = now_ns() - 3600 * 10**9
        lines = [(t + i * 10**6, "GET /api/item/%06d status=200 took %dms pad=%s" % (i, i % 97, "x" * 40))
                 for i in range(8000)]
        total = sum(len(l) for _, l in lines)
        for k in range(0, len(lines), 2000):
            body = proto_body([('{job="segments"}', lines[k:k + 2000])])
            self.assertEqual(self.s.post("/loki/api/v1/push", body=body, headers=PROTO)[0], 204)
        self.assertEqual(self.s.post("/flush")[0], 204)
        params = {"query": '{job="segments"}', "limit": "10", "start": str(t - 10**9), "end": str(t + 10**10)}

        def run(**extra):
            status, _, resp = self.s.get("/loki/api/v1/query_range", params=dict(params, **extra))
            self.assertEqual(status, 200, resp)
            data = json.loads(resp)["data"]
            return data, data["stats"]["summary"]["totalBytesProcessed"]

        data, backward = run(direction="backward")
        values = data["result"][0]["values"]
        self.assertEqual([v[1] for v in values], [l for _, l in reversed(lines[-10:])])
        self.assertGreater(backward, 0)
        self.assertLess(backward, 64 * 1024)
        data, forward = run(direction="forward")
        self.assertEqual([v[1] for v in data["result"][0]["values"]], [l for _, l in lines[:10]])
        self.assertGreater(forward, 200 * 1024)
        end = str(t + 10**10)
        data, metric = run(query='sum(count_over_time({job="segments"}[1h]))', step="60", start=end, end=end)
        self.assertEqual(data["result"][0]["values"][0][1], "8000")
        self.assertEqual(metric, total)

    def test_validation_errors_keep_valid_streams(self):
        t = now_ns()
        body = json_body([({"job": "valid"}, [(t, "ok")]), ({}, [(t, "no labels")])])
        status, _, resp = self.s.post("/loki/api/v1/push", body=body, headers=JSON)
        self.assertEqual(status, 400)
        self.assertEqual(resp, b"error at least one label pair is required per stream\n")
        self.assertEqual(stats(self.s, '{job="valid"}')["entries"], 1)

    def test_empty_push_is_422(self):
        status, _, resp = self.s.post("/loki/api/v1/push", body=b'{"streams":[]}', headers=JSON)
        self.assertEqual(status, 422)
        self.assertEqual(resp, b"error at least one valid stream is required for ingestion\n")

    def test_too_old_entry_is_400_with_discard_metric(self):
        body = json_body([({"job": "old"}, [(1_000_000_000, "ancient")])])
        status, _, resp = self.s.post("/loki/api/v1/push", body=body, headers=JSON)
        self.assertEqual(status, 400)
        self.assertIn(b"has timestamp too old: 1970-01-01T00:00:01Z", resp)
        _, _, metrics = self.s.get("/metrics")
        self.assertIn(b'loki_discarded_samples_total{reason="greater_than_max_sample_age",tenant="fake"}', metrics)

    def test_labels_without_data_omit_the_data_key(self):
        status, _, resp = self.s.get("/loki/api/v1/label/nonexistent_label/values")
        self.assertEqual(status, 200)
        self.assertEqual(json.loads(resp), {"status": "success"})

    def test_bad_start_parameter_is_400(self):
        status, _, resp = self.s.get("/loki/api/v1/labels", params={"start": "yesterday"})
        self.assertEqual(status, 400)

    def test_series_rejects_a_bad_selector(self):
        status, _, resp = self.s.get("/loki/api/v1/series", params={"match[]": "job"})
        self.assertEqual(status, 400)


class AuthAndTenants(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = Skald(config="auth_enabled: true\n")

    @classmethod
    def tearDownClass(cls):
        cls.s.close()

    def test_push_without_org_id_is_401(self):
        body = json_body([({"job": "x"}, [(now_ns(), "l")])])
        status, _, resp = self.s.post("/loki/api/v1/push", body=body, headers=JSON)
        self.assertEqual(status, 401)
        self.assertEqual(resp, b"no org id\n")
        status, _, resp = self.s.get("/loki/api/v1/labels")
        self.assertEqual(status, 401)

    def test_invalid_org_id_is_400(self):
        body = json_body([({"job": "x"}, [(now_ns(), "l")])])
        status, _, resp = self.s.post("/loki/api/v1/push", body=body, headers=with_tenant(JSON, "a/b"))
        self.assertEqual(status, 400)
        self.assertEqual(resp, b"tenant ID 'a/b' contains unsupported character '/'\n")

    def test_tenants_are_isolated(self):
        t = now_ns()
        for tenant in ("team-a", "team-b"):
            body = json_body([({"job": "iso", "owner": tenant}, [(t, "from " + tenant)])])
            status, _, resp = self.s.post("/loki/api/v1/push", body=body, headers=with_tenant(JSON, tenant))
            self.assertEqual(status, 204, resp)
        _, _, resp = self.s.get("/loki/api/v1/label/owner/values", headers={"X-Scope-OrgID": "team-a"})
        self.assertEqual(json.loads(resp)["data"], ["team-a"])
        self.assertEqual(self.s.post("/flush")[0], 204)
        _, _, resp = self.s.get("/loki/api/v1/series", params={"match[]": '{job="iso"}'},
                                headers={"X-Scope-OrgID": "team-b"})
        self.assertEqual(json.loads(resp)["data"], [{"job": "iso", "owner": "team-b"}])
        self.assertEqual(stats(self.s, '{job="iso"}', headers={"X-Scope-OrgID": "team-c"})["entries"], 0)


if __name__ == "__main__":
    unittest.main()
