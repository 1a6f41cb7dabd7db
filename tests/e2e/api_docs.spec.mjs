// The API reference page (/docs), end to end: Swagger UI, compiled into the server, renders the server's
// own OpenAPI document in Debian's Chromium, under the page's Content-Security-Policy, without reaching
// any other origin. Run through run.sh, beside console.spec.mjs.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startServer, stopServer } from './server.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const BINARY = process.env.TYTO_BINARY || resolve(HERE, '../../build-dev/tyto');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const WAIT_MS = 20_000;

let workDir;
let browser;
const servers = [];
let keepWorkDir = false;

async function serve(env = {}) {
  const dir = await mkdtemp(join(workDir, 'server-'));
  const { child, port } = await startServer(BINARY, dir, env);
  servers.push(child);
  return { child, base: `http://127.0.0.1:${port}` };
}

// A fresh tab that records script errors, CSP violations and every request to another origin.
async function openTab(base) {
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  page.setDefaultTimeout(WAIT_MS);
  const problems = [];
  page.on('pageerror', (err) => problems.push(`uncaught: ${err.message}`));
  page.on('console', (msg) => { if (msg.type() === 'error') problems.push(`console: ${msg.text()}`); });
  page.on('request', (r) => {
    const url = new URL(r.url());
    if (url.protocol !== 'data:' && url.origin !== base) problems.push(`request to another origin: ${r.url()}`);
  });
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) =>
      console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`));
  });
  return { page, problems };
}

// Runs a step; on failure saves a screenshot and the server's log tail into the work directory.
async function step(name, page, server, fn) {
  try {
    await fn();
  } catch (err) {
    keepWorkDir = true;
    const shot = join(workDir, `${name.replace(/\W+/g, '-')}.png`);
    await page.screenshot({ path: shot, fullPage: true }).catch(() => {});
    console.error(`screenshot: ${shot}\nserver log (tail):\n${server.log.slice(-30).join('\n')}`);
    throw err;
  }
}

// Scrolls the reference page from top to bottom and returns every operation drawn on the way, as
// "METHOD /path".
async function drawnOperations(page) {
  const seen = new Set();
  await page.evaluate(() => window.scrollTo(0, 0));
  for (let guard = 0; guard < 500; guard++) {
    const rows = await page.$$eval('.opblock', (blocks) => blocks.map((b) =>
      `${b.querySelector('.opblock-summary-method')?.textContent.trim()} ` +
      `${b.querySelector('.opblock-summary-path')?.getAttribute('data-path')}`));
    rows.forEach((row) => seen.add(row));
    const atEnd = await page.evaluate(() => {
      const before = window.scrollY;
      window.scrollBy(0, Math.round(window.innerHeight * 0.7));
      return window.scrollY === before;
    });
    if (atEnd) break;
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  }
  await page.evaluate(() => window.scrollTo(0, 0));
  return seen;
}

before(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'tyto-e2e-docs-'));
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
});

after(async () => {
  await browser?.close();
  for (const child of servers) await stopServer(child);
  if (workDir && !keepWorkDir) await rm(workDir, { recursive: true, force: true });
  else if (workDir) console.error(`kept ${workDir}`);
});

test('/docs renders the operations of the OpenAPI document and runs one', async () => {
  const { child, base } = await serve();
  const { page, problems } = await openTab(base);
  await step('docs-render', page, child, async () => {
    const res = await page.goto(`${base}/docs`);
    assert.equal(res.status(), 200);
    assert.match(res.headers()['content-security-policy'], /default-src 'self'/);
    await page.locator('.opblock-summary-path[data-path="/health"]').first().waitFor();
    assert.match(await page.locator('.info .title').textContent(), /Tyto API/);
    // Every operation of the document is drawn. Swagger UI draws only the rows near the viewport once a
    // document has 150 tags and operations or more (the platform and the products pass that), so the
    // page is scrolled to the end and each row seen on the way is counted.
    const doc = await (await fetch(`${base}/api/v1/openapi.json`)).json();
    const expected = new Set();
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const method of Object.keys(methods)) expected.add(`${method.toUpperCase()} ${path}`);
    }
    const seen = await drawnOperations(page);
    assert.deepEqual([...expected].filter((op) => !seen.has(op)), [], 'operations never drawn');
    assert.equal(seen.size, expected.size);
  });

  await step('docs-deep-link', page, child, async () => {
    // A deep link to an operation far down the document, opened in a new tab, scrolls to it and opens it.
    const { page: linked, problems: linkedProblems } = await openTab(base);
    await linked.goto(`${base}/docs#/jobs/getApiV1Jobs`);
    const jobs = linked.locator('.opblock.is-open', {
      has: linked.locator('.opblock-summary-path[data-path="/api/v1/jobs"]'),
    });
    await jobs.first().waitFor();
    assert.match(await jobs.first().locator('.opblock-summary-description').textContent(), /List jobs, newest first/);
    assert.ok(await linked.evaluate(() => window.scrollY) > 0, 'the page scrolled to the operation');
    assert.deepEqual(linkedProblems, []);
    await linked.close();
  });

  await step('docs-try-it-out', page, child, async () => {
    // A public operation, sent from the page: the CSP lets it reach the server.
    const op = page.locator('.opblock-get', { has: page.locator('.opblock-summary-path[data-path="/health"]') });
    await op.locator('.opblock-summary').first().click();
    await op.locator('button.try-out__btn').click();
    await op.locator('button.execute').click();
    const status = op.locator('.live-responses-table tr.response .response-col_status').first();
    await status.waitFor();
    assert.equal((await status.textContent()).trim(), '200');
  });

  await step('console-links', page, child, async () => {
    const shell = await (await fetch(`${base}/`)).text();
    assert.match(shell, /href="\/docs"/, 'the console links to the reference');
  });
  assert.deepEqual(problems, [], 'no script errors, CSP violations or requests to other origins');
  await page.close();
});

test('with auth.api_docs_public off, /docs and the document answer 401 to a browser', async () => {
  const { child, base } = await serve({ TYTO_AUTH_API_DOCS_PUBLIC: 'false' });
  const { page } = await openTab(base);
  await step('docs-auth', page, child, async () => {
    assert.equal((await page.goto(`${base}/docs`)).status(), 401);
    assert.equal((await page.goto(`${base}/api/v1/openapi.json`)).status(), 401);
  });
  await page.close();
});
