#!/usr/bin/env bash
# `make image-test`: builds the container image and tries it as a user would, then the compose stack.
#   tests/image/image_test.sh [BUILD_DIR]
# The image alone, on SQLite and the container's volume: /health, /ready, the console page, sign-in with
# the password the first start logs, a job end to end, an upload whose bytes land in the volume, the
# unprivileged user, the HEALTHCHECK, SIGTERM ending it with exit 0, its data still there after a restart,
# and each product's smoke check (`tyto hash` on a picture; a brand-protection scan of the demo marketplace;
# `tyto render` of the console page in Chromium). Then docker-compose.yml (docker compose, or Debian's podman-compose): Tyto on PostgreSQL (the
# postgres:15 image, or one built here from Debian's postgresql-15 where it cannot be pulled:
# tests/image/compose.postgres.yml) with MinIO for objects where its image is available and the local
# store otherwise (tests/image/compose.local-objects.yml); sign-in, a job and an upload through it.
# Each check prints "ok" or "FAIL"; any failure fails the run. On success the hash of what the image is
# made from is written to BUILD_DIR/image-test.ok (make test reruns this when it changes).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BUILD_DIR="${1:-$ROOT/build}"
TAG=tyto:local
RUN_ID="tyto-image-test-$$"
read -r -a C <<<"$("$ROOT/scripts/image.sh" engine)"
read -r -a LIMITS <<<"$("$ROOT/scripts/image.sh" limits)"
ENGINE=${C[0]}
WORK=$(mktemp -d /tmp/tyto-image-test.XXXXXX)
failures=0
started=$SECONDS

say() { echo "image-test: $*"; }
ok() { echo "ok   - $*"; }
fail() {
  echo "FAIL - $*"
  failures=$((failures + 1))
}
check() {  # check DESCRIPTION COMMAND…: ok when the command succeeds
  local what=$1
  shift
  if "$@" >"$WORK/check.out" 2>&1; then ok "$what"; else fail "$what: $(tail -c 600 "$WORK/check.out")"; fi
}
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
json() { python3 -c 'import json, sys; v = json.load(sys.stdin)
for k in sys.argv[1].split("."): v = v[int(k)] if isinstance(v, list) else v[k]
print(v if not isinstance(v, (dict, list)) else json.dumps(v))' "$1"; }

cleanup() {
  "${C[@]}" rm -f -t 5 "$RUN_ID" >/dev/null 2>&1 || true
  "${C[@]}" volume rm -f "$RUN_ID-data" >/dev/null 2>&1 || true
  if [ -n "${COMPOSE_DOWN:-}" ]; then eval "$COMPOSE_DOWN" >/dev/null 2>&1 || true; fi
  # podman-compose 1.0.3's down leaves the project's network behind.
  if [ "$ENGINE" = podman ]; then "${C[@]}" network rm -f "${project:-none}_default" >/dev/null 2>&1 || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

# Waits until URL answers 200, for at most SECONDS.
wait_http() {
  local url=$1 seconds=$2 i
  for ((i = 0; i < seconds * 4; i++)); do
    curl -fsS -o /dev/null "$url" 2>/dev/null && return 0
    sleep 0.25
  done
  return 1
}

# The first admin's password, from the log line the first start writes once.
admin_password() {
  "$@" 2>&1 | grep "created the first admin" | grep -o '"password":"[^"]*"' | head -1 | cut -d'"' -f4
}

login() {  # login BASE PASSWORD → access token
  curl -fsS -X POST "$1/api/v1/auth/login" -H 'Content-Type: application/json' \
    -d "{\"email\":\"admin@localhost\",\"password\":\"$2\"}" | json access_token
}

# A builtin.sleep job through the API until it succeeds; prints its id.
job_end_to_end() {
  local base=$1 token=$2 id state i
  id=$(curl -fsS -X POST "$base/api/v1/jobs" -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    -d '{"pipeline":"builtin.sleep","input":{"seconds":0.2}}' | json id)
  for ((i = 0; i < 120; i++)); do
    state=$(curl -fsS "$base/api/v1/jobs/$id" -H "Authorization: Bearer $token" | json state)
    if [ "$state" = succeeded ]; then
      echo "$id"
      return 0
    fi
    case "$state" in failed | cancelled | dead) echo "job $id ended $state" >&2; return 1 ;; esac
    sleep 0.25
  done
  echo "job $id still $state after 30 s" >&2
  return 1
}

# Declares, sends and completes an upload of FILE (a JSON document); prints the object's sha256.
upload() {
  local base=$1 token=$2 file=$3 size sha reply url id
  size=$(stat -c %s "$file")
  sha=$(sha256sum "$file" | cut -d' ' -f1)
  reply=$(curl -fsS -X POST "$base/api/v1/uploads" -H "Authorization: Bearer $token" \
    -H 'Content-Type: application/json' \
    -d "{\"filename\":\"note.json\",\"content_type\":\"application/json\",\"size\":$size,\"sha256\":\"$sha\",\"purpose\":\"document\"}")
  url=$(json url <<<"$reply")
  id=$(json upload_id <<<"$reply")
  case "$url" in /*) url="$base$url" ;; esac  # relative unless http.public_url is set
  curl -fsS -X PUT "$url" -H 'Content-Type: application/json' --data-binary @"$file" >/dev/null
  curl -fsS -X POST "$base/api/v1/uploads/$id/complete" -H "Authorization: Bearer $token" | json sha256
}

# --- the image -----------------------------------------------------------------------------------------
say "building $TAG with $ENGINE"
build_started=$SECONDS
if "$ROOT/scripts/image.sh" build "$TAG" >"$WORK/build.log" 2>&1; then
  ok "the image builds ($((SECONDS - build_started)) s, base from $("$ROOT/scripts/image.sh" base-origin))"
else
  fail "the image builds: $(tail -30 "$WORK/build.log")"
  exit 1
fi
size=$("${C[@]}" image inspect --format '{{.Size}}' "$TAG")
say "image $TAG: $((size / 1000000)) MB"

port=$(free_port)
base="http://127.0.0.1:$port"
# Host networking: these machines give containers no port forwarding through a firewall, and it is what
# the issue that asked for this found to work. The volume holds the database and the objects.
"${C[@]}" volume create "$RUN_ID-data" >/dev/null
"${C[@]}" run -d --name "$RUN_ID" --network host "${LIMITS[@]}" -e "TYTO_LISTEN=127.0.0.1:$port" \
  -e TYTO_PRODUCTS_BRAND_PROTECTION_LISTINGS_PER_SCAN=30 \
  -v "$RUN_ID-data:/var/lib/tyto" "$TAG" >/dev/null 2>"$WORK/run.err" || { fail "the container starts: $(cat "$WORK/run.err")"; exit 1; }
if wait_http "$base/health" 60; then ok "/health answers 200"; else
  fail "/health answers 200: $("${C[@]}" logs "$RUN_ID" 2>&1 | tail -20)"
  exit 1
fi
check "/ready answers 200" curl -fsS "$base/ready"
check "the console page is served" sh -c "curl -fsS '$base/' | grep -q '<title>Tyto console</title>'"
password=$(admin_password "${C[@]}" logs "$RUN_ID")
token=""
if [ -n "$password" ] && token=$(login "$base" "$password") && [ -n "$token" ]; then
  ok "sign-in with the password the first start logged"
else
  fail "sign-in with the password the first start logged (password found: ${password:+yes})"
fi
if job_id=$(job_end_to_end "$base" "$token" 2>"$WORK/job.err"); then ok "a builtin.sleep job runs to succeeded"; else
  fail "a builtin.sleep job runs to succeeded: $(cat "$WORK/job.err")"
fi
printf '{"from":"make image-test","run":"%s","at":"%s"}\n' "$RUN_ID" "$(date -u +%FT%TZ)" >"$WORK/note.json"
sha=$(sha256sum "$WORK/note.json" | cut -d' ' -f1)
if stored=$(upload "$base" "$token" "$WORK/note.json" 2>"$WORK/upload.err") && [ "$stored" = "$sha" ]; then
  ok "an upload completes with the sent bytes' sha256"
else
  fail "an upload completes with the sent bytes' sha256: $(cat "$WORK/upload.err")"
fi
# The bytes are in the volume: a second container that mounts only the volume finds them.
# (A local object file is a small header, then the bytes: its last SIZE bytes are compared.)
"${C[@]}" run --rm "${LIMITS[@]}" -v "$RUN_ID-data:/data" --entrypoint /bin/sh "$TAG" -c \
  "find /data/objects -type f -name '*~obj' | while read -r f; do tail -c $(stat -c %s "$WORK/note.json") \"\$f\" |
     sha256sum | sed \"s|-\$|\$f|\"; done" >"$WORK/volume.txt" 2>"$WORK/volume.err" || true
if grep -q "^$sha " "$WORK/volume.txt"; then ok "the upload's bytes are in the container's volume"; else
  fail "the upload's bytes are in the container's volume: $(cat "$WORK/volume.txt" "$WORK/volume.err" | tail -20)"
fi
check "the server runs as the unprivileged user tyto (uid 10001)" sh -c \
  "$(printf '%q ' "${C[@]}") exec $RUN_ID sh -c 'awk \"/^Uid:/ {print \\\$2}\" /proc/1/status' | grep -qx 10001"
if [ "$ENGINE" = docker ]; then
  check "the HEALTHCHECK passes" sh -c "for i in \$(seq 60); do
      [ \"\$(docker inspect -f '{{.State.Health.Status}}' $RUN_ID)\" = healthy ] && exit 0; sleep 1; done; exit 1"
else
  # (podman's timers for periodic checks need systemd, which these machines lack; the check itself runs)
  check "the HEALTHCHECK passes" "${C[@]}" healthcheck run "$RUN_ID"
fi
# Each product's smoke check, as it lands: the fingerprint module's `tyto hash` on a picture, and a brand
# protection scan of the demo marketplace (its libraries, OpenCV among them, load in the image).
curl -fsS -o "$WORK/ref.jpg" "$base/api/v1/brands/demo-marketplace/references/0.jpg" || true
chmod 755 "$WORK" && chmod 644 "$WORK/ref.jpg" 2>/dev/null  # the container's user reads it
if "${C[@]}" run --rm "${LIMITS[@]}" -v "$WORK:/in:ro" --entrypoint /usr/local/bin/tyto "$TAG" hash --json /in/ref.jpg \
  >"$WORK/hash.json" 2>"$WORK/hash.err" && python3 -c 'import json, sys
h = json.load(open(sys.argv[1]))[0]
assert len(h["phash"]) == 16 and len(h["pdq"]) == 64, h' "$WORK/hash.json" 2>>"$WORK/hash.err"; then
  ok "tyto hash prints a picture's hashes (fingerprint module)"
else
  fail "tyto hash prints a picture's hashes: $(cat "$WORK/hash.err" "$WORK/hash.json" | tail -5)"
fi
scan_check() {  # a demo brand with one reference picture, and a scan of the demo marketplace to succeeded
  local brand object sha size reply url id scan state i
  brand=$(curl -fsS -X POST "$base/api/v1/brands" -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    -d '{"name":"Northwind","fraud_terms":["replica"]}' | json id)
  size=$(stat -c %s "$WORK/ref.jpg")
  sha=$(sha256sum "$WORK/ref.jpg" | cut -d' ' -f1)
  reply=$(curl -fsS -X POST "$base/api/v1/uploads" -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    -d "{\"filename\":\"ref.jpg\",\"content_type\":\"image/jpeg\",\"size\":$size,\"sha256\":\"$sha\",\"purpose\":\"reference\"}")
  url=$(json url <<<"$reply")
  id=$(json upload_id <<<"$reply")
  case "$url" in /*) url="$base$url" ;; esac
  curl -fsS -X PUT "$url" -H 'Content-Type: image/jpeg' --data-binary @"$WORK/ref.jpg" >/dev/null
  object=$(curl -fsS -X POST "$base/api/v1/uploads/$id/complete" -H "Authorization: Bearer $token" | json id)
  curl -fsS -X POST "$base/api/v1/brands/$brand/images" -H "Authorization: Bearer $token" \
    -H 'Content-Type: application/json' -d "{\"object_id\":\"$object\"}" >/dev/null
  scan=$(curl -fsS -X POST "$base/api/v1/brands/$brand/scans" -H "Authorization: Bearer $token" \
    -H 'Content-Type: application/json' -d '{"provider":{"type":"demo"}}' | json scan_id)
  for ((i = 0; i < 240; i++)); do
    state=$(curl -fsS "$base/api/v1/brands/$brand/scans/$scan" -H "Authorization: Bearer $token" | json state)
    case "$state" in succeeded) return 0 ;; failed) echo "scan failed" >&2; return 1 ;; esac
    sleep 0.5
  done
  echo "scan still $state after 120 s" >&2
  return 1
}
if scan_check 2>"$WORK/scan.err"; then ok "a brand-protection scan of the demo marketplace succeeds"; else
  fail "a brand-protection scan of the demo marketplace succeeds: $(tail -5 "$WORK/scan.err")"
fi
# The browser module's Chromium, as the unprivileged user inside the running container, renders the console page
# (its sandbox off as the image sets it: the container's seccomp profile refuses the user namespaces it needs).
if "${C[@]}" exec "$RUN_ID" tyto render "http://127.0.0.1:8080/" --out /tmp/render --allow 127.0.0.1/32 \
  >"$WORK/render.json" 2>"$WORK/render.err" && python3 -c 'import json, sys
r = json.load(open(sys.argv[1]))
assert "Tyto" in r["title"] and r["width"] > 0, r' "$WORK/render.json" 2>>"$WORK/render.err"; then
  ok "tyto render draws the console page in headless Chromium (browser module)"
else
  fail "tyto render draws the console page in headless Chromium: $(tail -5 "$WORK/render.err" "$WORK/render.json")"
fi
"${C[@]}" stop -t 30 "$RUN_ID" >/dev/null 2>&1
exit_code=$("${C[@]}" inspect --format '{{.State.ExitCode}}' "$RUN_ID")
if [ "$exit_code" = 0 ]; then ok "SIGTERM stops it with exit code 0"; else
  fail "SIGTERM stops it with exit code 0 (got $exit_code): $("${C[@]}" logs "$RUN_ID" 2>&1 | tail -10)"
fi
"${C[@]}" start "$RUN_ID" >/dev/null 2>&1
if wait_http "$base/health" 60 && token=$(login "$base" "$password") &&
  [ "$(curl -fsS "$base/api/v1/jobs/${job_id:-none}" -H "Authorization: Bearer $token" | json state)" = succeeded ]; then
  ok "after a restart on the same volume the account and the job are still there"
else
  fail "after a restart on the same volume the account and the job are still there"
fi
"${C[@]}" rm -f -t 30 "$RUN_ID" >/dev/null 2>&1

# --- the compose stack -----------------------------------------------------------------------------------
project="tytoimagetest$$"
compose_files=(-f "$ROOT/docker-compose.yml")
pulled() { "${C[@]}" image exists "$1" 2>/dev/null || timeout 60 "${C[@]}" pull "$1" >/dev/null 2>&1; }
if [ "$ENGINE" = docker ]; then
  compose=(docker compose -p "$project")
  pulled() { docker image inspect "$1" >/dev/null 2>&1 || timeout 60 docker pull "$1" >/dev/null 2>&1; }
else
  # podman-compose runs podman without our flags: the same settings go through a containers.conf of its own.
  nofile=$(sed -n 's/.*nofile=\([0-9]*\):.*/\1/p' <<<"${LIMITS[*]}")
  nproc=$(sed -n 's/.*nproc=\([0-9]*\):.*/\1/p' <<<"${LIMITS[*]}")
  cat >"$WORK/containers.conf" <<EOF
[containers]
default_ulimits = ["nofile=$nofile:$nofile", "nproc=$nproc:$nproc"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
EOF
  export CONTAINERS_CONF="$WORK/containers.conf"
  compose=(podman-compose -p "$project")
fi
if pulled docker.io/library/postgres:15; then
  database="the postgres:15 image"
else
  database="PostgreSQL 15 from Debian's postgresql-15 (built here: no registry answers)"
  pg_build=(build)
  [ "$ENGINE" = podman ] && pg_build+=(--pull=never --network host "${LIMITS[@]}")
  "${C[@]}" "${pg_build[@]}" -t localhost/tyto-test-postgres:15 \
    "$ROOT/tests/image/postgres" >"$WORK/postgres-build.log" 2>&1 ||
    { fail "the PostgreSQL image builds: $(tail -20 "$WORK/postgres-build.log")"; exit 1; }
  compose_files+=(-f "$ROOT/tests/image/compose.postgres.yml")
fi
if pulled docker.io/minio/minio && pulled docker.io/minio/mc; then
  objects="MinIO (S3)"
else
  objects="the local store on the tyto-data volume (the minio/minio image is not available: no registry answers)"
  compose_files+=(-f "$ROOT/tests/image/compose.local-objects.yml")
fi
say "compose stack: Tyto on $database; objects in $objects"
# docker-compose.yml publishes the console on port 8080 of the host, as users get it.
compose_port=8080
if curl -s -o /dev/null "http://127.0.0.1:$compose_port/"; then
  fail "compose: port $compose_port is taken on this machine; the stack publishes the console there"
  exit 1
fi
COMPOSE_DOWN="$(printf '%q ' "${compose[@]}" "${compose_files[@]}") down -v"
"${compose[@]}" "${compose_files[@]}" up -d >"$WORK/compose-up.log" 2>&1 || true
cbase="http://127.0.0.1:$compose_port"
compose_logs() { "${compose[@]}" "${compose_files[@]}" logs tyto 2>&1; }
if wait_http "$cbase/ready" 120; then ok "compose: Tyto is ready on PostgreSQL"; else
  fail "compose: Tyto is ready on PostgreSQL: $(tail -20 "$WORK/compose-up.log"; compose_logs | tail -20)"
  exit 1
fi
if compose_logs | grep '"msg":"listening"' | grep -q '"database":"postgres'; then
  ok "compose: Tyto's database is PostgreSQL (its start-up log says so)"
else
  fail "compose: Tyto's database is PostgreSQL: $(compose_logs | grep '"msg":"listening"')"
fi
password=$(compose_logs | grep "created the first admin" | grep -o '"password":"[^"]*"' | head -1 | cut -d'"' -f4)
if [ -n "$password" ] && token=$(login "$cbase" "$password") && [ -n "$token" ]; then ok "compose: sign-in"; else
  fail "compose: sign-in"
fi
check "compose: a builtin.sleep job runs to succeeded" job_end_to_end "$cbase" "$token"
if stored=$(upload "$cbase" "$token" "$WORK/note.json" 2>"$WORK/upload.err") && [ "$stored" = "$sha" ]; then
  ok "compose: an upload completes in $objects"
else
  fail "compose: an upload completes: $(cat "$WORK/upload.err")"
fi
eval "$COMPOSE_DOWN" >/dev/null 2>&1 || true
COMPOSE_DOWN=""

say "$failures failed, $((SECONDS - started)) s in all"
if [ "$failures" -eq 0 ]; then
  mkdir -p "$BUILD_DIR"
  "$ROOT/tests/image/inputs_hash.sh" >"$BUILD_DIR/image-test.ok"
  exit 0
fi
exit 1
