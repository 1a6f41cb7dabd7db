#!/usr/bin/env bash
# One server, one wrk run, for comparing two binaries alternately on the same machine (jobs.sh runs the
# whole set on both databases):
#   tests/bench/jobs_wrk.sh BUILD_DIR get [JOBS]   GET /api/v1/jobs/{id} over JOBS (3,000) finished no-op
#                                                  jobs at random: wrk -t1 -c64, 3 s warm-up, then 8 s
#   tests/bench/jobs_wrk.sh BUILD_DIR post         one no-op job per POST /api/v1/jobs: wrk -t1 -c32 -d6s
#   tests/bench/jobs_wrk.sh BUILD_DIR batch [JOBS] JOBS (20,000) no-op jobs through POST /api/v1/jobs/batch,
#                                                  1,000 per request, timed until all finished (jobs_http.py)
# SQLite, rate limits lifted. Prints wrk's requests/s and the server's CPU (user + system) per request.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
binary="$(realpath "$1")/tyto"
mode="${2:-get}"
jobs="${3:-3000}"
work=$(mktemp -d)
pid=""
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
export TYTO_BENCH_KEY="tyto_benchkey$(printf 'a%.0s' $(seq 43))q"
export TYTO_AUTH_BOOTSTRAP_API_KEY="$TYTO_BENCH_KEY" TYTO_LIMITS_TENANT_RPS=1e9 TYTO_LIMITS_TENANT_BURST=1e9 \
  TYTO_LIMITS_KEY_RPS=1e9 TYTO_LIMITS_KEY_BURST=1e9 TYTO_JOBS_STREAMS_PER_PRINCIPAL=0
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$binary" serve --listen "127.0.0.1:$port" --data-dir "$work/d" --database "sqlite:$work/d/tyto.db" \
  2>"$work/log" >/dev/null &
pid=$!
for _ in $(seq 200); do curl -fs "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.05; done
ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
hz=$(getconf CLK_TCK)
if [ "$mode" = batch ]; then
  python3 "$here/jobs_http.py" "$port" "${3:-20000}" "$work/ids.txt"
  exit 0
elif [ "$mode" = get ]; then
  python3 "$here/jobs_http.py" "$port" "$jobs" "$work/ids.txt" >/dev/null
  IDS_FILE="$work/ids.txt" wrk -t1 -c64 -d3s -s "$here/get_job.lua" "http://127.0.0.1:$port" >/dev/null
  t0=$(ticks)
  IDS_FILE="$work/ids.txt" wrk -t1 -c64 -d8s -s "$here/get_job.lua" "http://127.0.0.1:$port" >"$work/wrk.txt"
else
  t0=$(ticks)
  wrk -t1 -c32 -d6s -s "$here/post_job.lua" "http://127.0.0.1:$port" >"$work/wrk.txt"
fi
t1=$(ticks)
grep -E "Requests/sec|Non-2xx|^status" "$work/wrk.txt" || true
total=$(awk '/requests in/ {print $1}' "$work/wrk.txt")
echo "server CPU per request: $(( (t1 - t0) * 1000000 / hz / total )) µs"
