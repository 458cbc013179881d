#!/usr/bin/env python3
"""A push endpoint that only acknowledges: reads each request body and
answers 204, without decompressing or decoding it. run_agent_bench.sh
(SINK=1) points skald-agent at it to measure the agent's own ceiling (what
the agent costs and how fast it can go when the server costs nothing); it
says nothing about ingestion. Prints requests and body bytes on exit.

Usage: ack_sink.py PORT
"""
import http.server
import signal
import sys

STATS = {"requests": 0, "bytes": 0}


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like a real server

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        remaining = n
        while remaining > 0:
            chunk = self.rfile.read(min(remaining, 1 << 20))
            if not chunk:
                break
            remaining -= len(chunk)
        STATS["requests"] += 1
        STATS["bytes"] += n
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", "5")
        self.end_headers()
        self.wfile.write(b"ready")

    def log_message(self, *args):
        pass


def main():
    port = int(sys.argv[1])
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)

    def stop(*_):
        print("sink_requests=%d sink_body_bytes=%d" % (STATS["requests"], STATS["bytes"]),
              flush=True)
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    srv.serve_forever()


if __name__ == "__main__":
    main()
