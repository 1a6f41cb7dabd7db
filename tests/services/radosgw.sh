#!/usr/bin/env bash
# The throwaway S3 server of the test suite (the ctest fixture `radosgw`): Debian's Ceph 16 RADOS Gateway
# on a one-node cluster that lives in a private directory under /tmp.
#   radosgw.sh start DIR   start ceph-mon, one ceph-osd (memstore: the data lives in memory) and radosgw
#                          with the beast frontend on free 127.0.0.1 ports; create a user with a fixed key
#                          and an empty bucket; write DIR/s3.env (KEY=value lines, see write_env)
#   radosgw.sh stop DIR    stop every daemon it started and delete the cluster; succeeds when none runs
# Authentication inside the cluster is off (auth none): nothing but loopback can reach it. Works as root and
# as a normal user: every path the daemons touch is inside the private directory.
set -euo pipefail

usage() {
  echo "usage: $0 start|stop DIR" >&2
  exit 2
}
[[ $# -eq 2 ]] || usage
verb=$1
dir=$(mkdir -p "$2" && cd "$2" && pwd)
base_file=$dir/radosgw.base
env_file=$dir/s3.env

# One verb at a time per DIR; -o: the daemons must not inherit (and so hold) the lock.
if [[ -z ${TYTO_RGW_SCRIPT_LOCKED:-} ]] && command -v flock >/dev/null 2>&1; then
  TYTO_RGW_SCRIPT_LOCKED=1 exec flock -o "$dir/radosgw.lock" "$0" "$@"
fi

readonly ACCESS_KEY=TYTOTESTACCESSKEY001
readonly SECRET_KEY=tytoTestSecretKey0000000000000000000000001
readonly BUCKET=tyto-test
readonly REGION=us-east-1

log() { echo "radosgw.sh: $*" >&2; }

require_tools() {
  local tool
  for tool in ceph-mon ceph-osd radosgw radosgw-admin ceph monmaptool curl python3 ps; do
    if ! command -v "$tool" >/dev/null 2>&1; then
      log "$tool not found; install radosgw ceph-mon ceph-osd curl python3 procps (scripts/setup.sh test)"
      return 1
    fi
  done
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

new_uuid() { python3 -c 'import uuid; print(uuid.uuid4())'; }

# A free port other than $1.
other_free_port() {
  local port
  port=$(free_port)
  while [[ $port == "$1" ]]; do port=$(free_port); done
  echo "$port"
}

# The private directory of the cluster started from DIR, if any.
current_base() {
  [[ -f $base_file ]] || return 1
  local base
  base=$(<"$base_file")
  [[ $base == */tyto-rgw.* && -d $base ]] || return 1
  echo "$base"
}

# True while pid runs (a zombie, which its parent has not reaped yet, counts as gone).
running() {
  local state
  state=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
  [[ $state != Z* ]]
}

# The pids of the named daemons (default: all), from their own pid files: nothing else is ever signalled.
daemon_pids() {
  local base=$1 name pid
  shift
  (($#)) || set -- client.rgw osd.0 mon.a
  for name in "$@"; do
    [[ -f $base/run/$name.pid ]] || continue
    pid=$(<"$base/run/$name.pid")
    [[ $pid =~ ^[0-9]+$ ]] && echo "$pid"
  done
  return 0
}

# SIGTERM to the named daemons (default: all) at once, SIGKILL to those left after 10 s.
stop_daemons() {
  local pids pid i alive
  pids=$(daemon_pids "$@")
  [[ -n $pids ]] || return 0
  for pid in $pids; do kill -TERM "$pid" 2>/dev/null || true; done
  for ((i = 0; i < 100; i++)); do
    alive=0
    for pid in $pids; do running "$pid" && alive=1; done
    ((alive)) || return 0
    sleep 0.1
  done
  for pid in $pids; do kill -KILL "$pid" 2>/dev/null || true; done
}

stop_cluster() {
  local base
  if base=$(current_base); then
    # The gateway first: with the monitor gone it would wait for it until killed.
    stop_daemons "$base" client.rgw
    stop_daemons "$base" osd.0 mon.a
    rm -rf "$base"
  fi
  rm -f "$base_file" "$env_file"
}

write_conf() {
  local base=$1 fsid=$2 mon_port=$3 rgw_port=$4
  cat >"$base/ceph.conf" <<EOF
[global]
fsid = $fsid
mon host = v2:127.0.0.1:$mon_port
public addr = 127.0.0.1
cluster addr = 127.0.0.1
auth cluster required = none
auth service required = none
auth client required = none
# radosgw asks for a secure monitor connection by default, which needs cephx.
ms mon client mode = crc
keyring = $base/keyring
run dir = $base/run
admin socket = $base/run/\$name.asok
pid file = $base/run/\$name.pid
log file = $base/log/\$name.log
mon cluster log file = $base/log/cluster.log
crash dir = $base/crash
mon data = $base/mon/\$name
osd data = $base/osd/\$name
mon data avail warn = 1
mon data avail crit = 1
osd objectstore = memstore
memstore device bytes = 2147483648
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon allow pool size one = true
mon warn on pool no redundancy = false
client mount timeout = 30
# A throwaway OSD: no need to wait for the monitor to note its departure.
osd fast shutdown notify mon = false

[client.rgw]
rgw frontends = beast endpoint=127.0.0.1:$rgw_port
rgw data = $base/rgw
rgw init timeout = 45
EOF
}

start_mon() {
  local base=$1 fsid=$2 mon_port=$3
  # Called as a condition, where `set -e` does not apply: every step checks its own status.
  monmaptool --create --addv a "[v2:127.0.0.1:$mon_port]" --fsid "$fsid" "$base/monmap" >/dev/null || return 1
  ceph-mon -c "$base/ceph.conf" --mkfs -i a --monmap "$base/monmap" >"$base/log/mon-mkfs.out" 2>&1 || return 1
  ceph-mon -c "$base/ceph.conf" -i a >"$base/log/mon.out" 2>&1 </dev/null || return 1
}

start_osd() {
  local base=$1 uuid id i
  uuid=$(new_uuid)
  id=$(ceph -c "$base/ceph.conf" --connect-timeout 20 osd new "$uuid" 2>>"$base/log/ceph-cli.out") || return 1
  [[ $id == 0 ]] || { log "expected OSD id 0, got '$id'"; return 1; }
  mkdir -p "$base/osd/osd.0"
  ceph-osd -c "$base/ceph.conf" -i 0 --mkfs --osd-uuid "$uuid" >"$base/log/osd-mkfs.out" 2>&1 || return 1
  ceph-osd -c "$base/ceph.conf" -i 0 >"$base/log/osd.out" 2>&1 </dev/null || return 1
  for ((i = 0; i < 150; i++)); do
    if ceph -c "$base/ceph.conf" --connect-timeout 5 osd stat 2>/dev/null | grep -q '1 up'; then
      return 0
    fi
    sleep 0.2
  done
  log "the OSD did not come up"
  return 1
}

# 0 once the gateway answers, 1 if it died or did not answer within 60 s.
wait_for_rgw() {
  local base=$1 rgw_port=$2 i pid code
  for ((i = 0; i < 300; i++)); do
    code=$(curl -s -m 2 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$rgw_port/" 2>/dev/null || true)
    [[ $code == 200 ]] && return 0
    if [[ -f $base/run/client.rgw.pid ]]; then
      pid=$(<"$base/run/client.rgw.pid")
      running "$pid" || return 1
    fi
    sleep 0.2
  done
  return 1
}

start_rgw() {
  local base=$1 rgw_port=$2
  radosgw -c "$base/ceph.conf" -n client.rgw >"$base/log/rgw.out" 2>&1 </dev/null || return 1
  wait_for_rgw "$base" "$rgw_port"
}

create_user_and_bucket() {
  local base=$1 rgw_port=$2 code
  radosgw-admin -c "$base/ceph.conf" user create --uid tyto --display-name "Tyto tests" \
    --access-key "$ACCESS_KEY" --secret-key "$SECRET_KEY" >"$base/log/user.out" 2>&1 || return 1
  # curl signs with SigV4 but leaves the payload hash header to the caller; RGW requires it.
  code=$(curl -s -o "$base/log/bucket.out" -w '%{http_code}' -X PUT \
    -H "x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" \
    --aws-sigv4 "aws:amz:$REGION:s3" --user "$ACCESS_KEY:$SECRET_KEY" "http://127.0.0.1:$rgw_port/$BUCKET")
  if [[ $code != 200 ]]; then
    log "creating bucket $BUCKET failed with HTTP $code: $(cat "$base/log/bucket.out")"
    return 1
  fi
}

write_env() {
  local rgw_port=$1
  cat >"$env_file.tmp" <<EOF
TYTO_TEST_S3_ENDPOINT=http://127.0.0.1:$rgw_port
TYTO_TEST_S3_REGION=$REGION
TYTO_TEST_S3_BUCKET=$BUCKET
TYTO_TEST_S3_ACCESS_KEY=$ACCESS_KEY
TYTO_TEST_S3_SECRET_KEY=$SECRET_KEY
EOF
  mv "$env_file.tmp" "$env_file"
}

show_logs() {
  local base=$1 f
  for f in "$base"/log/*; do
    [[ -f $f ]] || continue
    echo "--- $f" >&2
    tail -n 15 "$f" >&2
  done
}

start_cluster() {
  require_tools
  stop_cluster
  local base fsid mon_port rgw_port attempt started=$SECONDS
  base=$(mktemp -d /tmp/tyto-rgw.XXXXXX)
  echo "$base" >"$base_file"
  mkdir -p "$base"/{run,log,crash,mon,osd,rgw}
  fsid=$(new_uuid)
  mon_port=$(free_port)
  rgw_port=$(other_free_port "$mon_port")
  write_conf "$base" "$fsid" "$mon_port" "$rgw_port"
  if ! start_mon "$base" "$fsid" "$mon_port" || ! start_osd "$base"; then
    show_logs "$base"
    stop_cluster
    return 1
  fi
  # Another process may take the gateway's free port before it binds it: try a few.
  for attempt in 1 2 3; do
    if start_rgw "$base" "$rgw_port"; then
      if create_user_and_bucket "$base" "$rgw_port"; then
        write_env "$rgw_port"
        log "RADOS Gateway running at http://127.0.0.1:$rgw_port (cluster in $base, $((SECONDS - started)) s)"
        return 0
      fi
      break
    fi
    log "radosgw on port $rgw_port failed (attempt $attempt)"
    stop_daemons "$base" client.rgw
    rgw_port=$(other_free_port "$mon_port")
    write_conf "$base" "$fsid" "$mon_port" "$rgw_port"
  done
  show_logs "$base"
  stop_cluster
  return 1
}

case $verb in
  start) start_cluster ;;
  stop) stop_cluster || true ;;
  *) usage ;;
esac
