#!/usr/bin/env bash
# The music catalog end to end (docs/benchmarks.md, "Music catalog"): snippet lookups through the API (fresh and
# cached) beside fpcalc, map generation as a multiple of real time beside aubio, billing webhook events per second.
# Usage: music.sh BUILD_DIR [SONGS] [LOOKUPS] [EVENTS]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
/usr/bin/python3 "$here/music_e2e.py" "${1:-build}" "${2:-20}" "${3:-20}" "${4:-400}"
