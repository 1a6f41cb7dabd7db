#!/usr/bin/env bash
# The captures product's measurement sheets (tests/bench/captures_sheet_bench.cpp): PDF export per sheet (p50, p95,
# sheets/s on one thread and on every core) and CSV. Usage: captures_sheet.sh BUILD_DIR [SECONDS]
set -euo pipefail
build_dir="${1:-build}"
"$build_dir/tests/bench/tyto_bench_captures_sheet" "${2:-3}"
