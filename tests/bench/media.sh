#!/usr/bin/env bash
# The media module (tests/bench/media_bench.cpp): H.264 decoding to RGB at 720p and 1080p -> 720p with one and two
# decoder threads, and remuxing a clip from the clip buffer. Usage: media.sh BUILD_DIR
set -euo pipefail
build_dir="${1:-build}"
"$build_dir/tests/bench/tyto_bench_media"
