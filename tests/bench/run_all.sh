#!/usr/bin/env bash
# Runs every benchmark against the binary in BUILD_DIR (default: build). Results go to stdout;
# copy the figures into docs/benchmarks.md with the machine they were taken on.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build_dir="${1:-build}"
echo "== machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -r)"
# wrk takes one of this machine's two cores, so the headline figure uses one I/O thread; the
# default (one per core) is measured too, to show what contention with the load generator costs.
TYTO_BENCH_IO_THREADS=1 "$here/http_health.sh" "$build_dir/tyto"
TYTO_BENCH_IO_THREADS=0 "$here/http_health.sh" "$build_dir/tyto"
TYTO_BENCH_IO_THREADS=1 TYTO_BENCH_ACCESS_LOG=false "$here/http_health.sh" "$build_dir/tyto"
"$here/jobs.sh" "$build_dir"
"$here/jobs_peer.sh"
"$here/auth.sh" "$build_dir"
"$here/uploads.sh" "$build_dir"
"$here/fingerprint_audio.sh" "$build_dir"
"$here/speech.sh" "$build_dir"
"$here/fingerprint.sh" "$build_dir"
"$here/scoring.sh" "$build_dir"
"$here/vision.sh" "$build_dir"
"$here/tracker.sh" "$build_dir"
"$here/detect.sh" "$build_dir"
"$here/brand_scan.py" "$build_dir"
"$here/browser.sh" "$build_dir"
"$here/accessibility.sh" "$build_dir"
"$here/accessibility_e2e.py" "$build_dir"
"$here/live.sh" "$build_dir"
"$here/media.sh" "$build_dir"
"$here/captures_sheet.sh" "$build_dir"
"$here/captures.sh" "$build_dir"
"$here/music_webhooks.sh" "$build_dir"
"$here/music.sh" "$build_dir"
"$here/drums.sh" "$build_dir"
