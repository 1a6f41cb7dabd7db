// The accessibility auditor's console pages, end to end: the real `tyto` (which includes the product) on a fresh
// SQLite data directory, driven in Debian's Chromium, scanning a small page that this spec serves on loopback
// with node's http module (the server allows 127.0.0.1 through its outbound guard). A user signs in, starts a
// scan from the console and watches its issues arrive over the scan's WebSocket, sees every issue's box drawn on
// the screenshot where the element is, hovers issues and boxes, filters, opens an issue's evidence, exports the
// CSV, and compares a second scan of the page (one issue fixed, one new) with the first; a browser without
// WebSockets follows a third scan by polling. The tests run in order in one tab and build on each other.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startServer, stopServer } from './server.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const BINARY = process.env.TYTO_BINARY || resolve(HERE, '../../build-dev/tyto');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const ADMIN_EMAIL = 'admin@localhost';
const ADMIN_PASSWORD = 'correct horse battery staple';
const API_KEY = 'tyto_testadminkeyaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaq';
const SLOW_MS = 2500;  // the scanned page's one slow picture keeps the scan running while the console connects

// The scanned page. Known violations: an image without alt (image-alt, critical), grey #999999 text on white at
// 2.85:1 (color-contrast, serious), a text input without a label (label, critical), a button without a name
// (button-name, critical). Once `fixed` is set (the second scan), the image has its alt and a link without a
// name appears (link-name, serious): one fixed, one new, the rest unchanged.
const site = { fixed: false };
function scannedPage() {
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Shop checkout</title>
<style>body { font: 16px/1.5 sans-serif; margin: 0; } main { padding: 16px; } p, form { margin: 0 0 16px; }
#missing-alt { display: block; margin-bottom: 400px; } #low-contrast { color: #999999; background: #ffffff; }</style></head>
<body><header><p>Checkout</p></header><main><h1>Your basket</h1>
<img id="missing-alt" src="/photo.svg" width="120" height="80"${site.fixed ? ' alt="A red box"' : ''}>
<img src="/slow.svg" alt="A slow blue box" width="40" height="40">
<p id="low-contrast">Delivery in three to five working days.</p>
<form action="/nowhere"><input id="unlabelled" type="text"> <button id="empty-button" type="button"></button></form>
${site.fixed ? '<p><a id="empty-link" href="/terms"></a></p>' : ''}
</main><footer><p>Shop footer</p></footer></body></html>`;
}
const svg = (colour) => `<svg xmlns="http://www.w3.org/2000/svg" width="120" height="80"><rect width="120" height="80" fill="${colour}"/></svg>`;

let workDir;
let server;
let site_server;
let base;
let pageUrl;
let browser;
let page;
let keepWorkDir = false;
const problems = [];
const sockets = [];  // {url, frames: [parsed messages received]}
const state = {};    // what one test leaves for the next: scan ids

async function step(name, fn) {
  try {
    await fn();
  } catch (err) {
    keepWorkDir = true;
    const shot = join(workDir, `${name.replace(/\W+/g, '-')}.png`);
    await page?.screenshot({ path: shot, fullPage: true }).catch(() => {});
    console.error(`screenshot: ${shot}\nserver log (tail):\n${server?.log.slice(-30).join('\n')}`);
    throw err;
  }
}

async function callApi(path, { method = 'GET', body, status = 200 } = {}) {
  const headers = { Authorization: `Bearer ${API_KEY}` };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(`${base}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  assert.equal(res.status, status, `${method} ${path}`);
  return res.json();
}

// Waits (without a deadline of its own: the test's timeout bounds it) until a scan has finished.
async function finished(id) {
  for (;;) {
    const s = await callApi(`/api/v1/scans/${id}`);
    if (s.status === 'succeeded' || s.status === 'failed') return s;
    await new Promise((r) => setTimeout(r, 200));
  }
}

const visibleRules = () => page.$$eval('[data-testid=a11y-issue]:not([hidden])', (rows) => rows.map((r) => r.dataset.rule));
const visibleImpacts = () => page.$$eval('[data-testid=a11y-issue]:not([hidden])', (rows) => rows.map((r) => r.dataset.impact));
const issueRow = (rule) => page.locator(`[data-testid=a11y-issue][data-rule="${rule}"]`).first();

before(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'tyto-e2e-a11y-'));
  site_server = createServer((req, res) => {
    if (req.url === '/photo.svg') {
      res.writeHead(200, { 'Content-Type': 'image/svg+xml' }).end(svg('#c0392b'));
    } else if (req.url === '/slow.svg') {
      setTimeout(() => res.writeHead(200, { 'Content-Type': 'image/svg+xml' }).end(svg('#2f5fb3')), SLOW_MS);
    } else if (req.url === '/checkout') {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(scannedPage());
    } else {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not here');
    }
  });
  await new Promise((r) => site_server.listen(0, '127.0.0.1', r));
  pageUrl = `http://127.0.0.1:${site_server.address().port}/checkout`;
  const started = await startServer(BINARY, workDir, {
    TYTO_AUTH_ADMIN_EMAIL: ADMIN_EMAIL,
    TYTO_AUTH_ADMIN_PASSWORD: ADMIN_PASSWORD,
    TYTO_AUTH_BOOTSTRAP_API_KEY: API_KEY,
    TYTO_AUTH_ARGON2_OPS: '1',
    TYTO_AUTH_ARGON2_MEM_MIB: '8',
    TYTO_OUTBOUND_ALLOW: '127.0.0.1/32',
    TYTO_MODULES_BROWSER_POOL_SIZE: '1',
  });
  server = started.child;
  base = `http://127.0.0.1:${started.port}`;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-sync'],
  });
  page = await browser.newPage({ viewport: { width: 1400, height: 1000 }, acceptDownloads: true });
  page.setDefaultTimeout(Number(process.env.E2E_TIMEOUT_MS || 60_000));
  page.on('pageerror', (err) => problems.push(`uncaught: ${err.message}`));
  page.on('console', (msg) => { if (msg.type() === 'error') problems.push(`console: ${msg.text()}`); });
  page.on('websocket', (ws) => {
    const entry = { url: ws.url(), frames: [] };
    sockets.push(entry);
    ws.on('framereceived', (f) => { try { entry.frames.push(JSON.parse(f.payload)); } catch { /* not JSON */ } });
  });
});

after(async () => {
  await browser?.close();
  await stopServer(server);
  await new Promise((r) => (site_server ? site_server.close(r) : r()));
  if (workDir && !keepWorkDir) await rm(workDir, { recursive: true, force: true });
  else if (workDir) console.error(`kept ${workDir}`);
});

test('a signed-in user starts a scan of a local page from the console and watches its issues arrive', async () => {
  await step('start-scan', async () => {
    await page.goto(`${base}/#/login`);
    await page.fill('[data-testid=login-email]', ADMIN_EMAIL);
    await page.fill('[data-testid=login-password]', ADMIN_PASSWORD);
    await page.click('[data-testid=login-submit]');
    const link = page.locator('[data-testid="nav-accessibility.scans"]');
    await link.waitFor();
    assert.equal(await page.locator('[data-testid=nav-group-accessibility]').textContent(), 'Accessibility');
    assert.equal(await page.locator('[data-testid="nav-accessibility.projects"]').textContent(), 'Projects');
    await link.click();

    await page.fill('[data-testid=a11y-start-url]', pageUrl);
    await page.fill('[data-testid=a11y-start-width]', '1024');
    await page.fill('[data-testid=a11y-start-height]', '700');
    await page.click('[data-testid=a11y-start-submit]');
    await page.waitForFunction(() => /[?&]scan=/.test(location.hash));
    state.first = new URLSearchParams((await page.evaluate(() => location.hash)).split('?')[1]).get('scan');

    // The issues come over the scan's WebSocket while it runs, then the scan finishes.
    await issueRow('image-alt').waitFor();
    await page.locator('[data-testid=a11y-scan-status]', { hasText: 'succeeded' }).waitFor();
    const stream = sockets.find((s) => s.url.includes(`/ws/scans/${state.first}`));
    assert.ok(stream, `a WebSocket to the scan's stream (${sockets.map((s) => s.url).join(', ')})`);
    const found = stream.frames.filter((f) => f.type === 'issue.found').map((f) => f.data.rule);
    for (const rule of ['image-alt', 'color-contrast', 'label', 'button-name']) assert.ok(found.includes(rule), `${rule} arrived live (${found})`);

    const scan = await callApi(`/api/v1/scans/${state.first}`);
    state.firstScan = scan;
    assert.equal(scan.status, 'succeeded');
    assert.deepEqual(scan.request.viewport, { width: 1024, height: 700, mobile: false });
    // Every issue of the scan is listed once, and the counts and score are the scan's.
    assert.equal(await page.locator('[data-testid=a11y-issue]').count(), scan.issues.length);
    for (const impact of ['critical', 'serious']) {
      assert.equal(await page.locator(`[data-testid=a11y-count-${impact}] strong`).textContent(), String(scan.summary.by_impact[impact] ?? 0));
    }
    assert.equal(await page.locator('[data-testid=a11y-scan-score]').textContent(), String(scan.score));
  });
});

test('every issue with a box has it drawn where its element is on the screenshot', async () => {
  await step('boxes', async () => {
    await page.locator('[data-testid=a11y-shot-wrap][data-ready=true]').waitFor();
    const shot = page.locator('[data-testid=a11y-screenshot]');
    assert.match(await shot.getAttribute('src'), /^blob:/);
    const withBox = state.firstScan.issues.filter((i) => i.bbox && i.bbox.width > 0 && i.bbox.height > 0);
    assert.equal(await page.locator('[data-testid=a11y-box]').count(), withBox.length);

    // The screenshot is shown narrower than the page (1024 CSS px): the boxes scale with it.
    const img = await shot.boundingBox();
    const natural = await shot.evaluate((el) => el.naturalWidth);
    const scale = img.width / natural;
    assert.ok(scale < 1, `the screenshot is scaled down (${img.width} of ${natural} px)`);
    for (const rule of ['image-alt', 'label', 'button-name']) {
      const issue = withBox.find((i) => i.rule === rule);
      const box = await page.locator(`[data-testid=a11y-box][data-seq="${issue.seq}"]`).boundingBox();
      const close = (a, b) => Math.abs(a - b) <= 2;
      assert.ok(close(box.x - img.x, issue.bbox.x * scale) && close(box.y - img.y, issue.bbox.y * scale)
        && close(box.width, issue.bbox.width * scale) && close(box.height, issue.bbox.height * scale),
      `${rule}'s box ${JSON.stringify(box)} against ${JSON.stringify(issue.bbox)} × ${scale} from ${img.x},${img.y}`);
    }
    // The missing-alt picture is 120 × 80 CSS px: so is its box before scaling.
    const alt = withBox.find((i) => i.rule === 'image-alt');
    assert.deepEqual([alt.bbox.width, alt.bbox.height], [120, 80]);
  });
});

test('hovering an issue lights its box, and hovering a box lights its issue', async () => {
  await step('hover', async () => {
    const label = state.firstScan.issues.find((i) => i.rule === 'label');
    const image = state.firstScan.issues.find((i) => i.rule === 'image-alt');
    await issueRow('label').hover();
    const labelBox = page.locator(`[data-testid=a11y-box][data-seq="${label.seq}"]`);
    assert.match(await labelBox.getAttribute('class'), /a11y-hot/);
    assert.doesNotMatch(await page.locator(`[data-testid=a11y-box][data-seq="${image.seq}"]`).getAttribute('class'), /a11y-hot/);

    await page.locator(`[data-testid=a11y-box][data-seq="${image.seq}"]`).hover();
    assert.match(await issueRow('image-alt').getAttribute('class'), /a11y-hot/);
    assert.doesNotMatch(await issueRow('label').getAttribute('class'), /a11y-hot/);
    assert.doesNotMatch(await labelBox.getAttribute('class'), /a11y-hot/);
  });
});

test('the issues filter by impact, rule and status, and their boxes with them', async () => {
  await step('filters', async () => {
    const all = await visibleRules();
    await page.selectOption('[data-testid=a11y-filter-impact]', 'critical');
    const critical = await visibleImpacts();
    assert.ok(critical.length > 0 && critical.every((i) => i === 'critical'), `only critical issues (${critical})`);
    assert.ok(!(await visibleRules()).includes('color-contrast'));
    const contrast = state.firstScan.issues.find((i) => i.rule === 'color-contrast');
    assert.equal(await page.locator(`[data-testid=a11y-box][data-seq="${contrast.seq}"]`).isHidden(), true);
    await page.selectOption('[data-testid=a11y-filter-impact]', '');

    await page.selectOption('[data-testid=a11y-filter-rule]', 'label');
    assert.deepEqual([...new Set(await visibleRules())], ['label']);
    await page.selectOption('[data-testid=a11y-filter-rule]', '');

    await page.selectOption('[data-testid=a11y-filter-status]', 'violation');
    const violations = state.firstScan.issues.filter((i) => i.status === 'violation').length;
    assert.equal((await visibleRules()).length, violations);
    await page.selectOption('[data-testid=a11y-filter-status]', '');
    assert.deepEqual(await visibleRules(), all);
  });
});

test("an issue's details show its evidence crop, snippet, message, how to fix it and what was measured", async () => {
  await step('details', async () => {
    await issueRow('image-alt').click();
    const details = page.locator('[data-testid=a11y-details]');
    await details.waitFor();
    assert.match(await page.locator('[data-testid=a11y-details-html]').textContent(), /id="missing-alt"/);
    assert.match(await page.locator('[data-testid=a11y-details-message]').textContent(), /alternative text/i);
    assert.ok(await details.locator('a[href*="dequeuniversity.com/rules/axe"]').count() > 0, 'a link to how to fix it');
    assert.match(await details.textContent(), /1\.1\.1/);
    const evidence = page.locator('[data-testid=a11y-evidence]');
    await page.waitForFunction(() => document.querySelector('[data-testid=a11y-evidence]')?.naturalWidth > 0);
    assert.match(await evidence.getAttribute('src'), /^blob:/);
    // The crop is the box and 16 CSS px of margin around it.
    assert.ok(await evidence.evaluate((el) => el.naturalWidth) >= 120 + 16);

    await issueRow('color-contrast').click();
    await page.locator('[data-testid=a11y-details-measured]').waitFor();
    const measured = await page.locator('[data-testid=a11y-details-measured]').textContent();
    // #999999 on white is 2.85:1; axe reports its ratio cut to two decimals.
    assert.match(measured, /contrastRatio\s*2\.8[45]/, measured);
    assert.match(measured, /#999999/);
  });
});

test('the CSV export downloads every issue of the scan', async () => {
  await step('csv', async () => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=a11y-export-csv]')]);
    assert.equal(download.suggestedFilename(), `a11y-scan-${state.first}.csv`);
    const lines = (await readFile(await download.path(), 'utf8')).trim().split('\r\n');
    assert.match(lines[0], /^seq,rule,source,impact,status,wcag,selector/);
    assert.equal(lines.length - 1, state.firstScan.issues.length);
    assert.ok(lines.some((l) => l.includes('image-alt') && l.includes('#missing-alt')));
  });
});

test('a second scan of the page compares with the first: the image fixed, the link new, the rest unchanged', async () => {
  await step('compare', async () => {
    site.fixed = true;
    const started = await callApi('/api/v1/scans', { method: 'POST', status: 202, body: { url: pageUrl, viewport: { width: 1024, height: 700 } } });
    state.second = started.scan_id;
    assert.equal((await finished(state.second)).status, 'succeeded');

    await page.goto(`${base}/#/accessibility.scans?scan=${state.second}`);
    await page.locator('[data-testid=a11y-scan-status]', { hasText: 'succeeded' }).waitFor();
    await page.waitForFunction((id) => [...document.querySelectorAll('[data-testid=a11y-compare-with] option')].some((o) => o.value === id), state.first);
    await page.selectOption('[data-testid=a11y-compare-with]', state.first);
    await page.click('[data-testid=a11y-compare-go]');
    await page.locator('[data-testid=a11y-compare-counts]').waitFor();
    const rules = (kind) => page.$$eval(`[data-testid=a11y-compare-${kind}] [data-testid=a11y-compare-issue]`, (rows) => rows.map((r) => r.dataset.rule));
    assert.ok((await rules('new')).includes('link-name'), `link-name is new (${await rules('new')})`);
    assert.deepEqual(await rules('fixed'), ['image-alt']);
    const unchanged = await rules('unchanged');
    for (const rule of ['color-contrast', 'label', 'button-name']) assert.ok(unchanged.includes(rule), `${rule} unchanged (${unchanged})`);
    const diff = await callApi(`/api/v1/scans/${state.second}/compare/${state.first}`);
    assert.equal(await page.locator('[data-testid=a11y-compare-count-unchanged] strong').textContent(), String(diff.counts.unchanged));
    assert.equal(await page.locator('[data-testid=a11y-compare-other-url]').count(), 0);
  });
});

test('the scans list shows both scans with their status and score, and a project is created with a schedule and scanned', async () => {
  await step('list-projects', async () => {
    await page.click('[data-testid="nav-accessibility.scans"]');
    await page.locator(`[data-testid=a11y-scan-row][data-id="${state.second}"]`).waitFor();
    const row = page.locator(`[data-testid=a11y-scan-row][data-id="${state.first}"]`);
    assert.match(await row.textContent(), /succeeded/);
    assert.match(await row.textContent(), new RegExp(`${state.firstScan.score}$`));

    await page.click('[data-testid="nav-accessibility.projects"]');
    await page.fill('[data-testid=a11y-project-name]', 'Shop');
    await page.fill('[data-testid=a11y-project-url]', pageUrl);
    await page.selectOption('[data-testid=a11y-project-schedule]', 'weekly');
    await page.click('[data-testid=a11y-project-submit]');
    await page.locator('[data-testid=a11y-project-row]', { hasText: 'Shop' }).waitFor();
    const projects = await callApi('/api/v1/projects');
    assert.equal(projects.items.length, 1);
    assert.equal(projects.items[0].schedule, 'weekly');
    assert.ok(projects.items[0].schedule_id, 'a weekly project has a platform schedule');

    // "Scan now" starts a scan of the project's page in the project and opens it.
    await page.click('[data-testid=a11y-project-scan]');
    await page.waitForFunction(() => /[?&]scan=/.test(location.hash));
    const scanId = new URLSearchParams((await page.evaluate(() => location.hash)).split('?')[1]).get('scan');
    await page.locator('[data-testid=a11y-scan-status]', { hasText: 'succeeded' }).waitFor();
    const scan = await callApi(`/api/v1/scans/${scanId}`);
    assert.equal(scan.project_id, projects.items[0].id);
    assert.equal(scan.url, pageUrl);
  });
});

test('without a WebSocket the scan page polls the scan and still shows its issues and boxes', async () => {
  await step('polling', async () => {
    // A browser whose WebSockets never open: the page falls back to GET /api/v1/scans/{id} every second.
    await page.addInitScript(() => {
      window.WebSocket = class extends EventTarget {
        constructor() { super(); setTimeout(() => this.dispatchEvent(new Event('close')), 0); }
        close() {}
      };
    });
    const started = await callApi('/api/v1/scans', { method: 'POST', status: 202, body: { url: pageUrl, viewport: { width: 1024, height: 700 } } });
    await page.goto(`${base}/#/accessibility.scans?scan=${started.scan_id}`);
    await page.reload();  // the init script applies from this load on; the session survives in the tab
    await page.locator('[data-testid=a11y-scan-live]', { hasText: 'polling' }).waitFor();
    await page.locator('[data-testid=a11y-scan-status]', { hasText: 'succeeded' }).waitFor();
    const scan = await callApi(`/api/v1/scans/${started.scan_id}`);
    await page.waitForFunction((n) => document.querySelectorAll('[data-testid=a11y-issue]').length === n, scan.issues.length);
    await page.locator('[data-testid=a11y-shot-wrap][data-ready=true]').waitFor();
    assert.equal(await page.locator('[data-testid=a11y-box]').count(), scan.issues.filter((i) => i.bbox?.width > 0 && i.bbox?.height > 0).length);
  });
});

test('no page logged an error', () => {
  assert.deepEqual(problems, []);
});
