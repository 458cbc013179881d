"""Live tail over WebSocket: /loki/api/v1/tail and the legacy /api/prom/tail.

A minimal RFC 6455 client over a raw socket (stdlib only): handshake with
Sec-WebSocket-Key, read the server's unmasked frames, answer pings, send a
masked close frame.
"""

import base64
import hashlib
import json
import os
import socket
import struct
import sys
import time
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from push_helpers import JSON, json_body, now_ns  # noqa: E402
from skald_harness import Skald  # noqa: E402

WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
OP_TEXT, OP_CLOSE, OP_PING, OP_PONG = 0x1, 0x8, 0x9, 0xA


class HandshakeRejected(Exception):
    def __init__(self, status, body):
        super().__init__("handshake rejected: %d %r" % (status, body))
        self.status = status
        self.body = body


class WebSocket:
    def __init__(self, port, path, params, headers=None, timeout=10):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buf = b""
        key = base64.b64encode(os.urandom(16)).decode()
        target = path + "?" + urllib.parse.urlencode(params)
        lines = ["GET %s HTTP/1.1" % target, "Host: 127.0.0.1:%d" % port, "Upgrade: websocket",
                 "Connection: Upgrade", "Sec-WebSocket-Key: " + key, "Sec-WebSocket-Version: 13"]
        for k, v in (headers or {}).items():
            lines.append("%s: %s" % (k, v))
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        while b"\r\n\r\n" not in self.buf:
            self._fill()
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        head_lines = head.decode("latin-1").split("\r\n")
        status = int(head_lines[0].split(" ")[1])
        hdrs = {}
        for line in head_lines[1:]:
            k, _, v = line.partition(":")
            hdrs[k.strip().lower()] = v.strip()
        if status != 101:
            length = int(hdrs.get("content-length", "0"))
            while len(self.buf) < length:
                self._fill()
            self.sock.close()
            raise HandshakeRejected(status, self.buf[:length])
        want = base64.b64encode(hashlib.sha1((key + WS_GUID).encode()).digest()).decode()
        if hdrs.get("sec-websocket-accept") != want:
            raise AssertionError("bad Sec-WebSocket-Accept: %r" % hdrs)

    def _fill(self):
        data = self.sock.recv(65536)
        if not data:
            raise ConnectionError("connection closed")
        self.buf += data

    def _need(self, n):
        while len(self.buf) < n:
            self._fill()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def _send(self, opcode, payload):
        mask = os.urandom(4)
        header = bytes([0x80 | opcode])
        n = len(payload)
        if n < 126:
            header += bytes([0x80 | n])
        elif n < 65536:
            header += bytes([0x80 | 126]) + struct.pack("!H", n)
        else:
            header += bytes([0x80 | 127]) + struct.pack("!Q", n)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(header + mask + masked)

    def read_frame(self):
        """(opcode, payload) of the next complete message; server frames are unmasked."""
        b0, b1 = self._need(2)
        if b1 & 0x80:
            raise AssertionError("server frame is masked")
        n = b1 & 0x7F
        if n == 126:
            n = struct.unpack("!H", self._need(2))[0]
        elif n == 127:
            n = struct.unpack("!Q", self._need(8))[0]
        payload = self._need(n)
        opcode = b0 & 0x0F
        while not b0 & 0x80:  # continuation frames
            b0, b1 = self._need(2)
            n = b1 & 0x7F
            if n == 126:
                n = struct.unpack("!H", self._need(2))[0]
            elif n == 127:
                n = struct.unpack("!Q", self._need(8))[0]
            payload += self._need(n)
        return opcode, payload

    def read_message(self, deadline):
        """The next text message as JSON before `deadline` (time.monotonic), or None.
        Pings are answered; a close frame raises."""
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self.sock.settimeout(left)
            try:
                opcode, payload = self.read_frame()
            except socket.timeout:
                return None
            if opcode == OP_TEXT:
                return json.loads(payload)
            if opcode == OP_PING:
                self._send(OP_PONG, payload)
            elif opcode == OP_CLOSE:
                code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None
                raise ConnectionAbortedError((code, payload[2:].decode("utf-8", "replace")))

    def read_close(self, timeout):
        """(code, reason) of the server's close frame."""
        deadline = time.monotonic() + timeout
        try:
            while self.read_message(deadline) is not None:
                pass
        except ConnectionAbortedError as e:
            return e.args[0]
        return None

    def close(self):
        try:
            self._send(OP_CLOSE, struct.pack("!H", 1000))
        except OSError:
            pass
        self.sock.close()


def v1_entries(msg):
    """[(labels dict, ts int, line)] of a v1 tail message, in message order."""
    out = []
    for s in msg["streams"]:
        for v in s["values"]:
            out.append((s["stream"], int(v[0]), v[1]))
    return out


def collect(ws, want, timeout):
    """Reads messages until `want` entries arrived or the timeout passes."""
    got = []
    deadline = time.monotonic() + timeout
    while len(got) < want:
        msg = ws.read_message(deadline)
        if msg is None:
            break
        assert "streams" in msg, msg
        got.extend(v1_entries(msg))
    return got


class TailTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # Auth on, so every test has its own tenant and the per-tenant tail
        # limit of one test is not affected by sessions of another.
        cls.s = Skald(config="auth_enabled: true\nlimits_config:\n  max_concurrent_tail_requests: 2\n")

    @classmethod
    def tearDownClass(cls):
        cls.s.stop()
        cls.s.close()

    def tenant(self):
        return self.id().rsplit(".", 1)[-1]

    def push(self, labels, entries):
        headers = dict(JSON)
        headers["X-Scope-OrgID"] = self.tenant()
        status, _, body = self.s.post("/loki/api/v1/push", body=json_body([(labels, entries)]), headers=headers)
        self.assertEqual(status, 204, body)

    def tail(self, params, path="/loki/api/v1/tail", headers=None):
        h = {"X-Scope-OrgID": self.tenant()}
        h.update(headers or {})
        return WebSocket(self.s.port, path, params, headers=h)

    def test_replay_then_live_entries_in_order(self):
        base = now_ns() - 5_000_000_000
        self.push({"app": "replay", "env": "a"}, [(base + i, "old %d" % i) for i in range(3)])
        ws = self.tail({"query": '{app="replay"}', "limit": "2"})
        try:
            replay = collect(ws, 2, 5)
            self.assertEqual([e[2] for e in replay], ["old 1", "old 2"])
            self.assertEqual(replay[0][0], {"app": "replay", "env": "a"})
            t = now_ns()
            live = [(t + i, "new %d" % i) for i in range(5)]
            pushed_at = time.monotonic()
            self.push({"app": "replay", "env": "a"}, live)
            got = collect(ws, 5, 2.0)
            self.assertLess(time.monotonic() - pushed_at, 2.0)
            self.assertEqual([(e[1], e[2]) for e in got], live)
            self.assertTrue(all(e[0] == {"app": "replay", "env": "a"} for e in got))
            # Nothing is sent twice.
            self.assertIsNone(ws.read_message(time.monotonic() + 0.8))
        finally:
            ws.close()

    def test_only_matching_streams_and_filters(self):
        ws = self.tail({"query": '{app="filt"} |= "keep"'})
        try:
            self.assertIsNone(ws.read_message(time.monotonic() + 0.5))  # empty replay: no message
            t = now_ns()
            self.push({"app": "other"}, [(t, "keep other app")])
            self.push({"app": "filt"}, [(t + 1, "drop me"), (t + 2, "keep me")])
            got = collect(ws, 1, 2.0)
            self.assertEqual([(e[0], e[2]) for e in got], [({"app": "filt"}, "keep me")])
        finally:
            ws.close()

    def test_categorize_labels_adds_flags_and_third_element(self):
        ws = self.tail({"query": '{app="cat"} | logfmt'},
                       headers={"X-Loki-Response-Encoding-Flags": "categorize-labels"})
        try:
            t = now_ns()
            self.push({"app": "cat"}, [(t, "level=warn msg=hi", {"trace": "abc"})])
            msg = ws.read_message(time.monotonic() + 2.0)
            self.assertIsNotNone(msg)
            self.assertEqual(msg["encodingFlags"], ["categorize-labels"])
            self.assertEqual(msg["streams"][0]["stream"], {"app": "cat"})
            value = msg["streams"][0]["values"][0]
            self.assertEqual(value[:2], [str(t), "level=warn msg=hi"])
            self.assertEqual(value[2], {"structuredMetadata": {"trace": "abc"},
                                        "parsed": {"level": "warn", "msg": "hi"}})
        finally:
            ws.close()

    def test_legacy_tail_shape(self):
        ws = self.tail({"query": '{app="legacy"}'}, path="/api/prom/tail")
        try:
            self.push({"app": "legacy"}, [(now_ns(), "legacy line")])
            msg = ws.read_message(time.monotonic() + 2.0)
            self.assertIsNotNone(msg)
            stream = msg["streams"][0]
            self.assertEqual(stream["labels"], '{app="legacy"}')
            self.assertEqual(stream["entries"][0]["line"], "legacy line")
            self.assertRegex(stream["entries"][0]["ts"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
        finally:
            ws.close()

    def test_bad_query_is_400_before_upgrade(self):
        with self.assertRaises(HandshakeRejected) as cm:
            self.tail({"query": '{app="x"'})
        self.assertEqual(cm.exception.status, 400)
        self.assertTrue(cm.exception.body.startswith(b"parse error"), cm.exception.body)

    def test_delay_for_over_5_is_400(self):
        with self.assertRaises(HandshakeRejected) as cm:
            self.tail({"query": '{app="x"}', "delay_for": "6"})
        self.assertEqual(cm.exception.status, 400)
        self.assertEqual(cm.exception.body, b"delay_for can't be greater than 5\n")

    def test_concurrent_tail_limit_closes_with_1011(self):
        a = self.tail({"query": '{app="lim"}'})
        b = self.tail({"query": '{app="lim"}'})
        c = self.tail({"query": '{app="lim"}'})
        try:
            code, reason = c.read_close(5)
            self.assertEqual(code, 1011)
            self.assertEqual(reason, "max concurrent tail requests limit exceeded, count > limit (3 > 2)")
        finally:
            for ws in (a, b, c):
                ws.close()


if __name__ == "__main__":
    unittest.main()
