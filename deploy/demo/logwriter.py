#!/usr/bin/env python3
"""Demo log writer: fakes three Docker containers writing json-file logs.

Writes <dir>/containers/<id>/<id>-json.log plus config.v2.json exactly as
Docker's json-file driver lays them out, so skald-agent tails them the same
way it tails a real host. Lines are JSON (with trace_id), logfmt and nginx
access lines. Runs until interrupted (or --seconds); standard library only.
"""
import argparse
import datetime
import hashlib
import json
import os
import random
import time

APPS = {
    "api": ("skald-demo/api:1.4", "json"),
    "web": ("nginx:1.25", "nginx"),
    "worker": ("skald-demo/worker:2.0", "logfmt"),
}
MSGS = ["request completed", "token issued", "cache miss", "order created",
        "payment declined", "upstream timeout", "health check ok"]


def now_rfc3339():
    t = datetime.datetime.now(datetime.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond:06d}000Z"


def make_line(kind, rng):
    level = rng.choices(["info", "warn", "error", "debug"], [70, 15, 5, 10])[0]
    trace = "%032x" % rng.getrandbits(128)
    if kind == "json":
        return json.dumps({"time": now_rfc3339(), "level": level, "msg": rng.choice(MSGS),
                           "trace_id": trace, "duration_ms": round(rng.uniform(1, 900), 3),
                           "status": rng.choice([200, 200, 201, 404, 500])})
    if kind == "logfmt":
        return (f'ts={now_rfc3339()} level={level} msg="{rng.choice(MSGS)}" '
                f"job_id={rng.randint(1, 99999)} duration={rng.randint(1, 5000)}ms trace_id={trace}")
    ip = ".".join(str(rng.randint(1, 254)) for _ in range(4))
    path = rng.choice(["/", "/api/v1/orders", "/login", "/static/app.js"])
    status = rng.choice([200, 200, 200, 304, 404, 502])
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%d/%b/%Y:%H:%M:%S +0000")
    return f'{ip} - - [{stamp}] "GET {path} HTTP/1.1" {status} {rng.randint(100, 90000)} "-" "curl/8.0"'


def setup(root, app, image):
    cid = hashlib.sha256(app.encode()).hexdigest()
    d = os.path.join(root, "containers", cid)
    os.makedirs(d, exist_ok=True)
    cfg = {"ID": cid, "Name": "/demo-" + app + "-1",
           "Config": {"Image": image, "Labels": {"com.docker.compose.project": "demo",
                                                 "com.docker.compose.service": app}}}
    with open(os.path.join(d, "config.v2.json"), "w") as f:
        json.dump(cfg, f)
    return open(os.path.join(d, cid + "-json.log"), "a", buffering=1)


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--dir", default="./demo")
    ap.add_argument("--rate", type=float, default=20.0, help="lines per second in total")
    ap.add_argument("--seconds", type=float, default=0, help="stop after this long (0 = never)")
    args = ap.parse_args()
    rng = random.Random(42)
    files = {app: (setup(args.dir, app, image), kind) for app, (image, kind) in APPS.items()}
    deadline = time.time() + args.seconds if args.seconds else None
    try:
        while deadline is None or time.time() < deadline:
            app = rng.choice(list(files))
            f, kind = files[app]
            stream = "stderr" if kind != "nginx" and rng.random() < 0.1 else "stdout"
            f.write(json.dumps({"log": make_line(kind, rng) + "\n", "stream": stream,
                                "time": now_rfc3339()}) + "\n")
            time.sleep(1.0 / args.rate)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
