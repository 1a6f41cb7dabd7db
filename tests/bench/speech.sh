#!/usr/bin/env bash
# Speech recognition (modules/audio, pocketsphinx en-us) as a multiple of real time, and its word error rate,
# on the ten sentences of tests/audio synthesised with espeak-ng:
#   tests/bench/speech.sh BUILD_DIR
set -euo pipefail
build_dir="$(realpath "${1:-build}")"
echo "== speech recognition: 10 sentences (espeak-ng en-us+klatt2, 140 wpm); load: $(cut -d' ' -f1-3 /proc/loadavg)"
"$build_dir/tests/bench/tyto_bench_speech" "${TYTO_BENCH_SPEECH_REPEATS:-3}"
