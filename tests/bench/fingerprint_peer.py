#!/usr/bin/python3
"""The peer of tyto_bench_fingerprint: a straightforward Python implementation of the same things.
  fingerprint_peer.py hashes ROUNDS FILE...   aHash, dHash, pHash (imagehash's formulas, PIL + numpy)
  fingerprint_peer.py search                  radius 8 and 10-nearest over 1,000,000 random hashes (numpy scan)
"""
import sys
import time

import numpy
from PIL import Image

DCT = 2.0 * numpy.cos(numpy.pi * numpy.arange(32).reshape(-1, 1) * (2 * numpy.arange(32) + 1) / 64.0)


def hashes(path):
    image = Image.open(path)
    grey = image.convert("L")
    a = numpy.asarray(grey.resize((8, 8), Image.LANCZOS))
    ahash = numpy.packbits(a > a.mean())
    d = numpy.asarray(grey.resize((9, 8), Image.LANCZOS))
    dhash = numpy.packbits(d[:, 1:] > d[:, :-1])
    p = numpy.asarray(grey.resize((32, 32), Image.LANCZOS)).astype(numpy.float64)
    low = (DCT @ p @ DCT.T)[:8, :8]
    phash = numpy.packbits(low > numpy.median(low))
    return ahash, dhash, phash


def bench_hashes(rounds, files):
    t = time.perf_counter()
    for _ in range(rounds):
        for f in files:
            hashes(f)
    n = rounds * len(files)
    print(f"python peer (PIL {Image.__version__} + numpy {numpy.__version__}), aHash+dHash+pHash: "
          f"{n / (time.perf_counter() - t):.0f} images/s")


POPCOUNT = numpy.array([bin(i).count("1") for i in range(256)], dtype=numpy.uint8)


def distances(stored, q):
    return POPCOUNT[(stored ^ numpy.uint64(q)).view(numpy.uint8)].reshape(-1, 8).sum(axis=1)


def bench_search():
    rng = numpy.random.default_rng(1)
    stored = rng.integers(0, 2**63, size=1_000_000, dtype=numpy.uint64) * numpy.uint64(2) + rng.integers(
        0, 2, size=1_000_000, dtype=numpy.uint64)
    queries = rng.integers(0, 2**63, size=50, dtype=numpy.uint64)
    times = {"radius 8": [], "10-nearest": []}
    for q in queries:
        t = time.perf_counter()
        numpy.nonzero(distances(stored, q) <= 8)
        times["radius 8"].append((time.perf_counter() - t) * 1e3)
        t = time.perf_counter()
        d = distances(stored, q)
        idx = numpy.argpartition(d, 10)[:10]
        idx[numpy.argsort(d[idx])]
        times["10-nearest"].append((time.perf_counter() - t) * 1e3)
    for name, v in times.items():
        v.sort()
        print(f"python peer (numpy popcount scan), {name}: p50 {v[len(v) // 2]:.1f} ms, p99 {v[int(0.99 * (len(v) - 1))]:.1f} ms")


if __name__ == "__main__":
    if sys.argv[1] == "hashes":
        bench_hashes(int(sys.argv[2]), sys.argv[3:])
    else:
        bench_search()
