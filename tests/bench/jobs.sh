#!/usr/bin/env bash
# The jobs benchmarks (issue "Jobs, pipelines and live events"), on SQLite and PostgreSQL:
#   tests/bench/jobs.sh BUILD_DIR
# - no-op jobs/s end to end through the API (batches of 1,000) and in-process (tyto_bench_jobs)
# - enqueue-to-start latency on an idle runner (tyto_bench_jobs)
# - GET /api/v1/jobs/{id} under wrk -t1 -c64 -d10s over random existing ids
# - single-job POST /api/v1/jobs under wrk -t1 -c32 -d6s (group commit), with the server's CPU per request
# - fan-out: 1,000 WebSocket subscribers on one topic
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build_dir="$(realpath "${1:-build}")"
binary="$build_dir/tyto"
jobs="${TYTO_BENCH_JOBS:-20000}"
ulimit -n 8192 2>/dev/null || true
work=$(mktemp -d)
pg_dir="$work/pg"
pid=""
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  "$here/../services/postgres.sh" stop "$pg_dir" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

# Benchmarks authenticate like any client, with rate limits (and the cap on streams per key) out of the way.
export TYTO_BENCH_KEY="tyto_benchkey$(printf 'a%.0s' $(seq 43))q"
export TYTO_AUTH_BOOTSTRAP_API_KEY="$TYTO_BENCH_KEY" TYTO_LIMITS_TENANT_RPS=1e9 TYTO_LIMITS_TENANT_BURST=1e9 \
  TYTO_LIMITS_KEY_RPS=1e9 TYTO_LIMITS_KEY_BURST=1e9 TYTO_JOBS_STREAMS_PER_PRINCIPAL=0

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

serve() {  # serve NAME DATABASE_URL; sets port and pid
  port=$(free_port)
  "$binary" serve --listen "127.0.0.1:$port" --data-dir "$work/$1" --database "$2" 2>"$work/$1.log" >/dev/null &
  pid=$!
  for _ in $(seq 200); do curl -fs "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.05; done
}

stop() { kill "$pid"; wait "$pid" || true; pid=""; }

cpu_ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }  # user + system, all threads

"$here/../services/postgres.sh" start "$pg_dir" >/dev/null
pg_url=$(cat "$pg_dir/postgres.url")

for backend in sqlite postgres; do
  if [ "$backend" = sqlite ]; then url="sqlite:$work/sqlite/tyto.db"; else url="$pg_url"; fi
  echo "#### $backend"
  serve "$backend" "$url"
  python3 "$here/jobs_http.py" "$port" "$jobs" "$work/ids.txt"
  echo "== GET /api/v1/jobs/{id}, wrk -t1 -c64 -d10s, random ids of $(wc -l <"$work/ids.txt") jobs"
  IDS_FILE="$work/ids.txt" wrk -t1 -c64 -d10s --latency -s "$here/get_job.lua" "http://127.0.0.1:$port" |
    awk '/Requests\/sec|Non-2xx|Socket errors/ {print} $1=="50%" || $1=="99%" {print "latency " $1 " " $2}'
  python3 "$here/fanout.py" "$port" 1000 100 50
  stop
  serve "$backend-post" "${url/tyto.db/post.db}"
  echo "== POST /api/v1/jobs, one no-op job per request, wrk -t1 -c32 -d6s"
  before=$(cpu_ticks)
  out=$(wrk -t1 -c32 -d6s --latency -s "$here/post_job.lua" "http://127.0.0.1:$port")
  ticks=$(($(cpu_ticks) - before))
  echo "$out" | awk '/Requests\/sec|Non-2xx|Socket errors|^status/ {print} $1=="50%" || $1=="99%" {print "latency " $1 " " $2}'
  created=$(echo "$out" | awk '/^status 202:/ {print $3}')
  echo "server CPU per created job: $(awk -v t="$ticks" -v n="${created:-0}" -v hz="$(getconf CLK_TCK)" \
    'BEGIN {if (n > 0) printf "%.0f µs", t / hz / n * 1e6; else print "-"}')"
  stop
  "$build_dir/tests/bench/tyto_bench_jobs" "$url" "$jobs"
done
