#!/usr/bin/env bash
# Runs the browser tests with node's test runner: the specs named as arguments, or by default the platform's
# (console.spec.mjs, api_docs.spec.mjs, products.spec.mjs); brand_protection.spec.mjs, accessibility.spec.mjs, live.spec.mjs,
# captures.spec.mjs and music.spec.mjs run as ctests of their own.
#   TYTO_BINARY              the server to test (default: build-dev/tyto of this checkout)
#   CHROMIUM                 the browser (default: /usr/bin/chromium, Debian's `chromium`)
#   TYTO_CONSOLE_ASSETS_DIR  serve the console from disk, to test edits without a rebuild
# Installs playwright-core with `npm ci` on first use; Playwright's own browser download is never used.
set -euo pipefail
cd "$(dirname "$0")"

for tool in node npm; do
  if ! command -v "$tool" >/dev/null; then
    echo "e2e: $tool is missing (scripts/setup.sh test installs it)" >&2
    exit 1
  fi
done

export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
if [ ! -d node_modules/playwright-core ]; then
  npm ci --no-audit --no-fund
fi
# The specs named on the command line, or the platform's.
if [ "$#" -eq 0 ]; then
  set -- console.spec.mjs api_docs.spec.mjs products.spec.mjs
fi
exec node --test --test-reporter=spec "$@"
