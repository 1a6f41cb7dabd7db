#!/usr/bin/env bash
# The audio fingerprint benchmarks (issue "modules/fingerprint — audio"), on Battle for Wesnoth's soundtrack
# (Debian's wesnoth-1.16-music: 41 Ogg Vorbis tracks, 2.1 hours):
#   tests/bench/fingerprint_audio.sh BUILD_DIR
# - fingerprinting whole files as a multiple of real time: `tyto fingerprint --length 0` (all cores, and
#   pinned to one core) against `fpcalc -length 0` (one process, one core) on the same files, in the same
#   run, best of 3 each, interleaved
# - lookup of 10-second queries (MP3 64 kbit/s, cut at random offsets) against the whole soundtrack indexed
#   (tyto_bench_fingerprint_audio)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build_dir="$(realpath "${1:-build}")"
music=/usr/share/games/wesnoth/1.16/data/core/music
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

mapfile -t files < <(ls "$music"/*.ogg)
audio_s=$(for f in "${files[@]}"; do ffprobe -v error -show_entries format=duration -of csv=p=0 "$f"; done |
  awk '{s += $1} END {printf "%.1f", s}')
echo "== audio fingerprinting: ${#files[@]} files, ${audio_s} s of audio; load: $(cut -d' ' -f1-3 /proc/loadavg)"

once() {  # once COMMAND…: wall time of one run, in seconds
  local t0 t1
  t0=$(date +%s.%N)
  "$@" >/dev/null 2>&1
  t1=$(date +%s.%N)
  awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f", b - a}'
}
min() { awk -v a="$1" -v b="$2" 'BEGIN {print (a == "" || b < a) ? b : a}'; }
fpcalc_s="" tyto_s="" tyto1_s=""
for _ in 1 2 3; do
  # -ignore-errors: without it fpcalc 1.5.1 stops after the first Ogg file, whose end its FFmpeg 5 reader
  # takes for a read error (see tests/fingerprint_audio).
  fpcalc_s=$(min "$fpcalc_s" "$(once fpcalc -length 0 -ignore-errors "${files[@]}")")
  tyto_s=$(min "$tyto_s" "$(once "$build_dir/tyto" fingerprint --length 0 "${files[@]}")")
  tyto1_s=$(min "$tyto1_s" "$(once taskset -c 0 "$build_dir/tyto" fingerprint --length 0 "${files[@]}")")
done
for row in "fpcalc -length 0:$fpcalc_s" "tyto fingerprint --length 0 ($(nproc) cores):$tyto_s" \
  "tyto fingerprint --length 0 (1 core):$tyto1_s"; do
  name=${row%%:*}
  s=${row##*:}
  awk -v n="$name" -v s="$s" -v a="$audio_s" -v f="$fpcalc_s" \
    'BEGIN {printf "  %-44s %7.2f s  %6.0fx real time  %.2fx fpcalc\n", n, s, a / s, f / s}'
done

echo "== lookup: the soundtrack indexed, 20 queries of 10 s (MP3 64 kbit/s) at random offsets; load: $(cut -d' ' -f1-3 /proc/loadavg)"
"$build_dir/tyto" fingerprint index --db "$work/index.tfp" "${files[@]}" | tail -1
RANDOM=7
queries=()
for n in $(seq 20); do
  f=${files[$((RANDOM % ${#files[@]}))]}
  d=$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$f")
  off=$(awk -v d="$d" -v r="$RANDOM" 'BEGIN {m = d - 11; if (m < 0) m = 0; printf "%.2f", m * r / 32767}')
  ffmpeg -nostdin -v error -y -ss "$off" -t 10 -i "$f" -b:a 64k "$work/q$n.mp3"
  queries+=("$work/q$n.mp3")
done
"$build_dir/tests/bench/tyto_bench_fingerprint_audio" "$work/index.tfp" "${queries[@]}"
