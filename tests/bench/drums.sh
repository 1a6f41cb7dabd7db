#!/usr/bin/env bash
# Drum-map generation (modules/drums) as a multiple of real time on a synthesised three-minute song, with
# Debian's aubio (aubio-tools, bench.txt) on the same WAV as a peer in the same run: `aubio onset` (onsets
# only) and `aubio tempo` (beats only) against tyto's whole chain (HPSS, onsets, tempo, transcription).
# Onset F-measures (±50 ms) against the song's true hits, best of 3, one core each:
#   tests/bench/drums.sh BUILD_DIR
set -euo pipefail
build_dir="$(realpath "${1:-build}")"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "== drum maps: a synthesised 3:00 song (120 BPM, 22050 Hz); load: $(cut -d' ' -f1-3 /proc/loadavg)"
printf "  %-34s %9s %8s\n" "" "best" "x real"
taskset -c 0 "$build_dir/tests/bench/tyto_bench_drums" "$work" 3 >"$work/tyto.txt"
audio_s=$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$work/song.wav")
if command -v aubio >/dev/null; then
  best() {  # best NAME COMMAND…: the best wall time of three runs, the last run's output in $work/NAME.out
    local name=$1 b=""
    shift
    for _ in 1 2 3; do
      /usr/bin/time -f "%e" -o "$work/time" taskset -c 0 "$@" >"$work/$name.out" 2>/dev/null
      t=$(cat "$work/time")
      if [ -z "$b" ] || awk -v a="$t" -v b="$b" 'BEGIN {exit !(a < b)}'; then b=$t; fi
    done
    echo "$b"
  }
  onset_s=$(best onset aubio onset -i "$work/song.wav")
  tempo_s=$(best tempo aubio tempo -i "$work/song.wav")
  python3 - "$work" "$audio_s" "$onset_s" "$tempo_s" <<'PY'
import sys
work, audio, onset_s, tempo_s = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
def times(path):
    out = []
    for line in open(path):
        try:
            out.append(float(line.split()[0]))
        except (ValueError, IndexError):
            pass
    return out
truth, found = times(f"{work}/onsets.txt"), times(f"{work}/onset.out")
used, hits = set(), 0
for t in truth:
    best = min((j for j, f in enumerate(found) if abs(f - t) <= 0.05 and j not in used), key=lambda j: abs(found[j] - t), default=None)
    if best is not None:
        used.add(best)
        hits += 1
p, r = hits / max(1, len(found)), hits / max(1, len(truth))
f = 2 * p * r / (p + r) if hits else 0
# aubio tempo prints "58.72 bpm" (aubio 0.4.9).
bpm = next((float(l.split()[0]) for l in open(f"{work}/tempo.out") if l.strip().endswith("bpm")), 0.0)
print(f"  {'aubio onset (default: hfc)':<34} {onset_s:8.2f}s {audio / onset_s:7.0f}x   onsets F {f:.3f}")
print(f"  {'aubio tempo':<34} {tempo_s:8.2f}s {audio / tempo_s:7.0f}x   bpm {bpm:.2f} (true: 120)")
PY
else
  echo "  aubio: not installed (aubio-tools, scripts/packages/bench.txt); the peer is left out"
fi
cat "$work/tyto.txt"
