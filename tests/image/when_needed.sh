#!/usr/bin/env bash
# The last step of `make test`: runs tests/image/image_test.sh when TYTO_IMAGE_TEST=1, or when what the image
# is made from (tests/image/inputs_hash.sh) changed since the last green image test recorded in
# BUILD_DIR/image-test.ok (a fresh build directory has none). TYTO_IMAGE_TEST=0 skips it, and says so.
#   tests/image/when_needed.sh BUILD_DIR
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
build_dir=$1
case "${TYTO_IMAGE_TEST:-}" in
  1) exec "$here/image_test.sh" "$build_dir" ;;
  0) echo "image-test: skipped (TYTO_IMAGE_TEST=0)"; exit 0 ;;
esac
current=$("$here/inputs_hash.sh")
if [ -f "$build_dir/image-test.ok" ] && [ "$(cat "$build_dir/image-test.ok")" = "$current" ]; then
  echo "image-test: skipped, nothing the image is made from changed since its last green run (TYTO_IMAGE_TEST=1 runs it)"
  exit 0
fi
exec "$here/image_test.sh" "$build_dir"
