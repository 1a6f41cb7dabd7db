#!/usr/bin/env bash
# Image fingerprints (modules/fingerprint): hashes/s on Debian's opencv-doc sample JPEGs, decode included,
# next to a PIL + numpy peer in the same run; Hamming search over 1,000,000 hashes next to a numpy scan.
#   tests/bench/fingerprint.sh BUILD_DIR [ROUNDS]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build_dir="$(realpath "${1:-build}")"
rounds="${2:-5}"
photos=(/usr/share/doc/opencv-doc/examples/data/*.jpg)
echo "== load before: $(cut -d' ' -f1-3 /proc/loadavg)"
"$build_dir/tests/bench/tyto_bench_fingerprint" "$rounds" "${photos[@]}"
/usr/bin/python3 "$here/fingerprint_peer.py" hashes "$rounds" "${photos[@]}"
/usr/bin/python3 "$here/fingerprint_peer.py" search
echo "== load after: $(cut -d' ' -f1-3 /proc/loadavg)"
