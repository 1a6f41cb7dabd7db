#!/usr/bin/env bash
# The vision module (tests/bench/vision_bench.cpp): OCR of a 1280x800 screenshot-like image, contrast
# measurement per text node, faces, redaction, overlays. Usage: vision.sh BUILD_DIR
set -euo pipefail
build_dir="${1:-build}"
echo "-- OMP_THREAD_LIMIT=1 (as the image and make run set it)"
OMP_THREAD_LIMIT=1 "$build_dir/tests/bench/tyto_bench_vision"
echo "-- OpenMP unlimited (Tesseract's default)"
env -u OMP_THREAD_LIMIT "$build_dir/tests/bench/tyto_bench_vision" | grep OCR
