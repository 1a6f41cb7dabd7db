#!/usr/bin/env python3
"""Captures end to end (tests/bench/captures.sh): starts `tyto serve` on SQLite with the shipped models, posts
N captures of the photos in PHOTOS_DIR (front, side, portrait) at once as multipart, and times each from its
POST until GET /api/v1/capture/{id}/status says completed (or failed).

    captures_e2e.py BUILD_DIR PHOTOS_DIR N MODELS_FILE MODELS_DIR
"""
import concurrent.futures
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    build, photos, n, models_file, models_dir = sys.argv[1:6]
    n = int(n)
    data = tempfile.mkdtemp(prefix="tyto-bench-captures.")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = open(os.path.join(data, "server.log"), "w")
    server = subprocess.Popen([os.path.join(build, "tyto"), "serve", "--listen", f"127.0.0.1:{port}", "--data-dir", data,
                               "--log-level", "warn", "--modules-vision-models-file", models_file,
                               "--modules-vision-models-dir", models_dir, "--modules-vision-models-poll-ms", "0"],
                              stdout=log, stderr=log, env=dict(os.environ, OMP_THREAD_LIMIT="1"))
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(base + "/health")
                break
            except Exception:
                time.sleep(0.1)
        password = None
        for _ in range(100):
            m = re.search(r'"password":"([^"]+)"', open(os.path.join(data, "server.log")).read())
            if m:
                password = m.group(1)
                break
            time.sleep(0.1)

        def call(method, path, body=None, raw=None, content_type="application/json", token=None):
            payload = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
            req = urllib.request.Request(base + path, data=payload, method=method)
            if payload is not None:
                req.add_header("Content-Type", content_type)
            if token:
                req.add_header("Authorization", "Bearer " + token)
            with urllib.request.urlopen(req) as res:
                return json.loads(res.read())

        token = call("POST", "/api/v1/auth/login", {"email": "admin@localhost", "password": password})["access_token"]
        files = {v: open(os.path.join(photos, v + ".jpg"), "rb").read() for v in ("front", "side", "portrait")}
        boundary = "benchBoundary42"
        body = b""
        for view, data_bytes in files.items():
            body += (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{view}\"; filename=\"{view}.jpg\"\r\n"
                     "Content-Type: image/jpeg\r\n\r\n").encode() + data_bytes + b"\r\n"
        body += f"--{boundary}--\r\n".encode()

        def one(_):
            started = time.monotonic()
            c = call("POST", "/api/v1/capture", raw=body, content_type=f"multipart/form-data; boundary={boundary}",
                     token=token)
            while True:
                s = call("GET", f"/api/v1/capture/{c['capture_id']}/status", token=token)
                if s["status"] in ("completed", "failed"):
                    return time.monotonic() - started, s["status"], s.get("error")
                time.sleep(0.05)

        one(0)  # warm-up: the models load lazily
        started = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(max_workers=n) as pool:
            results = list(pool.map(one, range(n)))
        wall = time.monotonic() - started
        seconds = sorted(r[0] for r in results)
        done = sum(1 for r in results if r[1] == "completed")
        failed = [r[2] for r in results if r[1] != "completed"]
        print(f"captures end to end: {n} captures of 3 photos at 1280x960 posted at once: {done} completed, "
              f"p50 {statistics.median(seconds):.2f} s, p95 {seconds[int(len(seconds) * 0.95) - 1]:.2f} s, "
              f"{n / wall * 60:.1f} captures/minute ({wall:.1f} s for all)")
        if failed:
            print("failures:", failed[:3])
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
