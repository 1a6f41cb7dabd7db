// The reference for tests/bench/accessibility.sh: axe-core driven by playwright-core (tests/e2e's, pinned) in
// the same Debian Chromium, on the same page, with the same axe build Tyto compiles in and the same selection
// (every rule). A warm browser, a fresh context per scan, as Tyto's pool does.
//   node accessibility_playwright.mjs URL AXE_MIN_JS [ROUNDS]
import {createRequire} from 'node:module';
import {readFileSync} from 'node:fs';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';

const require = createRequire(join(dirname(fileURLToPath(import.meta.url)), '../e2e/package.json'));
const {chromium} = require('playwright-core');
const [url, axePath, roundsText] = process.argv.slice(2);
const rounds = Number(roundsText || 20);
const axeSource = readFileSync(axePath, 'utf8');

const runAxe = async () => {
  const ids = axe.getRules().map((r) => r.ruleId);
  const res = await axe.run(document, {runOnly: {type: 'rule', values: ids}, resultTypes: ['violations', 'incomplete']});
  return res.violations.reduce((n, r) => n + r.nodes.length, 0) + res.incomplete.reduce((n, r) => n + r.nodes.length, 0);
};

async function scan(browser, {waitUntil, screenshot}) {
  const context = await browser.newContext({viewport: {width: 1280, height: 800}});
  try {
    const page = await context.newPage();
    await page.goto(url, {waitUntil});
    if (screenshot) await page.screenshot({fullPage: true});
    await page.addScriptTag({content: axeSource});
    return await page.evaluate(runAxe);
  } finally {
    await context.close();
  }
}

async function sequential(browser, options, what) {
  const times = [];
  let issues = 0;
  for (let i = 0; i < rounds; ++i) {
    const start = performance.now();
    issues = await scan(browser, options);
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  const f = (v) => v.toFixed(1).padStart(7);
  console.log(`${what.padEnd(52)} median ${f(times[times.length >> 1])} ms   p90 ${f(times[Math.floor(times.length * 0.9)])} ms   min ${f(times[0])} ms   (${rounds} scans, ${issues} issues)`);
}

async function throughput(browsers, options, what) {
  let done = 0;
  const failures = [];  // a scan that throws (Playwright's screenshot once did) is reported, not counted
  const start = performance.now();
  const until = start + 10_000;
  await Promise.all(browsers.map(async (b) => {
    while (performance.now() < until) {
      try {
        await scan(b, options);
        ++done;
      } catch (e) {
        failures.push(String(e.message || e).split('\n')[0]);
      }
    }
  }));
  for (const f of failures) console.log(`  failed: ${f}`);
  const seconds = (performance.now() - start) / 1000;
  console.log(`${what.padEnd(52)} ${(done * 60 / seconds).toFixed(1).padStart(7)} scans/min (${done} in ${seconds.toFixed(1)} s, ${browsers.length} browsers)`);
}

// The same binary as Tyto's renderer: Debian's headless shell (Playwright's own default for headless runs);
// CHROMIUM=/usr/bin/chromium measures the full browser in --headless=new mode instead.
const executablePath = process.env.CHROMIUM || '/usr/lib/chromium/chromium-headless-shell';
const launch = () => chromium.launch({executablePath, args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu']});
const browsers = [await launch(), await launch()];
console.log(`== playwright-core + axe-core (Node.js), ${executablePath}`);
for (const b of browsers) await scan(b, {waitUntil: 'load', screenshot: true});
await sequential(browsers[0], {waitUntil: 'networkidle', screenshot: true}, 'scan: goto networkidle + screenshot + axe (all)');
await sequential(browsers[0], {waitUntil: 'load', screenshot: true}, 'scan: goto load + screenshot + axe (all)');
await sequential(browsers[0], {waitUntil: 'load', screenshot: false}, 'load + axe (all rules), no screenshot');
await throughput(browsers, {waitUntil: 'networkidle', screenshot: true}, 'throughput: networkidle + screenshot + axe');
await throughput(browsers, {waitUntil: 'load', screenshot: true}, 'throughput: load + screenshot + axe');
for (const b of browsers) await b.close();
