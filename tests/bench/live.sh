#!/usr/bin/env bash
# A live session's pipeline at 720p, the fast profile (tests/bench/live_bench.cpp): decode + detect + track on a
# 25 fps 1280x720 H.264 video of opencv-doc's vtest.avi (people walking), paced as a camera delivers it, with
# the shipped models: HOG people ("people") and NanoDet ("objects"). SECONDS per model (default 30); the RSS
# figure of docs/benchmarks.md is a 600 s run.
# Usage: live.sh BUILD_DIR [SECONDS] [MODELS_DIR]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build_dir="${1:-build}"
seconds="${2:-30}"
models_dir="${3:-$build_dir/models}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
ffmpeg -loglevel error -y -i /usr/share/doc/opencv-doc/examples/data/vtest.avi -vf scale=1280:720 -r 25 \
  -c:v libx264 -pix_fmt yuv420p -g 25 "$work/vtest720.mp4"
for model in objects people; do
  echo "-- model $model"
  "$build_dir/tests/bench/tyto_bench_live" "$work/vtest720.mp4" "$here/../../config/models.json" "$models_dir" \
    "$model" "$seconds" fast | tail -n 1
done
