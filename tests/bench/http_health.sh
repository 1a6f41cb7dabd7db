#!/usr/bin/env bash
# GET /health under wrk -t1 -c64 -d10s: requests/s, p50/p99 latency, server CPU µs per request
# and idle RSS.
#   tests/bench/http_health.sh build/tyto
# Env: TYTO_BENCH_DURATION (10s), TYTO_BENCH_CONNECTIONS (64), TYTO_BENCH_ACCESS_LOG (true),
# TYTO_BENCH_IO_THREADS (0 = one per core). The server's log goes to a file, as in production.
set -euo pipefail
binary="$(realpath "${1:-build/tyto}")"
duration="${TYTO_BENCH_DURATION:-10s}"
connections="${TYTO_BENCH_CONNECTIONS:-64}"
access_log="${TYTO_BENCH_ACCESS_LOG:-true}"
io_threads="${TYTO_BENCH_IO_THREADS:-0}"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
work=$(mktemp -d)
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$work"' EXIT

cd "$work"
"$binary" serve --listen "127.0.0.1:$port" --data-dir "$work/data" --http-access-log "$access_log" \
  --http-io-threads "$io_threads" \
  2>"$work/server.log" >/dev/null &
pid=$!
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.05; done
curl -fs "http://127.0.0.1:$port/health" >/dev/null

cpu_ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
idle_rss_kb=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
ticks_before=$(cpu_ticks)
wrk -t1 -c"$connections" -d"$duration" --latency "http://127.0.0.1:$port/health" >"$work/wrk.txt"
ticks_after=$(cpu_ticks)
loaded_rss_kb=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")

requests=$(awk '/requests in/ {print $1}' "$work/wrk.txt")
rps=$(awk '/Requests\/sec/ {print $2}' "$work/wrk.txt")
p50=$(awk '$1 == "50%" {print $2}' "$work/wrk.txt")
p99=$(awk '$1 == "99%" {print $2}' "$work/wrk.txt")
errors=$(awk '/Non-2xx|Socket errors/' "$work/wrk.txt")
hz=$(getconf CLK_TCK)
cpu_us_per_req=$(awk -v t=$((ticks_after - ticks_before)) -v hz="$hz" -v n="$requests" \
  'BEGIN {printf "%.2f", t / hz * 1e6 / n}')

echo "== GET /health, wrk -t1 -c$connections -d$duration, access log $access_log, io threads $io_threads (0 = cores)"
echo "requests:            $requests"
echo "requests/s:          $rps"
echo "latency p50 / p99:   $p50 / $p99"
echo "server CPU/request:  $cpu_us_per_req µs"
echo "idle RSS:            $((idle_rss_kb / 1024)) MiB ($idle_rss_kb kB); after load $((loaded_rss_kb / 1024)) MiB"
[ -z "$errors" ] || echo "errors:              $errors"
