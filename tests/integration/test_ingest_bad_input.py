"""Hostile push bodies get a 4xx, the server stays up, and data pushed
before them is untouched."""

import gzip
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from skald_harness import Skald  # noqa: E402
from push_helpers import JSON, PROTO, encode_push_proto, json_body, now_ns, proto_body, snappy_compress, stats  # noqa: E402


class BadInput(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = Skald()
        t = now_ns()
        body = proto_body([('{job="keep"}', [(t + i, "keep %d" % i) for i in range(20)])])
        assert cls.s.post("/loki/api/v1/push", body=body, headers=PROTO)[0] == 204

    @classmethod
    def tearDownClass(cls):
        cls.s.close()

    def assert_4xx_and_alive(self, body, headers):
        status, _, resp = self.s.post("/loki/api/v1/push", body=body, headers=headers, timeout=120)
        self.assertGreaterEqual(status, 400, resp[:200])
        self.assertLess(status, 500, resp[:200])
        self.assertEqual(self.s.get("/ready")[0], 200)
        self.assertEqual(stats(self.s, '{job="keep"}')["entries"], 20)
        return status, resp

    def test_malformed_protobuf(self):
        self.assert_4xx_and_alive(snappy_compress(b"\x0a\xff\xff\xff\xff\x0f garbage"), PROTO)

    def test_bad_snappy(self):
        self.assert_4xx_and_alive(b"\xff\xff\xff\xff\x7fnot snappy at all", PROTO)

    def test_truncated_gzip(self):
        body = gzip.compress(json_body([({"job": "gz"}, [(now_ns(), "x")])]))[:-10]
        self.assert_4xx_and_alive(body, {"Content-Type": "application/json", "Content-Encoding": "gzip"})

    def test_invalid_json(self):
        self.assert_4xx_and_alive(b'{"streams": [{"stream": {"a": "b"}, "values": [["1", ', JSON)

    def test_unsupported_content_encoding(self):
        status, resp = self.assert_4xx_and_alive(b"{}", {"Content-Type": "application/json", "Content-Encoding": "br"})
        self.assertEqual(resp, b'Content-Encoding "br" not supported\n')

    def test_invalid_utf8_in_labels(self):
        body = proto_body([(b'{job="\xff\xfe"}'.decode("utf-8", "surrogateescape"), [(now_ns(), "x")])])
        self.assert_4xx_and_alive(body, PROTO)

    def test_one_megabyte_label_value(self):
        body = json_body([({"job": "v" * (1 << 20)}, [(now_ns(), "x")])])
        status, resp = self.assert_4xx_and_alive(body, JSON)
        self.assertEqual(status, 400)
        self.assertIn(b"has label value too long", resp)

    def test_a_million_streams_in_one_request(self):
        t = now_ns()
        streams = [('{s="%d"}' % i, [(t, "x")]) for i in range(1_000_000)]
        body = snappy_compress(encode_push_proto(streams))
        status, resp = self.assert_4xx_and_alive(body, PROTO)
        self.assertEqual(status, 429)
        self.assertIn(b"maximum active stream limit exceeded", resp)


if __name__ == "__main__":
    unittest.main()
