#!/usr/bin/python3
"""The test-side reference for Tyto's image hashes: imagehash's average_hash, dhash and phash
(hash_size 8) and PDQ, written with PIL and numpy only (imagehash and scipy cannot be installed
here; the DCT is a matrix product, which changes no bit since only comparisons with a median matter).

Usage: reference_hashes.py FILE...   prints one JSON object {path: {ahash, dhash, phash, pdq, pdq_quality}}.
"""
import json
import math
import sys

import numpy
from PIL import Image


def to_hex(bits):
    """imagehash's hex: the flattened booleans as one binary number, first bit most significant."""
    value = 0
    for b in bits.flatten():
        value = (value << 1) | int(b)
    return "{:0{}x}".format(value, len(bits.flatten()) // 4)


def dct_matrix(n, rows):
    k = numpy.arange(rows).reshape(-1, 1)
    i = numpy.arange(n).reshape(1, -1)
    return 2.0 * numpy.cos(numpy.pi * k * (2 * i + 1) / (2.0 * n))  # scipy.fftpack.dct type II


def average_hash(image):
    pixels = numpy.asarray(image.convert("L").resize((8, 8), Image.LANCZOS))
    return to_hex(pixels > pixels.mean())


def dhash(image):
    pixels = numpy.asarray(image.convert("L").resize((9, 8), Image.LANCZOS))
    return to_hex(pixels[:, 1:] > pixels[:, :-1])


def phash(image):
    pixels = numpy.asarray(image.convert("L").resize((32, 32), Image.LANCZOS)).astype(numpy.float64)
    d = dct_matrix(32, 32)
    dct = d @ pixels @ d.T  # dct(dct(pixels, axis=0), axis=1)
    low = dct[:8, :8]
    return to_hex(low > numpy.median(low))


def box(a, window, axis):
    """PDQ's box filter along an axis: the mean of the window around each value, shrunk at the ends."""
    n = a.shape[axis]
    before = (window + 2) // 2 - 1
    after = window - before - 1
    i = numpy.arange(n)
    lo, hi = numpy.maximum(0, i - before), numpy.minimum(n, i + after + 1)
    csum = numpy.concatenate([numpy.zeros_like(numpy.take(a, [0], axis=axis)), numpy.cumsum(a, axis=axis)], axis=axis)
    shape = [1] * a.ndim
    shape[axis] = n
    return (numpy.take(csum, hi, axis=axis) - numpy.take(csum, lo, axis=axis)) / (hi - lo).reshape(shape)


def pdq(image):
    rgb = numpy.asarray(image.convert("RGB")).astype(numpy.float32)
    luma = 0.299 * rgb[:, :, 0] + 0.587 * rgb[:, :, 1] + 0.114 * rgb[:, :, 2]
    h, w = luma.shape
    wr, wc = (w + 127) // 128, (h + 127) // 128
    a = luma.astype(numpy.float64)
    for _ in range(2):
        a = box(a, wr, 1)
        a = box(a, wc, 0)
    rows = [min(h - 1, int((i + 0.5) * h / 64)) for i in range(64)]
    cols = [min(w - 1, int((j + 0.5) * w / 64)) for j in range(64)]
    grid = a[numpy.ix_(rows, cols)]
    gradient = numpy.trunc((grid[:-1, :] - grid[1:, :]) * 100 / 255).astype(int)
    gradient2 = numpy.trunc((grid[:, :-1] - grid[:, 1:]) * 100 / 255).astype(int)
    quality = min(100, int((numpy.abs(gradient).sum() + numpy.abs(gradient2).sum()) // 90))
    i = numpy.arange(16).reshape(-1, 1)
    j = numpy.arange(64).reshape(1, -1)
    d = math.sqrt(2.0 / 64) * numpy.cos(math.pi / 2 / 64 * (i + 1) * (2 * j + 1))
    b = (d @ grid @ d.T).flatten()
    median = numpy.sort(b)[127]
    words = [0] * 16
    for k in range(256):
        if b[k] > median:
            words[k // 16] |= 1 << (k % 16)
    return "".join("{:04x}".format(words[w]) for w in range(15, -1, -1)), quality


def main():
    out = {}
    for path in sys.argv[1:]:
        image = Image.open(path)
        image.load()
        code, quality = pdq(image)
        out[path] = {"ahash": average_hash(image), "dhash": dhash(image), "phash": phash(image),
                     "pdq": code, "pdq_quality": quality}
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
