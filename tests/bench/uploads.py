#!/usr/bin/env python3
"""Upload benchmark client: one large upload through the API while sampling the server's memory.

  uploads.py PORT SERVER_PID API_KEY MEGABYTES

Declares a video upload of MEGABYTES MiB, PUTs it to the URL the server hands out (the server's own signed
URL on the local store, a presigned S3 URL otherwise), completes it, and downloads it back (local store).
Prints MB/s for each phase and the server's resident memory (VmRSS) before and at its peak during each
phase, sampled every 20 ms from /proc/PID/status.
"""
import http.client
import json
import os
import socket
import sys
import threading
import time
import urllib.parse

MiB = 1 << 20


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


class Sampler:
    """Tracks the highest VmRSS of pid while running."""

    def __init__(self, pid):
        self.pid, self.peak, self.stop = pid, 0, threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self):
        while not self.stop.is_set():
            self.peak = max(self.peak, rss_kib(self.pid))
            time.sleep(0.02)

    def __enter__(self):
        self.peak = rss_kib(self.pid)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()


def api(port, key, method, path, body=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    headers = {"Authorization": f"Bearer {key}"}
    if body is not None:
        headers["Content-Type"] = "application/json"
        body = json.dumps(body)
    conn.request(method, path, body=body, headers=headers)
    res = conn.getresponse()
    data = res.read()
    if res.status >= 300:
        raise RuntimeError(f"{method} {path}: {res.status} {data[:300]!r}")
    return json.loads(data) if data else None


def put(url, port, size, content_type):
    """Streams size bytes (an MP4 header, then a repeated random block) with a raw socket."""
    if url.startswith("/"):
        url = f"http://127.0.0.1:{port}{url}"
    parts = urllib.parse.urlsplit(url)
    target = parts.path + ("?" + parts.query if parts.query else "")
    sock = socket.create_connection((parts.hostname, parts.port or 80))
    sock.sendall(
        (f"PUT {target} HTTP/1.1\r\nHost: {parts.netloc}\r\nContent-Type: {content_type}\r\n"
         f"Content-Length: {size}\r\nConnection: close\r\n\r\n").encode())
    block = bytearray(os.urandom(4 * MiB))
    block[:16] = b"\x00\x00\x00\x10ftypmp42\x00\x00\x00\x00"
    first = bytes(block)
    block[:16] = os.urandom(16)
    rest = memoryview(bytes(block))
    sent = 0
    while sent < size:
        n = min(4 * MiB, size - sent)
        sock.sendall(first[:n] if sent == 0 else rest[:n])
        sent += n
    reply = b""
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            break
        reply += chunk
    sock.close()
    status = int(reply.split(b" ", 2)[1])
    if status != 200:
        raise RuntimeError(f"PUT: {reply[:300]!r}")


def download(port, key, path):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    conn.request("GET", path, headers={"Authorization": f"Bearer {key}"})
    res = conn.getresponse()
    total = 0
    while True:
        chunk = res.read(4 * MiB)
        if not chunk:
            break
        total += len(chunk)
    return res.status, total


def main():
    port, pid, key, megabytes = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
    size = megabytes * MiB
    baseline = min(rss_kib(pid) for _ in range(5))
    print(f"== {megabytes} MiB upload; server RSS before: {baseline / 1024:.1f} MiB")

    declared = api(port, key, "POST", "/api/v1/uploads",
                   {"filename": "bench.mp4", "content_type": "video/mp4", "size": size, "purpose": "video"})
    with Sampler(pid) as s:
        start = time.monotonic()
        put(declared["url"], port, size, "video/mp4")
        elapsed = time.monotonic() - start
    print(f"PUT ({'this server' if declared['url'].startswith('/') else 'presigned S3'}): "
          f"{size / MiB / elapsed:.0f} MB/s ({elapsed:.1f} s); peak RSS +{(s.peak - baseline) / 1024:.1f} MiB")

    with Sampler(pid) as s:
        start = time.monotonic()
        obj = api(port, key, "POST", f"/api/v1/uploads/{declared['upload_id']}/complete")
        elapsed = time.monotonic() - start
    print(f"complete (hash, sniff, store): {size / MiB / elapsed:.0f} MB/s ({elapsed:.1f} s); "
          f"peak RSS +{(s.peak - baseline) / 1024:.1f} MiB")

    with Sampler(pid) as s:
        start = time.monotonic()
        status, got = download(port, key, f"/api/v1/objects/{obj['id']}/content")
        elapsed = time.monotonic() - start
    if status == 200:
        if got != size:
            raise RuntimeError(f"downloaded {got} of {size} bytes")
        print(f"GET content: {size / MiB / elapsed:.0f} MB/s ({elapsed:.1f} s); "
              f"peak RSS +{(s.peak - baseline) / 1024:.1f} MiB")
    else:
        print(f"GET content: {status} (redirect to a presigned S3 URL)")
    api(port, key, "DELETE", f"/api/v1/objects/{obj['id']}")


if __name__ == "__main__":
    main()
