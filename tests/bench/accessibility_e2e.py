#!/usr/bin/env python3
"""The accessibility auditor end to end through the API: a real `tyto serve` (SQLite, a warm browser pool of 2),
POST /api/v1/scans of the one-screen page of tests/bench/accessibility.sh (served on loopback), until the scan
has succeeded. Everything a user waits for is in it: render, axe-core, Tyto's four pixel checks (contrast from
pixels, text in images, visible focus, reflow's second render at 320 px), evidence crops and the rows.

  tests/bench/accessibility_e2e.py BUILD_DIR [ROUNDS]

Prints the median and p90 of the job's own time (started_at → finished_at, as the server records it) and of
the time the client waited (POST → succeeded seen by polling every 10 ms), then the throughput of 16 scans
submitted at once with two browsers.
"""
import http.server
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from datetime import datetime

KEY = "tyto_benchkeyaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaq"
PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>One screen</title>
<style>body{font:16px/1.5 sans-serif;margin:2rem;max-width:60rem} nav a{margin-right:1rem}
.hero{background:linear-gradient(#234,#456);color:#fff;padding:2rem} .cards{display:flex;gap:1rem}
.card{border:1px solid #ccc;padding:1rem;flex:1}</style></head>
<body><nav><a href="#">Home</a><a href="#">Products</a><a href="#">About</a><a href="#">Contact</a></nav>
<header class="hero"><h1>A one-screen page</h1><p>With a gradient, some cards and a form.</p></header>
<main><div class="cards"><div class="card"><h2>First</h2><p>Lorem ipsum dolor sit amet.</p></div>
<div class="card"><h2>Second</h2><p>Consectetur adipiscing elit.</p><img src="logo.svg" alt="Logo"></div>
<div class="card"><h2>Third</h2><p>Sed do eiusmod tempor.</p></div></div>
<form><label>Email <input type="email" name="email"></label><button>Subscribe</button></form></main>
</body></html>"""
LOGO = '<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><circle cx="32" cy="32" r="30" fill="#c33"/></svg>'


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def call(port, method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method=method,
                                 headers={"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as r:
        return json.loads(r.read() or b"null")


def seconds(rfc3339):
    return datetime.fromisoformat(rfc3339.replace("Z", "+00:00")).timestamp()


def cpu_times():
    """The machine's CPU time so far from /proc/stat: (all, steal), in clock ticks."""
    with open("/proc/stat") as f:
        fields = [int(v) for v in f.readline().split()[1:]]
    return sum(fields[:8]), fields[7]


def steal_since(before):
    """The share of the CPU time since `before` that the hypervisor gave to other guests (steal), in percent:
    on a shared VM the figures of a run with much of it are not comparable with another's."""
    total, steal = cpu_times()
    return 100.0 * (steal - before[1]) / max(1, total - before[0])


def scan(port, page_url):
    start = time.monotonic()
    started = call(port, "POST", "/api/v1/scans", {"url": page_url})
    while True:
        s = call(port, "GET", f"/api/v1/scans/{started['scan_id']}")
        if s["status"] in ("succeeded", "failed"):
            break
        time.sleep(0.01)
    waited = time.monotonic() - start
    if s["status"] != "succeeded":
        raise SystemExit(f"scan failed: {s.get('error')}")
    job = call(port, "GET", f"/api/v1/jobs/{started['job_id']}")
    while not job.get("finished_at"):  # the scan's row is final a moment before its job's
        time.sleep(0.01)
        job = call(port, "GET", f"/api/v1/jobs/{started['job_id']}")
    return waited, seconds(job["finished_at"]) - seconds(job["started_at"]), s


def main():
    build = os.path.realpath(sys.argv[1] if len(sys.argv) > 1 else "build")
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 15
    site = tempfile.mkdtemp()
    with open(os.path.join(site, "index.html"), "w") as f:
        f.write(PAGE)
    with open(os.path.join(site, "logo.svg"), "w") as f:
        f.write(LOGO)
    handler = lambda *a: http.server.SimpleHTTPRequestHandler(*a, directory=site)  # noqa: E731
    http.server.SimpleHTTPRequestHandler.log_message = lambda *a: None
    web = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=web.serve_forever, daemon=True).start()
    page_url = f"http://127.0.0.1:{web.server_address[1]}/"

    port = free_port()
    data = tempfile.mkdtemp()
    env = dict(os.environ, TYTO_AUTH_BOOTSTRAP_API_KEY=KEY, TYTO_OUTBOUND_ALLOW="127.0.0.1/32",
               TYTO_LIMITS_TENANT_RPS="10000", TYTO_LIMITS_TENANT_BURST="10000", TYTO_LIMITS_KEY_RPS="10000",
               TYTO_LIMITS_KEY_BURST="10000", TYTO_PRODUCTS_ACCESSIBILITY_SCANS_PER_DAY="100000",
               OMP_THREAD_LIMIT="1")
    server = subprocess.Popen([f"{build}/tyto", "serve", "--listen", f"127.0.0.1:{port}", "--data-dir", data],
                              env=env, stdout=subprocess.DEVNULL, stderr=open(os.path.join(data, "server.log"), "w"))
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/ready", timeout=1)
                break
            except Exception:
                time.sleep(0.05)
        print(f"== accessibility end to end through the API, load before: {open('/proc/loadavg').read()[:14]}")
        for _ in range(3):  # warm: the browser pool, the OCR engines
            scan(port, page_url)
        waited, ran = [], []
        last = None
        sequential_cpu = cpu_times()
        for _ in range(rounds):
            w, r, last = scan(port, page_url)
            waited.append(w * 1000)
            ran.append(r * 1000)

        def p90(v):
            return sorted(v)[int(0.9 * (len(v) - 1))]

        print(f"one scan at a time: job median {statistics.median(ran):7.1f} ms  p90 {p90(ran):7.1f} ms;"
              f" client waited median {statistics.median(waited):7.1f} ms  p90 {p90(waited):7.1f} ms"
              f"  ({rounds} scans, {last['summary'].get('issues', last.get('issue_count'))} issues,"
              f" checks {json.dumps(last['summary'].get('checks', {}))}; timings {json.dumps(last['summary'].get('timings', {}))};"
              f" axe reruns {last['summary'].get('axe', {}).get('reruns')}; cpu steal {steal_since(sequential_cpu):.0f} %)")
        batch = 16
        batch_cpu = cpu_times()
        start = time.monotonic()
        ids = [call(port, "POST", "/api/v1/scans", {"url": page_url})["scan_id"] for _ in range(batch)]
        # Waited for in the order submitted (the queue runs them so), one request per 20 ms: polling every
        # pending scan each round took a tenth of the machine's CPU from the scans it measured.
        for i in ids:
            while call(port, "GET", f"/api/v1/scans/{i}")["status"] not in ("succeeded", "failed"):
                time.sleep(0.02)
        elapsed = time.monotonic() - start
        print(f"throughput: {batch} scans submitted at once: {batch / elapsed * 60:6.1f} scans/min"
              f" ({elapsed:.1f} s, modules.browser.pool_size 2, cpu steal {steal_since(batch_cpu):.0f} %)")
        print(f"== load after: {open('/proc/loadavg').read()[:14]}")
    finally:
        server.terminate()
        server.wait(timeout=30)
        warnings = [line for line in open(os.path.join(data, "server.log")) if '"level":"warn' in line]
        for line in warnings[:3]:
            print("server warning:", line.strip()[:300])
        web.shutdown()


if __name__ == "__main__":
    main()
