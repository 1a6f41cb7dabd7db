#!/usr/bin/env bash
# The captures product (docs/benchmarks.md, "Captures"): card detection per 1280x960 photo, then captures end
# to end through the server with the shipped models (MoveNet Lightning, MediaPipe selfie): CAPTURES captures of
# three 1280x960 photos (front, side, portrait) posted at once, each timed from its POST until the API says
# completed; p50 and captures per minute.
# Usage: captures.sh BUILD_DIR [CAPTURES] [MODELS_DIR]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build_dir="${1:-build}"
captures="${2:-12}"
models_dir="${3:-$build_dir/models}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$build_dir/tests/bench/tyto_bench_captures" photos "$work"
"$build_dir/tests/bench/tyto_bench_captures" card "$work" 30
/usr/bin/python3 "$here/captures_e2e.py" "$build_dir" "$work" "$captures" "$here/../../config/models.json" "$models_dir"
