// Brand protection's console pages, end to end: the real `tyto` (which includes the product) on a fresh
// SQLite data directory, driven in Debian's Chromium. A client signs in, creates a brand, drops the demo
// brand's three reference pictures on the page, waits until they are hashed, runs a demo-marketplace scan
// and follows it live, finds the planted copies at the top of the listings with their pictures and the
// breakdown of their scores, confirms one with a note, and downloads the CSV. The tests run in order in one
// tab and build on each other.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
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
const LISTINGS = 200;  // of the demo marketplace: 20 planted copies (n mod 10 = 3), 20 look-alikes (n mod 10 = 7)

let workDir;
let server;
let base;
let browser;
let page;
let keepWorkDir = false;
const problems = [];
const sockets = [];  // {url, frames: [parsed messages received]}
const state = {};    // what one test leaves for the next: brand, scan, top listing

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

const number = (listingId) => Number.parseInt(listingId.slice(5), 10);  // demo-0123 → 123
const kind = (n) => (n % 10 === 3 ? 'copy' : n % 10 === 7 ? 'look-alike' : 'unrelated');

before(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'tyto-e2e-bp-'));
  const started = await startServer(BINARY, workDir, {
    TYTO_AUTH_ADMIN_EMAIL: ADMIN_EMAIL,
    TYTO_AUTH_ADMIN_PASSWORD: ADMIN_PASSWORD,
    TYTO_AUTH_BOOTSTRAP_API_KEY: API_KEY,
    TYTO_AUTH_ARGON2_OPS: '1',
    TYTO_AUTH_ARGON2_MEM_MIB: '8',
    TYTO_PRODUCTS_BRAND_PROTECTION_LISTINGS_PER_SCAN: String(LISTINGS),
  });
  server = started.child;
  base = `http://127.0.0.1:${started.port}`;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-sync'],
  });
  page = await browser.newPage({ viewport: { width: 1280, height: 1000 }, acceptDownloads: true });
  page.setDefaultTimeout(30_000);
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
  if (workDir && !keepWorkDir) await rm(workDir, { recursive: true, force: true });
  else if (workDir) console.error(`kept ${workDir}`);
});

test('a signed-in user creates a brand with the form', async () => {
  await step('create-brand', async () => {
    await page.goto(`${base}/#/login`);
    await page.fill('[data-testid=login-email]', ADMIN_EMAIL);
    await page.fill('[data-testid=login-password]', ADMIN_PASSWORD);
    await page.click('[data-testid=login-submit]');
    const link = page.locator('[data-testid="nav-brand_protection.brands"]');
    await link.waitFor();
    assert.equal(await page.locator('[data-testid=nav-group-brand_protection]').textContent(), 'Brand protection');
    assert.equal(await page.locator('[data-testid="nav-brand_protection.scans"]').textContent(), 'Scans');
    await link.click();

    await page.fill('[data-testid=bp-brand-name]', 'Northwind');
    await page.fill('[data-testid=bp-brand-aliases]', 'Northwind Outdoor');
    await page.fill('[data-testid=bp-brand-misspellings]', 'Nortwind\nNorthwlnd\nNothwind');
    await page.fill('[data-testid=bp-brand-fraud_terms]', 'replica\nAAA quality\n1:1 copy\nfactory direct');
    await page.fill('[data-testid=bp-brand-keywords]', 'outdoor gear');
    await page.fill('[data-testid=bp-brand-categories]', 'outdoor');
    await page.fill('[data-testid="bp-brand-price_band.min"]', '90');
    await page.fill('[data-testid="bp-brand-price_band.max"]', '260');
    await page.fill('[data-testid="bp-brand-price_band.currency"]', 'EUR');
    await page.fill('[data-testid="bp-brand-thresholds.flag"]', '0.9');
    await page.click('[data-testid=bp-brand-submit]');

    await page.waitForFunction(() => /[?&]id=/.test(location.hash));
    state.brand = new URLSearchParams((await page.evaluate(() => location.hash)).split('?')[1]).get('id');
    await page.locator('[data-testid=bp-brand-title]', { hasText: 'Northwind' }).waitFor();
    const brand = await callApi(`/api/v1/brands/${state.brand}`);
    assert.equal(brand.name, 'Northwind');
    assert.deepEqual(brand.aliases, ['Northwind Outdoor']);
    assert.deepEqual(brand.fraud_terms, ['replica', 'AAA quality', '1:1 copy', 'factory direct']);
    assert.deepEqual(brand.price_band, { min: 90, max: 260, currency: 'EUR' });
    assert.equal(brand.thresholds.flag, 0.9);
    assert.equal(brand.schedule, 'manual');

    // The list shows it.
    await page.click('.crumbs a');
    await page.locator('[data-testid=bp-brand-row]', { hasText: 'Northwind' }).waitFor();
  });
});

test('reference pictures dropped on the page are uploaded, added and hashed', async () => {
  await step('reference-images', async () => {
    await page.click('[data-testid=bp-brand-link]');
    await page.locator('[data-testid=bp-dropzone]').waitFor();
    // The demo brand's reference pictures, as the demo marketplace serves them (real JPEGs).
    const files = [];
    for (const n of [0, 1, 2]) {
      const res = await fetch(`${base}/api/v1/brands/demo-marketplace/references/${n}.jpg`);
      assert.equal(res.status, 200);
      files.push({ name: `reference-${n}.jpg`, b64: Buffer.from(await res.arrayBuffer()).toString('base64') });
    }
    const dataTransfer = await page.evaluateHandle((list) => {
      const dt = new DataTransfer();
      for (const f of list) {
        const bytes = Uint8Array.from(atob(f.b64), (c) => c.charCodeAt(0));
        dt.items.add(new File([bytes], f.name, { type: 'image/jpeg' }));
      }
      return dt;
    }, files);
    await page.dispatchEvent('[data-testid=bp-dropzone]', 'drop', { dataTransfer });

    await page.waitForFunction(() => {
      const images = [...document.querySelectorAll('[data-testid=bp-image]')];
      return images.length === 3 && images.every((el) => el.dataset.state === 'hashed');
    });
    // Every thumbnail is the picture itself, read with the session's token.
    await page.waitForFunction(() => [...document.querySelectorAll('[data-testid=bp-image] img')]
      .every((img) => img.complete && img.naturalWidth > 0 && img.src.startsWith('blob:')));
    const images = await callApi(`/api/v1/brands/${state.brand}/images`);
    assert.equal(images.items.length, 3);
    assert.ok(images.items.every((i) => i.state === 'hashed' && i.hashes?.pdq));
    state.references = images.items;
  });
});

test('a demo scan started on the Scans page is followed until it finishes', async () => {
  await step('scan', async () => {
    await page.click('[data-testid=bp-brand-scans]');
    await page.locator('[data-testid=bp-scan-start]').waitFor();
    assert.equal(await page.locator('[data-testid=bp-scan-provider-type]').inputValue(), 'demo');
    await page.click('[data-testid=bp-scan-start]');
    await page.waitForFunction(() => /[?&]scan=/.test(location.hash));
    state.scan = new URLSearchParams((await page.evaluate(() => location.hash)).split('?')[1]).get('scan');
    // Every value the progress bar takes from now on.
    await page.locator('[data-testid=bp-scan-progress]').waitFor();
    await page.evaluate(() => {
      const bar = document.querySelector('[data-testid=bp-scan-progress]');
      window.bpProgress = [];
      new MutationObserver(() => window.bpProgress.push(Number(bar.getAttribute('aria-valuenow'))))
        .observe(bar, { attributes: true, attributeFilter: ['aria-valuenow'] });
    });

    await page.locator('[data-testid=bp-scan-state]', { hasText: 'succeeded' }).waitFor({ timeout: 240_000 });
    assert.equal(await page.locator('[data-testid=bp-scan-progress]').getAttribute('aria-valuenow'), '100');
    assert.match(await page.locator('[data-testid=bp-scan-counts]').textContent(), new RegExp(`^${LISTINGS} of ${LISTINGS} listings scored`));

    // The page followed the scan's own stream.
    const stream = sockets.find((s) => s.url.includes(`/ws/brands/${state.brand}/scans/${state.scan}`));
    assert.ok(stream, `a WebSocket to the scan's stream (${sockets.map((s) => s.url).join(', ')})`);
    assert.equal(stream.frames[0]?.type, 'snapshot');
    assert.ok(stream.frames.some((f) => f.type === 'scan.finished' || (f.type === 'snapshot' && f.data.state === 'succeeded')));
    // A scan the page met unfinished was seen moving: progress and scored listings over the stream, and the
    // bar passing through values between 0 and 100.
    if (stream.frames[0].data.state !== 'succeeded') {
      assert.ok(stream.frames.some((f) => f.type === 'scan.progress'));
      assert.ok(stream.frames.some((f) => f.type === 'listing.scored' && f.data.id));
      const seen = await page.evaluate(() => window.bpProgress);
      assert.ok(seen.some((v) => v > 0 && v < 100), `progress seen: ${seen.join(' ')}`);
      assert.equal(seen.at(-1), 100);
    }
  });
});

test('the listings come most probable first, the planted copies on top, each beside its reference', async () => {
  await step('listings', async () => {
    await page.waitForFunction((n) => document.querySelectorAll('[data-testid=bp-listing]').length === n, 50);
    const shown = await page.locator('[data-testid=bp-listing]').evaluateAll((els) =>
      els.map((el) => ({ id: el.dataset.id, listing: el.dataset.listingId, p: Number(el.dataset.probability) })));
    const api = await callApi(`/api/v1/brands/${state.brand}/scans/${state.scan}/listings?sort=-probability&limit=50`);
    assert.deepEqual(shown.map((l) => l.id), api.items.map((l) => l.id), 'the API\'s order');
    for (let i = 1; i < shown.length; i++) assert.ok(shown[i - 1].p >= shown[i].p, 'sorted by probability');

    // All 20 copies are on the first page, and no unrelated listing ranks above any of them.
    const kinds = shown.map((l) => kind(number(l.listing)));
    assert.equal(kinds.filter((k) => k === 'copy').length, LISTINGS / 10);
    const lastCopy = kinds.lastIndexOf('copy');
    assert.equal(kinds.slice(0, lastCopy).filter((k) => k === 'unrelated').length, 0, kinds.join(' '));
    assert.equal(kinds[0] === 'unrelated', false);

    // A copy: its picture beside the reference it copies, and its score's breakdown as a bar with a legend.
    const copy = page.locator('[data-testid=bp-listing]').nth(kinds.indexOf('copy'));
    const listing = api.items[kinds.indexOf('copy')];
    const reference = state.references.find((r) => r.id === listing.matched_image_id);
    assert.ok(reference, 'matched one of the brand\'s references');
    await copy.locator('[data-testid=bp-reference-image]').waitFor();
    await page.waitForFunction((id) => {
      const card = document.querySelector(`[data-testid=bp-listing][data-id="${id}"]`);
      return [...card.querySelectorAll('img')].every((img) => img.complete && img.naturalWidth > 0);
    }, listing.id);
    const segments = await copy.locator('[data-testid=bp-signal-bar] [data-signal]').evaluateAll((els) =>
      els.map((el) => ({ name: el.dataset.signal, width: parseFloat(el.style.width), title: el.title })));
    const positive = listing.signals.signals.filter((s) => s.contribution >= 0.005).map((s) => s.name);
    assert.deepEqual(segments.map((s) => s.name), positive);
    assert.ok(segments.some((s) => s.name === 'image_similarity'), 'the picture counts');
    assert.ok(segments.every((s) => s.width > 0 && /: \+\d/.test(s.title)), 'each segment is sized and explained');
    const legend = await copy.locator('[data-testid=bp-signal-legend] li').allTextContents();
    assert.ok(legend.some((t) => t.startsWith('image similarity +')), legend.join(' | '));
    state.top = api.items[0];

    // The next page.
    await page.click('[data-testid=bp-listings-more]');
    await page.waitForFunction((n) => document.querySelectorAll('[data-testid=bp-listing]').length === n, 100);
    const next = await callApi(`/api/v1/brands/${state.brand}/scans/${state.scan}/listings?limit=100`);
    const ids = await page.locator('[data-testid=bp-listing]').evaluateAll((els) => els.map((el) => el.dataset.id));
    assert.deepEqual(ids, next.items.map((l) => l.id));
  });
});

test('a reviewer confirms a listing with a note, and the API shows the decision', async () => {
  await step('review', async () => {
    const card = page.locator(`[data-testid=bp-listing][data-id="${state.top.id}"]`);
    await card.locator('[data-testid=bp-review-note]').fill('same photo as our catalogue');
    await card.locator('[data-testid=bp-review-confirm]').click();
    await card.locator('[data-testid=bp-review-status]', { hasText: 'confirmed' }).waitFor();

    const confirmed = await callApi(`/api/v1/brands/${state.brand}/scans/${state.scan}/listings?status=confirmed`);
    assert.equal(confirmed.items.length, 1);
    assert.equal(confirmed.items[0].id, state.top.id);
    assert.equal(confirmed.items[0].review.status, 'confirmed');
    assert.equal(confirmed.items[0].review.note, 'same photo as our catalogue');

    // The review filter shows it alone.
    await page.selectOption('[data-testid=bp-filter-status]', 'confirmed');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=bp-listing]').length === 1);
    await page.selectOption('[data-testid=bp-filter-status]', '');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=bp-listing]').length === 50);
  });
});

test('the CSV export downloads every listing of the scan', async () => {
  await step('csv', async () => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=bp-export-csv]')]);
    assert.equal(download.suggestedFilename(), `scan-${state.scan}.csv`);
    const csv = await readFile(await download.path(), 'utf8');
    const lines = csv.trimEnd().split('\r\n');
    assert.match(lines[0], /^listing_id,provider,title,/);
    assert.equal(lines.length, 1 + LISTINGS);
    assert.ok(lines[1].startsWith(`${state.top.listing_id},demo,`), lines[1]);
    assert.ok(lines[1].includes('confirmed,same photo as our catalogue'), lines[1]);
  });
});

test('a scan of a listings file uploaded on the Scans page', async () => {
  await step('file-scan', async () => {
    await page.click('.crumbs a[href*="brand="]');
    await page.selectOption('[data-testid=bp-scan-provider-type]', 'file');
    const csv = 'id,title,seller,price,currency\r\nf-1,Northwind jacket replica AAA quality,copyshop,19,EUR\r\n'
      + 'f-2,Ceramic Mug,kitchen_things,12,EUR\r\n';
    await page.setInputFiles('[data-testid=bp-scan-provider-file-input]',
      { name: 'listings.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    await page.locator('[data-testid=bp-scan-provider-object] option', { hasText: 'listings.csv' }).waitFor({ state: 'attached' });
    const objectId = await page.locator('[data-testid=bp-scan-provider-object]').inputValue();
    await page.click('[data-testid=bp-scan-start]');
    await page.waitForFunction((first) => /[?&]scan=/.test(location.hash) && !location.hash.includes(first), state.scan);
    await page.locator('[data-testid=bp-scan-state]', { hasText: 'succeeded' }).waitFor();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=bp-listing]').length === 2);
    const ids = await page.locator('[data-testid=bp-listing]').evaluateAll((els) => els.map((el) => el.dataset.listingId));
    assert.deepEqual(ids, ['f-1', 'f-2'], 'the copy first');
    const scan = new URLSearchParams((await page.evaluate(() => location.hash)).split('?')[1]).get('scan');
    const stored = await callApi(`/api/v1/brands/${state.brand}/scans/${scan}`);
    assert.equal(stored.provider, 'file');
  });
});

test('without the scan stream the page polls a scan of a saved provider, and still shows it finish', async () => {
  await step('polling', async () => {
    const saved = await callApi('/api/v1/brands/providers', { method: 'POST', body: { name: 'Demo market', provider: { type: 'demo' } }, status: 201 });
    // The browser's WebSocket to a scan's stream is closed before it opens, as a proxy that refuses
    // WebSockets would (Playwright replaces the page's WebSocket when it loads: hence the reload, after
    // which the session is restored from its refresh token).
    await page.routeWebSocket(/\/ws\/brands\//, (ws) => ws.close());
    await page.goto(`${base}/#/brand_protection.scans?brand=${state.brand}`);
    await page.reload();
    const polls = [];
    page.on('request', (r) => { if (/\/api\/v1\/brands\/[^/]+\/scans\/[^/?]+$/.test(new URL(r.url()).pathname)) polls.push(r.url()); });
    await page.selectOption('[data-testid=bp-scan-provider-type]', 'saved');
    await page.locator('[data-testid=bp-scan-provider-saved] option', { hasText: 'Demo market' }).waitFor({ state: 'attached' });
    assert.equal(await page.locator('[data-testid=bp-scan-provider-saved]').inputValue(), saved.id);
    await page.click('[data-testid=bp-scan-start]');
    await page.waitForFunction(() => /[?&]scan=/.test(location.hash));
    const scan = new URLSearchParams((await page.evaluate(() => location.hash)).split('?')[1]).get('scan');
    await page.locator('[data-testid=bp-scan-state]', { hasText: 'succeeded' }).waitFor({ timeout: 240_000 });
    assert.match(await page.locator('[data-testid=bp-scan-counts]').textContent(), new RegExp(`^${LISTINGS} of ${LISTINGS}`));
    assert.ok(polls.filter((u) => u.includes(scan)).length >= 2, `the scan was read again: ${polls.length}`);
    await page.waitForFunction((n) => document.querySelectorAll('[data-testid=bp-listing]').length === n, 50);
    // The rescan updated the same listings: the review stayed.
    const card = page.locator(`[data-testid=bp-listing][data-id="${state.top.id}"]`);
    assert.equal(await card.locator('[data-testid=bp-review-status]').textContent(), 'confirmed');
    await page.unrouteAll();
  });
});

test('nothing went wrong in the page', () => {
  assert.deepEqual(problems, []);
});
