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

mapfile -t files < <(ls "$music"/*.ogg | head -n "${TYTO_BENCH_AUDIO_FILES:-1000}")  # fewer files: a quick try
audio_s=$(for f in "${files[@]}"; do ffprobe -v error -show_entries format=duration -of csv=p=0 "$f"; done |
  awk '{s += $1} END {printf "%.1f", s}')
echo "== audio fingerprinting: ${#files[@]} files, ${audio_s} s of audio; load: $(cut -d' ' -f1-3 /proc/loadavg)"

once() {  # once COMMAND…: "WALL CPU" seconds of one run (CPU: user + system of it and its children)
  /usr/bin/time -f "%e %U %S" -o "$work/time" "$@" >/dev/null 2>&1 || true
  awk '{printf "%.3f %.3f\n", $1, $2 + $3}' "$work/time"
}
declare -A wall cpu
names=(fpcalc tyto tyto1)
for _ in 1 2 3; do  # interleaved, best of 3
  for name in "${names[@]}"; do
    case $name in
      # -ignore-errors: without it fpcalc 1.5.1 stops after the first Ogg file, whose end its FFmpeg 5 reader
      # takes for a read error (see tests/fingerprint_audio).
      fpcalc) read -r w c < <(once fpcalc -length 0 -ignore-errors "${files[@]}") ;;
      tyto) read -r w c < <(once "$build_dir/tyto" fingerprint --length 0 "${files[@]}") ;;
      tyto1) read -r w c < <(once taskset -c 0 "$build_dir/tyto" fingerprint --length 0 "${files[@]}") ;;
    esac
    if [ -z "${wall[$name]:-}" ] || awk -v a="$w" -v b="${wall[$name]}" 'BEGIN {exit !(a < b)}'; then
      wall[$name]=$w
      cpu[$name]=$c
    fi
  done
done
label() {
  case $1 in
    fpcalc) echo "fpcalc -length 0" ;;
    tyto) echo "tyto fingerprint --length 0 ($(nproc) cores)" ;;
    tyto1) echo "tyto fingerprint --length 0 (1 core)" ;;
  esac
}
printf "  %-40s %9s %9s %10s %8s\n" "" "wall" "x real" "x fpcalc" "CPU s"
for name in "${names[@]}"; do
  awk -v n="$(label "$name")" -v s="${wall[$name]}" -v c="${cpu[$name]}" -v a="$audio_s" -v f="${wall[fpcalc]}" \
    'BEGIN {printf "  %-40s %8.2fs %8.0fx %9.2fx %8.2f\n", n, s, a / s, f / s, c}'
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
