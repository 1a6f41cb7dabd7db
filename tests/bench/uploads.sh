#!/usr/bin/env bash
# The uploads benchmark (issue "Identity, tenancy and object storage"):
#   tests/bench/uploads.sh BUILD_DIR
# One large upload through the API to the local store (TYTO_BENCH_UPLOAD_MB, default 2048) and one to a
# throwaway Ceph RGW (TYTO_BENCH_S3_MB, default 512: its memstore holds 2 GiB in all, the upload and the
# completed object), each with PUT, complete and download throughput and the server's peak RSS increase.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build_dir="$(realpath "${1:-build}")"
binary="$build_dir/tyto"
key=$(python3 -c "import base64, os; print('tyto_' + base64.b32encode(os.urandom(32)).decode().lower().rstrip('='))")
work=$(mktemp -d)
rgw_dir="$work/rgw"
pid=""
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  [ -f "$rgw_dir/s3.env" ] && "$here/../services/radosgw.sh" stop "$rgw_dir" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

serve() {  # serve NAME ARGS…; sets port and pid
  local name=$1
  shift
  port=$(free_port)
  TYTO_AUTH_BOOTSTRAP_API_KEY=$key TYTO_AUTH_ADMIN_PASSWORD=bench-password-1234 \
    "$binary" serve --listen "127.0.0.1:$port" --data-dir "$work/$name" --log-level warn "$@" \
    2>"$work/$name.log" >/dev/null &
  pid=$!
  for _ in $(seq 200); do curl -fs "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.05; done
}

stop() { kill "$pid"; wait "$pid" || true; pid=""; }

echo "#### local store (SQLite)"
serve local
python3 "$here/uploads.py" "$port" "$pid" "$key" "${TYTO_BENCH_UPLOAD_MB:-2048}"
stop

echo "#### Ceph RGW (SQLite)"
"$here/../services/radosgw.sh" start "$rgw_dir" >/dev/null
# shellcheck disable=SC1091
source "$rgw_dir/s3.env"
serve s3 --objects-store s3 --objects-s3-endpoint "$TYTO_TEST_S3_ENDPOINT" --objects-s3-region "$TYTO_TEST_S3_REGION" \
  --objects-s3-bucket "$TYTO_TEST_S3_BUCKET" --objects-s3-access-key "$TYTO_TEST_S3_ACCESS_KEY" \
  --objects-s3-secret-key "$TYTO_TEST_S3_SECRET_KEY"
python3 "$here/uploads.py" "$port" "$pid" "$key" "${TYTO_BENCH_S3_MB:-512}"
stop
