#!/usr/bin/env bash
# The peers issue 9 names for the jobs figures, on this machine, with the load jobs.sh puts on Tyto:
#   tests/bench/jobs_peer.sh
# - Celery 5 + Redis 7 (a worker of 2 threads): single enqueues from 32 client threads for 6 s (Tyto:
#   wrk -t1 -c32 -d6s, one job per POST), and 20,000 tasks from one thread timed until all ran
# - FastAPI + uvicorn (one worker) on SQLite: GET /api/v1/jobs/{id} over 3,000 rows (wrk -t1 -c64, 3 s
#   warm-up, then 8 s) and single-job POSTs (wrk -t1 -c32 -d6s), each one INSERT and commit
# Uses Debian's /usr/bin/python3 and redis-server (scripts/packages/bench.txt).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
py=/usr/bin/python3
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
free_port() { $py -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
export TYTO_BENCH_KEY=unused  # get_job.lua sends it; the peers ignore it

echo "#### peers"
redis_port=$(free_port)
redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no --daemonize no >"$work/redis.log" &
pids+=($!)
for _ in $(seq 100); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.05; done
redis_url="redis://127.0.0.1:$redis_port/0"
(cd "$work" && exec $py "$here/jobs_peer.py" celery-worker "$redis_url") >"$work/worker.log" 2>&1 &
pids+=($!)
sleep 3  # the worker connects and starts consuming
$py "$here/jobs_peer.py" celery-single "$redis_url" 32 6
redis-cli -p "$redis_port" del celery >/dev/null  # what the worker did not get to
$py "$here/jobs_peer.py" celery-batch "$redis_url" 20000

$py "$here/jobs_peer.py" make-db "$work/jobs.db" 3000 "$work/ids.txt"
port=$(free_port)
$py "$here/jobs_peer.py" fastapi "$work/jobs.db" "$port" >"$work/fastapi.log" 2>&1 &
pids+=($!)
for _ in $(seq 200); do curl -fs "http://127.0.0.1:$port/api/v1/jobs/$(head -1 "$work/ids.txt")" >/dev/null && break; sleep 0.05; done
IDS_FILE="$work/ids.txt" wrk -t1 -c64 -d3s -s "$here/get_job.lua" "http://127.0.0.1:$port" >/dev/null
echo "== FastAPI GET /api/v1/jobs/{id} from SQLite, wrk -t1 -c64 -d8s"
IDS_FILE="$work/ids.txt" wrk -t1 -c64 -d8s -s "$here/get_job.lua" "http://127.0.0.1:$port" | grep -E "Requests/sec|Non-2xx"
echo "== FastAPI POST /api/v1/jobs into SQLite, one job per request, wrk -t1 -c32 -d6s"
wrk -t1 -c32 -d6s -s "$here/post_job.lua" "http://127.0.0.1:$port" | grep -E "Requests/sec|Non-2xx|^status"
