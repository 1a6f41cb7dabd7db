#!/usr/bin/env bash
# Runs the browser tests (console.spec.mjs, api_docs.spec.mjs) with node's test runner.
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
exec node --test --test-reporter=spec console.spec.mjs api_docs.spec.mjs products.spec.mjs
