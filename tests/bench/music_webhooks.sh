#!/usr/bin/env bash
# The music catalog's billing webhooks (tests/bench/music_webhooks_bench.cpp): Stripe signature verification, and
# verification + parse, per second; beside it in the same run, Python's hmac module verifying the same payloads
# (tests/bench/music_webhooks_peer.py) and OpenSSL's own HMAC-SHA256 speed at the payloads' size.
#   tests/bench/music_webhooks.sh BUILD_DIR [SECONDS]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build_dir="$(realpath "${1:-build}")"
seconds="${2:-3}"
payloads="$(mktemp)"
trap 'rm -f "$payloads"' EXIT
echo "== load before: $(cut -d' ' -f1-3 /proc/loadavg)"
"$build_dir/tests/bench/tyto_bench_music_webhooks" "$seconds" --write "$payloads"
/usr/bin/python3 "$here/music_webhooks_peer.py" "$payloads" "$seconds"
size="$(python3 -c 'import json,sys; f=open(sys.argv[1]); f.readline(); b=[len(json.loads(l)["body"]) for l in f]; print(sum(b)//len(b))' "$payloads")"
echo "openssl speed -hmac sha256 at ${size} bytes (HMAC alone, no header parsing):"
openssl speed -seconds "$seconds" -bytes "$size" -hmac sha256 2>/dev/null | tail -1
echo "== load after: $(cut -d' ' -f1-3 /proc/loadavg)"
