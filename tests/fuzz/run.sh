#!/usr/bin/env bash
# Builds and runs Tyto's libFuzzer targets (clang's libFuzzer with AddressSanitizer and UBSan).
#   tests/fuzz/run.sh build BUILD_DIR                       configure (clang, -DTYTO_FUZZ=ON) and build them
#   tests/fuzz/run.sh run BUILD_DIR TARGET SECONDS [CORPUS]  fuzz one target for SECONDS on the committed
#                                                            seeds; new inputs go to CORPUS (kept) or to a
#                                                            scratch directory under BUILD_DIR (emptied first)
#   tests/fuzz/run.sh all BUILD_DIR SECONDS [CORPUS_ROOT]    build, then run every target in turn (or those
#                                                            FUZZ_TARGETS names), new inputs kept in
#                                                            CORPUS_ROOT/<target>
#   tests/fuzz/run.sh merge BUILD_DIR CORPUS_ROOT            add what CORPUS_ROOT/<target> covers beyond the
#                                                            committed seeds to tests/fuzz/corpus/<target>
#   tests/fuzz/run.sh targets                               list the targets
# A crash, a sanitizer report or a failed invariant fails the run; the input is saved under
# BUILD_DIR/artifacts/<target>/ and the log under BUILD_DIR/logs/<target>.log.
set -euo pipefail

SOURCE_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SEEDS="$SOURCE_DIR/tests/fuzz/corpus"
# Every tests/fuzz/fuzz_*.cpp is a target (tests/fuzz/CMakeLists.txt globs the same); FUZZ_TARGETS picks some.
if [ -n "${FUZZ_TARGETS:-}" ]; then
  read -r -a TARGETS <<<"$FUZZ_TARGETS"
else
  TARGETS=()
  for source in "$SOURCE_DIR"/tests/fuzz/fuzz_*.cpp; do TARGETS+=("$(basename "$source" .cpp)"); done
fi
# ccache hits across checkouts in different directories, as in the Makefile.
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$SOURCE_DIR}"
export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

usage() {
  sed -n '2,12p' "${BASH_SOURCE[0]}" >&2
  exit 2
}

build() {
  local dir="$1"
  if [ ! -f "$dir/build.ninja" ]; then
    cmake -S "$SOURCE_DIR" -B "$dir" -G Ninja -DTYTO_FUZZ=ON -DCMAKE_BUILD_TYPE=Debug \
      -DCMAKE_CXX_COMPILER="${FUZZ_CXX:-clang++}" >/dev/null
  fi
  cmake --build "$dir" -j "${JOBS:-$(nproc)}"
}

run_one() {
  local dir="$1" target="$2" seconds="$3" corpus="${4:-}"
  local binary="$dir/$target"
  [ -x "$binary" ] || { echo "$binary is not built (tests/fuzz/run.sh build $dir)" >&2; exit 1; }
  if [ -z "$corpus" ]; then
    corpus="$dir/scratch/$target"
    rm -rf "$corpus"
  fi
  mkdir -p "$corpus" "$dir/artifacts/$target" "$dir/logs"
  local args=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
              -artifact_prefix="$dir/artifacts/$target/")
  local dict="$SOURCE_DIR/tests/fuzz/dict/$target.dict"
  [ -f "$dict" ] && args+=(-dict="$dict")
  local log="$dir/logs/$target.log"
  echo "== $target: ${seconds}s on $(find "$SEEDS/$target" -type f | wc -l) seeds (log: $log)"
  local status=0
  "$binary" "${args[@]}" "$corpus" "$SEEDS/$target" >"$log" 2>&1 || status=$?
  if [ "$status" -ne 0 ]; then
    echo "$target FAILED (exit $status); the end of its log:" >&2
    tail -n 60 "$log" >&2
    echo "inputs that failed: $(ls "$dir/artifacts/$target")" >&2
    return "$status"
  fi
  # libFuzzer's own summary: executions, speed, coverage.
  grep -E '^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)|DONE|cov:' "$log" | tail -n 4
}

case "${1:-}" in
  build)
    [ $# -eq 2 ] || usage
    build "$2"
    ;;
  run)
    [ $# -ge 4 ] || usage
    run_one "$2" "$3" "$4" "${5:-}"
    ;;
  all)
    [ $# -ge 3 ] || usage
    build "$2"
    failed=0
    for target in "${TARGETS[@]}"; do
      run_one "$2" "$target" "$3" "${4:+$4/$target}" || failed=1
    done
    exit "$failed"
    ;;
  merge)
    [ $# -eq 3 ] || usage
    for target in "${TARGETS[@]}"; do
      [ -d "$3/$target" ] || continue
      "$2/$target" -merge=1 "$SEEDS/$target" "$3/$target"
    done
    ;;
  targets)
    printf '%s\n' "${TARGETS[@]}"
    ;;
  *) usage ;;
esac
