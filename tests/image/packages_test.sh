#!/usr/bin/env bash
# The image and `make run` install the same packages (ctest: image.packages, label unit).
#   tests/image/packages_test.sh SOURCE_DIR TYTO_BINARY
# Fails when
#   - the Dockerfile installs packages other than through scripts/setup.sh from scripts/packages/build.txt
#     (build stage) and runtime.txt (runtime stage), or fetches the npm assets another way;
#   - runtime.txt names a package this machine has not installed (setup.sh build installs every one);
#   - the server binary loads a shared library that no package of runtime.txt provides, directly or through
#     what it depends on, and that the base image does not hold (Essential or Priority: required packages):
#     a library a product links must reach the image through runtime.txt.
set -euo pipefail

SOURCE_DIR=$1
BINARY=$2
DOCKERFILE="$SOURCE_DIR/Dockerfile"
failures=0
fail() {
  echo "FAIL: $*"
  failures=$((failures + 1))
}

# The Dockerfile's stages, split at FROM lines.
build_stage=$(awk '/^FROM /{n++} n==1' "$DOCKERFILE")
runtime_stage=$(awk '/^FROM /{n++} n==2' "$DOCKERFILE")
[ "$(grep -c '^FROM ' "$DOCKERFILE")" -eq 2 ] || fail "the Dockerfile should have two stages (build, runtime)"
if grep -nE '^[^#]*(apt-get|apt |aptitude|dpkg -i|npm (ci|install))' "$DOCKERFILE"; then
  fail "the Dockerfile installs packages itself; it must go through scripts/setup.sh and scripts/packages/"
fi
grep -q 'setup.sh packages build$\|setup.sh packages build ' <<<"$build_stage" ||
  fail "the build stage does not run 'scripts/setup.sh packages build'"
grep -q 'setup.sh assets' <<<"$build_stage" || fail "the build stage does not run 'scripts/setup.sh assets'"
grep -q 'setup.sh packages runtime' <<<"$runtime_stage" ||
  fail "the runtime stage does not run 'scripts/setup.sh packages runtime'"
grep -q 'COPY scripts/packages/runtime.txt' <<<"$runtime_stage" ||
  fail "the runtime stage does not copy scripts/packages/runtime.txt"

runtime=$(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$SOURCE_DIR/scripts/packages/runtime.txt" | tr -d ' \t')
[ -n "$runtime" ] || fail "runtime.txt names no package"
for pkg in $runtime; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" ||
    fail "runtime.txt names $pkg, which is not installed here (scripts/setup.sh build installs it)"
done

# Everything the runtime packages bring, and what every Debian 12 image already holds.
# shellcheck disable=SC2086
closure=$(apt-cache depends --recurse --installed --no-recommends --no-suggests --no-conflicts --no-breaks \
  --no-replaces --no-enhances $runtime 2>/dev/null | grep -v '^ ' | sed 's/:.*//' | sort -u)
base=$(dpkg-query -W -f='${Package} ${Essential} ${Priority}\n' | awk '$2 == "yes" || $3 == "required" {print $1}')

[ -x "$BINARY" ] || { echo "FAIL: $BINARY is not built"; exit 1; }
libs=$(ldd "$BINARY" | awk '/=> \// {print $3} /^\t\/[^ ]+ \(/ {print $1}' | sort -u)
[ -n "$libs" ] || fail "ldd found no shared libraries in $BINARY"

# Each library's candidate paths: dpkg knows some by their /usr path, some by the /lib one, some only by
# the file a symlink names. One dpkg -S call answers for all of them.
declare -A owner_of
candidates() {
  local path=$1
  echo "$path"
  case "$path" in
    /usr/lib/*) echo "${path#/usr}" ;;
    /lib/*) echo "/usr$path" ;;
  esac
  readlink -f "$path"
}
mapfile -t all_paths < <(for lib in $libs; do candidates "$lib"; done | sort -u)
while IFS= read -r line; do
  owner_of["${line#*: }"]=${line%%:*}
done < <(dpkg -S "${all_paths[@]}" 2>/dev/null | grep -v '^diversion')

checked=0
for lib in $libs; do
  pkg=""
  while read -r path; do
    if [ -n "${owner_of[$path]:-}" ]; then
      pkg=${owner_of[$path]}
      break
    fi
  done < <(candidates "$lib")
  if [ -z "$pkg" ]; then
    fail "$lib (loaded by the server) belongs to no Debian package"
    continue
  fi
  checked=$((checked + 1))
  if ! grep -qx "$pkg" <<<"$closure" && ! grep -qx "$pkg" <<<"$base"; then
    fail "the server loads $lib from $pkg, which scripts/packages/runtime.txt does not bring into the image"
  fi
done
echo "checked $checked shared libraries of $(basename "$BINARY") against $(wc -w <<<"$runtime") runtime packages"
[ "$failures" -eq 0 ]
