#!/usr/bin/env bash
# Builds Tyto's container image (the Dockerfile) with Docker where a Docker engine answers, otherwise with
# podman (installed by `scripts/setup.sh image`).
#   scripts/image.sh build [TAG]   make sure the debian:12 bases exist, then build TAG (tyto:local)
#   scripts/image.sh base          make sure debian:12 and debian:12-slim exist: pulled where a registry
#                                  answers, otherwise made here with debootstrap from the Debian mirror
#   scripts/image.sh engine        print the container command line (docker, or podman with its flags)
#   scripts/image.sh base-origin   print where the debian:12 base came from: registry or debootstrap
#   scripts/image.sh limits        print the --ulimit flags podman's build and run need here (none for docker)
# TYTO_IMAGE_ENGINE=docker|podman picks the engine; DEBIAN_MIRROR the mirror debootstrap uses.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BASE=docker.io/library/debian:12
SLIM=docker.io/library/debian:12-slim
BASE_LABEL=org.tyto.base-origin

log() { echo "image.sh: $*" >&2; }

# The engine's command line, one word per line.
engine_words() {
  local engine="${TYTO_IMAGE_ENGINE:-}"
  if [ -z "$engine" ]; then
    if command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then
      engine=docker
    else
      engine=podman
    fi
  fi
  case "$engine" in
    docker) echo docker ;;
    podman)
      "$ROOT/scripts/setup.sh" image >&2  # podman, runc, debootstrap, podman-compose: only what is missing
      # crun fails on these machines' hybrid cgroup layout; runc with cgroupfs works (and anywhere else too).
      printf '%s\n' podman --runtime runc --cgroup-manager=cgroupfs
      ;;
    *) log "TYTO_IMAGE_ENGINE must be docker or podman, not $engine"; exit 2 ;;
  esac
}

ENGINE=()
while read -r word; do ENGINE+=("$word"); done < <(engine_words)

# runc sets the container's resource limits, and without CAP_SYS_RESOURCE (as in these machines' sandboxes)
# it may not raise a hard limit past what it runs under: podman's defaults (1048576 open files, 4194304
# processes) fail with "error setting rlimit type 7/6: operation not permitted". The container gets this
# shell's hard limits, processes capped at the kernel's pid_max.
LIMITS=()
if [ "${ENGINE[0]}" = podman ]; then
  nofile=$(ulimit -Hn)
  nproc=$(ulimit -Hu)
  pid_max=$(cat /proc/sys/kernel/pid_max 2>/dev/null || echo 32768)
  [ "$nofile" = unlimited ] && nofile=1048576
  if [ "$nproc" = unlimited ] || [ "$nproc" -gt "$pid_max" ]; then nproc=$pid_max; fi
  LIMITS=(--ulimit "nofile=$nofile:$nofile" --ulimit "nproc=$nproc:$nproc")
fi

image_exists() {
  if [ "${ENGINE[0]}" = docker ]; then
    docker image inspect "$1" >/dev/null 2>&1
  else
    "${ENGINE[@]}" image exists "$1"
  fi
}

# debian:12 from the registry, or from debootstrap where none answers (each start of a fresh machine here).
ensure_base() {
  if image_exists "$BASE" && image_exists "$SLIM"; then return 0; fi
  if timeout 120 "${ENGINE[@]}" pull "$BASE" >&2 && timeout 120 "${ENGINE[@]}" pull "$SLIM" >&2; then
    return 0
  fi
  log "no registry answers: making $BASE from Debian's packages with debootstrap"
  command -v debootstrap >/dev/null 2>&1 || "$ROOT/scripts/setup.sh" image >&2
  local rootfs mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
  rootfs=$(mktemp -d /var/tmp/tyto-debian12.XXXXXX)
  # shellcheck disable=SC2064
  trap "rm -rf '$rootfs'" EXIT
  local started=$SECONDS
  debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >&2
  # The sources an official debian:12 image has: the release, its updates and security fixes.
  rm -f "$rootfs/etc/apt/sources.list"
  cat >"$rootfs/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $mirror
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: ${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  # As in Debian's images: no caches or docs worth keeping in a layer.
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
  tar -C "$rootfs" -c . | "${ENGINE[@]}" import --change "LABEL $BASE_LABEL=debootstrap" \
    --change 'CMD ["bash"]' - "$BASE" >&2
  "${ENGINE[@]}" tag "$BASE" "$SLIM"
  rm -rf "$rootfs"
  trap - EXIT
  log "made $BASE and $SLIM with debootstrap in $((SECONDS - started)) s"
}

base_origin() {
  local origin
  origin=$("${ENGINE[@]}" image inspect --format "{{ index .Config.Labels \"$BASE_LABEL\" }}" "$BASE" 2>/dev/null ||
    true)
  case "$origin" in
    debootstrap) echo debootstrap ;;
    *) echo registry ;;
  esac
}

build() {
  local tag="${1:-tyto:local}" started=$SECONDS args=()
  ensure_base
  if [ "${ENGINE[0]}" = docker ]; then
    args=(build -t "$tag")
  else
    # --format docker: the OCI format has no HEALTHCHECK. --pull=never: the bases are local (ensure_base).
    args=(build --format docker --pull=never --network host "${LIMITS[@]}" -t "$tag")
  fi
  # The npm step trusts what this machine trusts (a TLS-inspecting proxy's CA, say): a build secret, not a layer.
  local ca=${TYTO_IMAGE_CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}
  [ -f "$ca" ] && args+=(--secret "id=host-ca,src=$ca")
  "${ENGINE[@]}" "${args[@]}" "$ROOT"
  log "built $tag with ${ENGINE[0]} in $((SECONDS - started)) s (base: $(base_origin))"
}

case "${1:-}" in
  build) build "${2:-tyto:local}" ;;
  base) ensure_base ;;
  engine) echo "${ENGINE[*]}" ;;
  base-origin) base_origin ;;
  limits) echo "${LIMITS[*]}" ;;
  *) sed -n '2,10p' "$0" >&2; exit 2 ;;
esac
