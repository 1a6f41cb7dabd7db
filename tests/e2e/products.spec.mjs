// A product's console page, end to end: the server built with the example product (tests/products/example,
// TYTO_EXAMPLE_BINARY) lists its page in GET /api/v1/console/pages, the console puts it in the navigation
// under the product's group, and opening it imports the product's module, which draws the tenant's notes.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { startServer, stopServer } from './server.mjs';

const BINARY = process.env.TYTO_EXAMPLE_BINARY;
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const ADMIN_EMAIL = 'admin@localhost';
const ADMIN_PASSWORD = 'correct horse battery staple';
const API_KEY = 'tyto_testadminkeyaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaq';

let workDir;
let server;
let browser;

before(async () => {
  assert.ok(BINARY, 'TYTO_EXAMPLE_BINARY names the server built with the example product');
  workDir = await mkdtemp(join(tmpdir(), 'tyto-e2e-products-'));
  server = await startServer(BINARY, workDir, {
    TYTO_AUTH_ADMIN_EMAIL: ADMIN_EMAIL,
    TYTO_AUTH_ADMIN_PASSWORD: ADMIN_PASSWORD,
    TYTO_AUTH_BOOTSTRAP_API_KEY: API_KEY,
    TYTO_AUTH_ARGON2_OPS: '1',
    TYTO_AUTH_ARGON2_MEM_MIB: '8',
  });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
});

after(async () => {
  await browser?.close();
  await stopServer(server?.child);
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

test("the example product's page is in the navigation and loads its module when opened", async () => {
  const base = `http://127.0.0.1:${server.port}`;
  const created = await fetch(`${base}/api/v1/example/notes`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${API_KEY}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ text: 'a note from the API' }),
  });
  assert.equal(created.status, 201);

  const page = await browser.newPage();
  page.setDefaultTimeout(20_000);
  const problems = [];
  page.on('pageerror', (err) => problems.push(`uncaught: ${err.message}`));
  page.on('console', (msg) => { if (msg.type() === 'error') problems.push(`console: ${msg.text()}`); });
  const moduleRequests = [];
  page.on('request', (r) => { if (r.url().includes('/console/products/example/')) moduleRequests.push(r.url()); });

  await page.goto(`${base}/#/login`);
  await page.fill('[data-testid=login-email]', ADMIN_EMAIL);
  await page.fill('[data-testid=login-password]', ADMIN_PASSWORD);
  await page.click('[data-testid=login-submit]');
  const link = page.locator('[data-testid="nav-example.notes"]');
  await link.waitFor();
  assert.equal(await link.textContent(), 'Notes');
  assert.equal(await page.locator('[data-testid=nav-group-example]').textContent(), 'Example');
  assert.deepEqual(moduleRequests, [], 'the page module is not loaded before the page opens');

  await link.click();
  await page.locator('[data-testid=example-note]').first().waitFor();
  assert.equal(await page.locator('[data-testid=example-note]').first().textContent(), 'a note from the API');
  assert.equal(new URL(page.url()).hash, '#/example.notes');
  assert.ok(moduleRequests.some((u) => u.endsWith('/console/products/example/notes.js')));
  assert.equal(await page.locator('[data-testid=nav-jobs]').count(), 1, "the platform's pages are listed too");
  assert.deepEqual(problems, []);
});
