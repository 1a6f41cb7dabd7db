#!/usr/bin/env bash
# Installs the Debian 12 packages Tyto needs, and only those that are missing, then the npm package the
# build compiles in (Swagger UI for /docs, pinned in assets/api-docs/package.json) unless it is there.
#   scripts/setup.sh build   compilers, libraries and Node.js for `make build` / `make run`
#   scripts/setup.sh test    build + the test services and tools: PostgreSQL 15, Ceph RGW (S3),
#                            Chromium (e2e), docker-compose (to validate the compose file)
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
  nodejs $(command -v npm >/dev/null || echo npm)  # npm ci of assets/api-docs; NodeSource's nodejs bundles npm (and conflicts with Debian's)
)
FUZZ_PACKAGES=(clang libclang-rt-14-dev)
TEST_PACKAGES=(postgresql-15 postgresql-client-15 docker-compose curl python3 procps chromium radosgw ceph-mon ceph-osd clang-format
  "${FUZZ_PACKAGES[@]}")
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
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then SUDO=(); else SUDO=(sudo); fi
  echo "Installing missing packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  "${SUDO[@]}" apt-get update -q
  "${SUDO[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# Swagger UI for the API reference, compiled into the binary (src/CMakeLists.txt). Only when the installed
# version is not the pinned one, so a machine set up once builds offline. --ignore-scripts: the package
# needs none, and one of its dependencies would report the install to its vendor.
api_docs="$(cd "$(dirname "$0")/.." && pwd)/assets/api-docs"
pinned=$(node -p "require('$api_docs/package.json').dependencies['swagger-ui-dist']")
installed=$(node -p "try { require('$api_docs/node_modules/swagger-ui-dist/package.json').version } catch { '' }")
if [ "$pinned" != "$installed" ]; then
  echo "Installing swagger-ui-dist $pinned (npm) into $api_docs/node_modules"
  (cd "$api_docs" && npm ci --ignore-scripts --no-audit --no-fund)
fi
