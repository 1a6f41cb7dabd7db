#!/usr/bin/env bash
# The throwaway PostgreSQL 15 server of the test suite (the ctest fixture `postgres`).
#   postgres.sh start DIR    initdb and start a server on a free 127.0.0.1 port; writes DIR/postgres.url
#   postgres.sh restart DIR  pg_ctl restart -m fast in place: same port, same data
#   postgres.sh stop DIR     stop it and delete its data; succeeds when nothing is running
# The data directory and the Unix socket live in a private directory under /tmp, named in
# DIR/postgres.base: PostgreSQL refuses to run as root, so under root it runs as the `postgres`
# user, who may not be able to enter DIR; a short path also keeps the socket under its length limit.
set -euo pipefail

usage() {
  echo "usage: $0 start|restart|stop DIR" >&2
  exit 2
}
[[ $# -eq 2 ]] || usage
verb=$1
dir=$(mkdir -p "$2" && cd "$2" && pwd)
base_file=$dir/postgres.base
url_file=$dir/postgres.url

# One verb at a time per DIR, so two runs sharing a build directory never lose track of a server.
# -o: the server that pg_ctl starts must not inherit (and so hold) the lock.
if [[ -z ${TYTO_PG_SCRIPT_LOCKED:-} ]] && command -v flock >/dev/null 2>&1; then
  TYTO_PG_SCRIPT_LOCKED=1 exec flock -o "$dir/postgres.lock" "$0" "$@"
fi

log() { echo "postgres.sh: $*" >&2; }

is_root() { [[ $(id -u) -eq 0 ]]; }

as_postgres() {
  if is_root; then
    (cd / && runuser -u postgres -- "$@")
  else
    "$@"
  fi
}

find_bindir() {
  local candidate
  local candidates=(/usr/lib/postgresql/15/bin "$(pg_config --bindir 2>/dev/null || true)")
  candidates+=($(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r || true))
  for candidate in "${candidates[@]}"; do
    if [[ -n $candidate && -x $candidate/initdb && -x $candidate/pg_ctl ]]; then
      echo "$candidate"
      return 0
    fi
  done
  log "PostgreSQL server binaries (initdb, pg_ctl) not found; install postgresql-15"
  return 1
}

ensure_postgres_user() {
  if is_root && ! id -u postgres >/dev/null 2>&1; then
    useradd --system --user-group --no-create-home --shell /usr/sbin/nologin postgres
  fi
}

free_port() {
  if command -v python3 >/dev/null 2>&1; then
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
    return 0
  fi
  local port
  for ((port = 55432 + RANDOM % 1000; port < 60000; port++)); do
    # A refused connection means nothing listens there.
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return 0
    fi
  done
  return 1
}

# The private directory of the server started from DIR, if any.
current_base() {
  [[ -f $base_file ]] || return 1
  local base
  base=$(<"$base_file")
  [[ $base == */tyto-pg.* && -d $base ]] || return 1
  echo "$base"
}

stop_server() {
  local base bindir pid
  if base=$(current_base); then
    if [[ -f $base/data/postmaster.pid ]]; then
      if bindir=$(find_bindir 2>/dev/null); then
        as_postgres "$bindir/pg_ctl" -D "$base/data" -m fast -w -t 60 stop >/dev/null 2>&1 || true
      fi
      if [[ -f $base/data/postmaster.pid ]]; then
        pid=$(head -n 1 "$base/data/postmaster.pid" 2>/dev/null || true)
        [[ $pid =~ ^[0-9]+$ ]] && kill -INT "$pid" 2>/dev/null || true
        sleep 1
      fi
    fi
    rm -rf "$base"
  fi
  rm -f "$base_file" "$url_file"
}

write_settings() {
  local data=$1 base=$2 port=$3
  cat >"$data/tyto.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$base'
max_connections = 200
# Test data is thrown away: durability only costs time.
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
  chmod 644 "$data/tyto.conf"
}

start_server() {
  stop_server
  ensure_postgres_user
  local bindir base data port attempt
  bindir=$(find_bindir)
  base=$(mktemp -d /tmp/tyto-pg.XXXXXX)
  is_root && chown postgres: "$base"
  echo "$base" >"$base_file"
  data=$base/data

  if ! as_postgres "$bindir/initdb" -D "$data" -A trust -U postgres --no-sync -E UTF8 --locale=C \
      >"$base/initdb.log" 2>&1; then
    cat "$base/initdb.log" >&2
    log "initdb failed"
    return 1
  fi
  echo "include 'tyto.conf'" >>"$data/postgresql.conf"

  # Another process may take the free port before the server binds it: try a few.
  for attempt in 1 2 3 4 5; do
    port=$(free_port)
    write_settings "$data" "$base" "$port"
    if as_postgres "$bindir/pg_ctl" -D "$data" -l "$base/postgres.log" -w -t 60 start >/dev/null; then
      echo "postgres://postgres@127.0.0.1:$port/postgres" >"$url_file"
      log "PostgreSQL running at 127.0.0.1:$port (data in $data)"
      return 0
    fi
    log "start on port $port failed (attempt $attempt)"
  done
  tail -n 30 "$base/postgres.log" >&2 || true
  return 1
}

restart_server() {
  local base bindir
  if ! base=$(current_base); then
    log "no server was started from $dir"
    return 1
  fi
  bindir=$(find_bindir)
  as_postgres "$bindir/pg_ctl" -D "$base/data" -l "$base/postgres.log" -m fast -w -t 60 restart >/dev/null
}

case $verb in
  start) start_server ;;
  restart) restart_server ;;
  stop) stop_server || true ;;
  *) usage ;;
esac
