#!/usr/bin/python3
"""The peer of tyto_bench_music_webhooks: the same signed payloads verified with Python's hmac module (the way
Stripe's Python library does: HMAC-SHA256 of "{t}.{body}", hmac.compare_digest), then with json.loads as well.
  music_webhooks_peer.py FILE [SECONDS]   (FILE: written by tyto_bench_music_webhooks --write)
"""
import hashlib
import hmac
import json
import sys
import time


def verify(header, body, secret, now, tolerance=300):
    items = [item.split("=", 1) for item in header.split(",")]
    t = [v for k, v in items if k.strip() == "t"]
    v1 = [v for k, v in items if k.strip() == "v1"]
    if len(t) != 1 or not v1:
        return False
    expected = hmac.new(secret, f"{t[0]}.".encode() + body, hashlib.sha256).hexdigest()
    if not any(hmac.compare_digest(expected, s) for s in v1):
        return False
    return abs(now - int(t[0])) <= tolerance


def measure(name, seconds, payloads, secret, now, parse):
    n = 0
    start = time.perf_counter()
    while n % 64 != 0 or time.perf_counter() - start < seconds:
        header, body = payloads[n % len(payloads)]
        assert verify(header, body, secret, now)
        if parse:
            assert json.loads(body)["data"]["object"]["status"]
        n += 1
    total = time.perf_counter() - start
    print(f"{name:<58}  1 thread  {n / total:>10.0f} events/s  {total * 1e6 / n:>6.2f} µs each")


def main():
    path = sys.argv[1]
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 3.0
    with open(path, encoding="utf-8") as f:
        head = json.loads(f.readline())
        payloads = [(p["header"], p["body"].encode()) for p in map(json.loads, f)]
    secret = head["secret"].encode()
    version = sys.version.split()[0]
    measure(f"python {version} hmac", seconds, payloads, secret, head["now"], False)
    measure(f"python {version} hmac + json.loads", seconds, payloads, secret, head["now"], True)


main()
