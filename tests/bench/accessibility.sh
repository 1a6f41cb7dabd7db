#!/usr/bin/env bash
# The accessibility auditor: a one-screen page (the browser bench's) served by python3 -m http.server on
# loopback; Tyto's render + axe-core (tyto_bench_accessibility) beside axe-core driven by playwright-core
# (tests/e2e's pinned package, installed here if missing) in the same Debian Chromium (the headless shell, which
# Tyto's renderer runs by default), with the same axe build.
#   tests/bench/accessibility.sh BUILD_DIR [ROUNDS]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build_dir="$(realpath "${1:-build}")"
rounds="${2:-20}"
site="$(mktemp -d)"
trap 'kill "$server" 2>/dev/null || true; rm -rf "$site"' EXIT
cat >"$site/index.html" <<'HTML'
<!doctype html><html lang="en"><head><meta charset="utf-8"><title>One screen</title>
<style>body{font:16px/1.5 sans-serif;margin:2rem;max-width:60rem} nav a{margin-right:1rem}
.hero{background:linear-gradient(#234,#456);color:#fff;padding:2rem} .cards{display:flex;gap:1rem}
.card{border:1px solid #ccc;padding:1rem;flex:1}</style></head>
<body><nav><a href="#">Home</a><a href="#">Products</a><a href="#">About</a><a href="#">Contact</a></nav>
<header class="hero"><h1>A one-screen page</h1><p>With a gradient, some cards and a form.</p></header>
<main><div class="cards"><div class="card"><h2>First</h2><p>Lorem ipsum dolor sit amet.</p></div>
<div class="card"><h2>Second</h2><p>Consectetur adipiscing elit.</p><img src="logo.svg" alt="Logo"></div>
<div class="card"><h2>Third</h2><p>Sed do eiusmod tempor.</p></div></div>
<form><label>Email <input type="email" name="email"></label><button>Subscribe</button></form></main>
</body></html>
HTML
cat >"$site/logo.svg" <<'SVG'
<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><circle cx="32" cy="32" r="30" fill="#c33"/></svg>
SVG
port=$((20000 + RANDOM % 20000))
python3 -m http.server "$port" --bind 127.0.0.1 --directory "$site" >/dev/null 2>&1 &
server=$!
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/" >/dev/null && break; sleep 0.1; done
if [ ! -d "$here/../e2e/node_modules/playwright-core" ]; then
  (cd "$here/../e2e" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund >/dev/null)
fi
echo "== accessibility: one-screen page, $(chromium --version 2>/dev/null | head -1)"
echo "== load before: $(cut -d' ' -f1-3 /proc/loadavg)"
"$build_dir/tests/bench/tyto_bench_accessibility" "http://127.0.0.1:$port/" "$rounds"
node "$here/accessibility_playwright.mjs" "http://127.0.0.1:$port/" \
  "$here/../../src/products/accessibility/axe/node_modules/axe-core/axe.min.js" "$rounds"
echo "== load after: $(cut -d' ' -f1-3 /proc/loadavg)"
