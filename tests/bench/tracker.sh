#!/usr/bin/env bash
# The tracking pieces of the vision module (tests/bench/tracker_bench.cpp): tracker updates with 50
# detections per frame, zones and lines, the Hungarian method, motion regions at 720p. Usage: tracker.sh BUILD_DIR
set -euo pipefail
build_dir="${1:-build}"
"$build_dir/tests/bench/tyto_bench_tracker"
