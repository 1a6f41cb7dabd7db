#!/usr/bin/env bash
# Installs the Debian 12 packages Tyto needs, and only those that are missing.
#   scripts/setup.sh build   compilers and libraries for `make build` / `make run`
#   scripts/setup.sh test    build + the test services and tools: PostgreSQL 15, Ceph RGW (S3),
#                            Chromium and Node.js (e2e), docker-compose (to validate the compose file)
#   scripts/setup.sh bench   build + wrk, PostgreSQL 15 and Python for the benchmark programs
#   scripts/setup.sh fuzz    build + clang and its libFuzzer and sanitizer runtimes (tests/fuzz; `make test` too)
set -euo pipefail

BUILD_PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config git ca-certificates
  libboost1.81-dev
  libsqlite3-dev
  libpq-dev
  nlohmann-json3-dev        # JSON
  libfmt-dev
  libssl-dev
  libsodium-dev
  libarchive-dev
  libhowardhinnant-date-dev # time zones for cron schedules (reads tzdata's /usr/share/zoneinfo)
  libopencv-dev
  libtorch-dev
  catch2
  john-data                 # common-password list (auth.password_blocklist) read at run time
)
FUZZ_PACKAGES=(clang libclang-rt-14-dev)
TEST_PACKAGES=(postgresql-15 postgresql-client-15 docker-compose curl python3 procps chromium nodejs radosgw ceph-mon ceph-osd clang-format
  "${FUZZ_PACKAGES[@]}"
  $(command -v npm >/dev/null || echo npm))  # NodeSource's nodejs bundles npm (and conflicts with Debian's)
BENCH_PACKAGES=(wrk curl procps python3 postgresql-15 postgresql-client-15)

case "${1:-build}" in
  build) wanted=("${BUILD_PACKAGES[@]}") ;;
  test) wanted=("${BUILD_PACKAGES[@]}" "${TEST_PACKAGES[@]}") ;;
  bench) wanted=("${BUILD_PACKAGES[@]}" "${BENCH_PACKAGES[@]}") ;;
  fuzz) wanted=("${BUILD_PACKAGES[@]}" "${FUZZ_PACKAGES[@]}") ;;
  *) echo "usage: $0 build|test|bench|fuzz" >&2; exit 2 ;;
esac

missing=()
for pkg in "${wanted[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ]; then SUDO=(); else SUDO=(sudo); fi
echo "Installing missing packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -q
"${SUDO[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
