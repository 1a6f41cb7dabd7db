#!/usr/bin/env bash
# Checks the tracked C++ sources against the committed .clang-format without changing them; `make format`
# fixes what it reports. Used by `make format-check` and the ctest test format.check (label unit).
set -euo pipefail
cd "$(dirname "$0")/.."
git ls-files -z '*.cpp' '*.hpp' | xargs -0 clang-format --dry-run --Werror
