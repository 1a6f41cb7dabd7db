#!/usr/bin/env bash
# Detector latency per frame per model (tests/bench/detect_bench.cpp) on a 1280x720 frame of opencv-doc's
# vtest.avi: the shipped models of config/models.json (HOG people, the face cascade, BlazeFace when set-up has
# installed it under MODELS_DIR), and the tests' tiny YOLO models (TorchScript and ONNX at 320x320: what
# letterboxing, the runtimes' call overhead and decoding cost, not a real network's arithmetic).
# Usage: detect.sh BUILD_DIR [MODELS_DIR]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build_dir="${1:-build}"
models_dir="${2:-$build_dir/models}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
ffmpeg -loglevel error -y -ss 5 -i /usr/share/doc/opencv-doc/examples/data/vtest.avi -frames:v 1 -vf scale=1280:720 \
  "$work/frame.png"
echo "-- shipped models (config/models.json, models_dir $models_dir)"
"$build_dir/tests/bench/tyto_bench_detect" "$here/../../config/models.json" "$models_dir" "$work/frame.png"
/usr/bin/python3 "$here/../vision/detect/make_models.py" "$work/tiny" >/dev/null 2>&1
cat >"$work/tiny.json" <<JSON
[{"name": "tiny-v5.pt", "kind": "torchscript", "format": "yolov5", "path": "tiny/yolov5.pt", "classes": "tiny/classes.txt", "input_size": [320, 320]},
 {"name": "tiny-v8.onnx", "kind": "onnx", "format": "yolov8", "path": "tiny/yolov8.onnx", "classes": "tiny/classes.txt", "input_size": [320, 320]}]
JSON
echo "-- the tests' tiny YOLO models (320x320 input: overhead of letterbox, runtime call and decoding)"
"$build_dir/tests/bench/tyto_bench_detect" "$work/tiny.json" "$models_dir" "$work/frame.png"
