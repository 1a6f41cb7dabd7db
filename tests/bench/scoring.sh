#!/usr/bin/env bash
# The scoring module's text metrics (tests/bench/scoring_bench.cpp), then Python's difflib and a pure-Python
# Levenshtein on the same pairs, in the same run. Usage: scoring.sh BUILD_DIR
set -euo pipefail
build_dir="${1:-build}"
pairs="$(mktemp)"
trap 'rm -f "$pairs"' EXIT
echo "== scoring: text metrics"
"$build_dir/tests/bench/tyto_bench_scoring" "$pairs"
python3 - "$pairs" <<'PY'
import difflib, sys, time
pairs = [line.rstrip("\n").split("\t") for line in open(sys.argv[1], encoding="utf-8")]

def levenshtein(a, b):
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        diagonal, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            diagonal, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, diagonal + (ca != cb))
    return row[-1]

def measure(name, metric):
    done, start = 0, time.perf_counter()
    while time.perf_counter() - start < 0.5:
        for a, b in pairs:
            metric(a, b)
        done += len(pairs)
    seconds = time.perf_counter() - start
    print("%-26s %12.0f pairs/s   (%.2f µs/pair)" % (name, done / seconds, seconds * 1e6 / done))

measure("python difflib ratio", lambda a, b: difflib.SequenceMatcher(None, a, b).ratio())
measure("python levenshtein (DP)", lambda a, b: 1 - levenshtein(a, b) / max(len(a), len(b), 1))
PY
