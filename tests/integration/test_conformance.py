#!/usr/bin/env python3
"""Runs the shared LogQL conformance corpus (../shared/conformance) against a
fresh `skald`: pushes the dataset with run.py's own push code, then checks
every case against the answers real Loki gave.

The dataset's timestamps are fixed in the past, so the server runs with
reject_old_samples: false and ingestion limits that never bind (as the corpus
was recorded). Extra arguments go to run.py (e.g. --filter 'parser_*').
Exit status: run.py's (0 only when every selected case passes).
"""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from skald_harness import Skald  # noqa: E402

CONFIG = """
limits_config:
  reject_old_samples: false
  ingestion_rate_mb: 1024
  ingestion_burst_size_mb: 1024
  per_stream_rate_limit: 512MB
  per_stream_rate_limit_burst: 1024MB
"""


def main():
    shared = os.environ.get("SKALD_SHARED_DIR") or os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared")
    corpus = os.path.join(shared, "conformance")
    runner = os.path.join(corpus, "run.py")
    if not os.path.exists(runner):
        print(f"conformance corpus not found at {corpus}", file=sys.stderr)
        return 2
    with Skald(config=CONFIG) as s:
        cmd = [sys.executable, runner, "--url", s.url, "--push", "--dir", corpus] + sys.argv[1:]
        rc = subprocess.call(cmd)
        if rc != 0:
            print(s.output()[-4000:], file=sys.stderr)
        return rc


if __name__ == "__main__":
    sys.exit(main())
