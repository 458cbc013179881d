"""Reusable harness for integration tests: runs the real `skald` binary.

    from skald_harness import Skald
    with Skald(config="limits_config:\n  max_line_size: 1KB\n") as s:
        status, headers, body = s.get("/ready")
        s.post("/loki/api/v1/push", body=..., headers={"Content-Type": "application/json"})
        s.restart()          # SIGTERM, then start again on the same data dir
        s.kill9(); s.start() # crash, then start again

Each instance gets a free loopback port and a temporary data directory
(removed on close unless keep_data=True). Python 3 stdlib only.
Environment: SKALD_BIN (path to the binary; default ./build/server/skald).
"""

import http.client
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.parse

DEFAULT_START_TIMEOUT = 30.0


def free_port():
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def skald_bin():
    return os.environ.get("SKALD_BIN", os.path.join(os.getcwd(), "build", "server", "skald"))


class StartupError(Exception):
    """skald exited or never became ready; .output holds its stderr."""

    def __init__(self, message, output=""):
        super().__init__(message + "\n--- skald output ---\n" + output)
        self.output = output


class Skald:
    def __init__(self, config=None, args=None, env=None, data_dir=None, keep_data=False,
                 start=True, timeout=DEFAULT_START_TIMEOUT):
        """config: YAML text written to <tmp>/config.yaml and passed with
        -config.file (None: no config file). args: extra command-line flags.
        env: extra environment variables. data_dir: reuse a directory."""
        self.tmp = tempfile.mkdtemp(prefix="skald-it-")
        self.data_dir = data_dir or os.path.join(self.tmp, "data")
        self.keep_data = keep_data
        self.port = free_port()
        self.config = config
        self.args = list(args or [])
        self.env = dict(os.environ)
        self.env.update(env or {})
        self.proc = None
        self.log_path = os.path.join(self.tmp, "skald.log")
        self.timeout = timeout
        if start:
            self.start()

    # ---- lifecycle -------------------------------------------------------

    def command(self):
        cmd = [skald_bin(),
               "-server.http-listen-address=127.0.0.1",
               "-server.http-listen-port=%d" % self.port,
               "-common.path-prefix=%s" % self.data_dir]
        if self.config is not None:
            path = os.path.join(self.tmp, "config.yaml")
            with open(path, "w") as f:
                f.write(self.config)
            cmd.append("-config.file=%s" % path)
        return cmd + self.args

    def start(self, wait_ready=True):
        """Starts skald; waits for /ready 200 unless wait_ready=False."""
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(self.command(), stdout=self._log, stderr=subprocess.STDOUT, env=self.env)
        if wait_ready:
            self.wait_ready()
        return self

    def wait_ready(self, timeout=None):
        deadline = time.time() + (timeout or self.timeout)
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise StartupError("skald exited with %d before ready" % self.proc.returncode, self.output())
            try:
                status, _, _ = self.get("/ready", timeout=2)
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.05)
        raise StartupError("skald not ready after %.0fs" % (timeout or self.timeout), self.output())

    def stop(self, timeout=60):
        """SIGTERM and wait; asserts a clean exit (code 0). Returns the code."""
        if self.proc is None:
            return None
        self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError("skald did not exit within %ss after SIGTERM\n%s" % (timeout, self.output()))
        self.proc = None
        self._log.close()
        assert code == 0, "skald exited with %d after SIGTERM\n%s" % (code, self.output())
        return code

    def kill9(self):
        """Simulates a crash: SIGKILL, no cleanup."""
        if self.proc is None:
            return
        self.proc.kill()
        self.proc.wait()
        self.proc = None
        self._log.close()

    def restart(self):
        """Graceful stop, then start on the same port and data dir."""
        self.stop()
        return self.start()

    def run_to_exit(self, timeout=30):
        """Starts skald expecting it to exit by itself (e.g. a bad config);
        returns (exit code, output)."""
        with open(self.log_path, "ab") as log:
            proc = subprocess.run(self.command(), stdout=log, stderr=subprocess.STDOUT, env=self.env,
                                  timeout=timeout)
        return proc.returncode, self.output()

    def output(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def close(self):
        if self.proc is not None:
            self.kill9()
        if not self.keep_data:
            shutil.rmtree(self.tmp, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None:
            print(self.output())
        self.close()

    # ---- HTTP ------------------------------------------------------------

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    def request(self, method, path, body=None, headers=None, params=None, timeout=30):
        """Returns (status, headers as a dict with lower-case names, body bytes)."""
        if params:
            path = path + ("&" if "?" in path else "?") + urllib.parse.urlencode(params)
        if isinstance(body, str):
            body = body.encode("utf-8")
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            resp = conn.getresponse()
            data = resp.read()
            hdrs = {k.lower(): v for k, v in resp.getheaders()}
            return resp.status, hdrs, data
        finally:
            conn.close()

    def get(self, path, params=None, headers=None, timeout=30):
        return self.request("GET", path, headers=headers, params=params, timeout=timeout)

    def post(self, path, body=None, headers=None, params=None, timeout=30):
        return self.request("POST", path, body=body, headers=headers, params=params, timeout=timeout)

    def post_form(self, path, form, headers=None, timeout=30):
        hdrs = {"Content-Type": "application/x-www-form-urlencoded"}
        hdrs.update(headers or {})
        return self.request("POST", path, body=urllib.parse.urlencode(form), headers=hdrs, timeout=timeout)
