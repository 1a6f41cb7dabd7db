#!/usr/bin/env bash
# The identity benchmarks (issue "Identity, tenancy and object storage"):
#   tests/bench/auth.sh BUILD_DIR
# - auth overhead per request in µs (JWT and API key; cached and uncached), in process (tyto_bench_auth)
# - login latency end to end (POST /api/v1/auth/login, argon2id at the default parameters), 30 logins
# - GET /api/v1/pipelines under wrk -t1 -c32 -d5s with a JWT and with an API key, next to /health
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build_dir="$(realpath "${1:-build}")"
work=$(mktemp -d)
pid=""
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

"$build_dir/tests/bench/tyto_bench_auth" "sqlite:$work/inproc.db"

key="tyto_benchkey$(printf 'a%.0s' $(seq 43))q"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
TYTO_AUTH_BOOTSTRAP_API_KEY="$key" TYTO_AUTH_ADMIN_PASSWORD="benchmark admin password" \
  TYTO_LIMITS_TENANT_RPS=1e9 TYTO_LIMITS_TENANT_BURST=1e9 TYTO_LIMITS_KEY_RPS=1e9 TYTO_LIMITS_KEY_BURST=1e9 \
  "$build_dir/tyto" serve --listen "127.0.0.1:$port" --data-dir "$work/data" --http-access-log false \
  2>"$work/tyto.log" >/dev/null &
pid=$!
for _ in $(seq 200); do curl -fs "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.05; done

token=$(python3 - "$port" <<'PY'
import json, sys, time, urllib.request
port = sys.argv[1]
body = json.dumps({"email": "admin@localhost", "password": "benchmark admin password"}).encode()
times, token = [], None
for _ in range(30):
    req = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/auth/login", data=body,
                                 headers={"Content-Type": "application/json"})
    t0 = time.perf_counter()
    with urllib.request.urlopen(req) as res:
        token = json.load(res)["access_token"]
    times.append((time.perf_counter() - t0) * 1000)
times.sort()
print(f"== login latency over 30 logins: p50 {times[15]:.1f} ms, p90 {times[27]:.1f} ms", file=sys.stderr)
print(token)
PY
)

cat >"$work/auth.lua" <<'LUA'
request = function() return wrk.format("GET", os.getenv("BENCH_PATH"), {Authorization = os.getenv("BENCH_AUTH")}) end
LUA
for what in "health:/health:" "jwt:/api/v1/pipelines:Bearer $token" "api key:/api/v1/pipelines:Bearer $key"; do
  IFS=: read -r name path auth <<<"$what"
  echo "== GET $path ($name), wrk -t1 -c32 -d5s"
  BENCH_PATH="$path" BENCH_AUTH="$auth" wrk -t1 -c32 -d5s --latency -s "$work/auth.lua" "http://127.0.0.1:$port" |
    awk '/Requests\/sec|Non-2xx/ {print} $1=="50%" || $1=="99%" {print "latency " $1 " " $2}'
done
