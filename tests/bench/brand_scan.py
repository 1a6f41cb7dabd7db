#!/usr/bin/env python3
"""A brand-protection scan of the whole demo marketplace, end to end (issue 10's scan benchmark).

    tests/bench/brand_scan.py BUILD_DIR [LISTINGS]

Starts build/tyto on SQLite in a scratch directory, creates the demo brand Northwind with its three
reference pictures (through the upload flow, hashed by jobs), scans the demo provider for LISTINGS
listings (1,000: the whole marketplace), and prints listings per second (from the scan's start to its
finish as the API reports them) and the server's resident memory: before the scan, its peak (VmHWM) and
after. Each listing is fetched (drawn), stored twice as evidence (picture and JSON), hashed, scored and
upserted.
"""
import hashlib
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from datetime import datetime


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def rss_kib(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def main():
    build = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build")
    listings = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
    data = tempfile.mkdtemp(prefix="tyto-bench-scan.")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = dict(os.environ, TYTO_PRODUCTS_BRAND_PROTECTION_LISTINGS_PER_SCAN=str(listings))
    log = open(os.path.join(data, "server.log"), "w")
    server = subprocess.Popen([os.path.join(build, "tyto"), "serve", "--listen", f"127.0.0.1:{port}",
                               "--data-dir", data, "--log-level", "warn"], stdout=log, stderr=log, env=env)
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/health")
                break
            except Exception:
                time.sleep(0.1)
        password = None
        for _ in range(50):
            m = re.search(r'"password":"([^"]+)"', open(os.path.join(data, "server.log")).read())
            if m:
                password = m.group(1)
                break
            time.sleep(0.1)

        def call(method, path, body=None, raw=None, content_type="application/json", token=None):
            payload = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
            req = urllib.request.Request(path if path.startswith("http") else base + path, data=payload, method=method)
            if payload is not None:
                req.add_header("Content-Type", content_type)
            if token:
                req.add_header("Authorization", "Bearer " + token)
            with urllib.request.urlopen(req) as res:
                text = res.read()
                return json.loads(text) if text and res.headers.get("content-type", "").startswith("application/json") else text

        token = call("POST", "/api/v1/auth/login", {"email": "admin@localhost", "password": password})["access_token"]
        brand = call("POST", "/api/v1/brands", {"name": "Northwind", "misspellings": ["Nortwind", "Northwlnd", "Nothwind"],
                                               "fraud_terms": ["replica", "AAA quality", "1:1 copy", "factory direct"],
                                               "keywords": ["outdoor gear"],
                                               "price_band": {"min": 90, "max": 260, "currency": "EUR"}}, token=token)
        images = []
        for r in range(3):
            picture = call("GET", f"/api/v1/brands/demo-marketplace/references/{r}.jpg")
            up = call("POST", "/api/v1/uploads", {"filename": f"{r}.jpg", "content_type": "image/jpeg", "size": len(picture),
                                                  "sha256": hashlib.sha256(picture).hexdigest(), "purpose": "reference"},
                      token=token)
            url = up["url"] if up["url"].startswith("http") else base + up["url"]
            call("PUT", url, raw=picture, content_type="image/jpeg")
            obj = call("POST", f"/api/v1/uploads/{up['upload_id']}/complete", token=token)
            images.append(call("POST", f"/api/v1/brands/{brand['id']}/images", {"object_id": obj["id"]}, token=token)["id"])
        while any(call("GET", f"/api/v1/brands/{brand['id']}/images/{i}", token=token)["state"] == "pending" for i in images):
            time.sleep(0.1)

        before = rss_kib(server.pid, "VmRSS")
        started = time.monotonic()
        scan = call("POST", f"/api/v1/brands/{brand['id']}/scans", {"provider": {"type": "demo"}}, token=token)
        while True:
            got = call("GET", f"/api/v1/brands/{brand['id']}/scans/{scan['scan_id']}", token=token)
            if got["state"] in ("succeeded", "failed"):
                break
            time.sleep(0.2)
        wall = time.monotonic() - started
        after = rss_kib(server.pid, "VmRSS")
        peak = rss_kib(server.pid, "VmHWM")
        t0 = datetime.fromisoformat(got["created_at"].replace("Z", "+00:00"))
        t1 = datetime.fromisoformat(got["finished_at"].replace("Z", "+00:00"))
        api_s = (t1 - t0).total_seconds()
        print(f"== brand scan: {got['state']}, {got['listings_done']} listings ({got['listings_failed']} failed, "
              f"{got['flagged']} flagged)")
        print(f"scan time {api_s:.1f} s (created to finished), {got['listings_done'] / api_s:.0f} listings/s; "
              f"client wall {wall:.1f} s")
        print(f"server RSS: {before / 1024:.0f} MiB before the scan, peak {peak / 1024:.0f} MiB, "
              f"{after / 1024:.0f} MiB after")
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
