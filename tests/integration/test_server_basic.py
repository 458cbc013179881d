"""Basic server behaviour: readiness, admin endpoints, config handling, shutdown."""

import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from skald_harness import Skald  # noqa: E402


class ServerBasicTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = Skald()

    @classmethod
    def tearDownClass(cls):
        cls.s.stop()
        cls.s.close()

    def test_ready(self):
        status, headers, body = self.s.get("/ready")
        self.assertEqual(status, 200)
        self.assertEqual(body, b"ready\n")

    def test_metrics_after_a_request(self):
        self.s.get("/ready")
        status, headers, body = self.s.get("/metrics")
        self.assertEqual(status, 200)
        self.assertTrue(headers["content-type"].startswith("text/plain; version=0.0.4"))
        text = body.decode()
        for name in ("process_cpu_seconds_total", "process_resident_memory_bytes", "process_open_fds",
                     "process_start_time_seconds"):
            self.assertIn("\n%s " % name, text)
        self.assertIn('loki_request_duration_seconds_count{method="GET",route="ready",status_code="200",ws="false"}',
                      text)

    def test_buildinfo_shape(self):
        status, headers, body = self.s.get("/loki/api/v1/status/buildinfo")
        self.assertEqual(status, 200)
        self.assertTrue(headers["content-type"].startswith("application/json"))
        info = json.loads(body)
        self.assertEqual(sorted(info), sorted(["version", "revision", "branch", "buildUser", "buildDate",
                                               "goVersion"]))
        for v in info.values():
            self.assertIsInstance(v, str)
        self.assertTrue(info["version"])

    def test_config_is_yaml(self):
        status, _, body = self.s.get("/config")
        self.assertEqual(status, 200)
        text = body.decode()
        self.assertIn("http_listen_port: %d" % self.s.port, text)
        self.assertIn("limits_config:", text)
        status, _, body = self.s.get("/config", params={"mode": "defaults"})
        self.assertIn("http_listen_port: 3100", body.decode())
        status, _, body = self.s.get("/config", params={"mode": "diffs"})
        self.assertIn("http_listen_port: %d" % self.s.port, body.decode())
        self.assertNotIn("max_line_size", body.decode())

    def test_services(self):
        status, _, body = self.s.get("/services")
        self.assertEqual(status, 200)
        self.assertIn("server => Running", body.decode())

    def test_log_level(self):
        status, _, body = self.s.get("/log_level")
        self.assertEqual(status, 200)
        self.assertIn("Current log level is info", body.decode())
        status, _, body = self.s.post_form("/log_level", {"log_level": "debug"})
        self.assertEqual(status, 200)
        status, _, body = self.s.get("/log_level")
        self.assertIn("debug", body.decode())
        status, _, _ = self.s.post_form("/log_level", {"log_level": "loud"})
        self.assertEqual(status, 400)
        self.s.post_form("/log_level", {"log_level": "info"})

    def test_unknown_route_404(self):
        status, _, body = self.s.get("/no/such/route")
        self.assertEqual(status, 404)
        self.assertEqual(body, b"404 page not found\n")

    def test_wrong_method_405(self):
        status, _, _ = self.s.request("DELETE", "/ready")
        self.assertEqual(status, 405)


class ServerConfigTest(unittest.TestCase):
    def test_unknown_key_fails_naming_file_line_and_key(self):
        with Skald(config="server:\n  log_level: info\ningester:\n  chunk_taget_size: 5\n", start=False) as s:
            code, out = s.run_to_exit()
            self.assertNotEqual(code, 0)
            self.assertIn('config.yaml:4: unknown key "chunk_taget_size" in ingester', out)

    def test_expand_env(self):
        with Skald(config="limits_config:\n  max_query_series: ${SKALD_IT_SERIES:-77}\n",
                   args=["-config.expand-env=true"], env={"SKALD_IT_SERIES": "123"}) as s:
            _, _, body = s.get("/config")
            self.assertIn("max_query_series: 123", body.decode())
            s.stop()

    def test_flag_overrides_file(self):
        # The harness passes -server.http-listen-port after the file; the file's port must lose.
        with Skald(config="server:\n  http_listen_port: 1\n  log_level: warn\n") as s:
            _, _, body = s.get("/config")
            text = body.decode()
            self.assertIn("http_listen_port: %d" % s.port, text)
            self.assertIn("log_level: warn", text)
            s.stop()

    def test_sigterm_exits_zero(self):
        with Skald() as s:
            self.assertEqual(s.stop(), 0)
            self.assertIn("Skald stopped", s.output())


if __name__ == "__main__":
    unittest.main(verbosity=2)
