// The browser console, end to end: Debian's Chromium (driven by playwright-core) against the real
// server on a fresh SQLite data directory. Run through run.sh; see its header for the knobs.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const HERE = dirname(fileURLToPath(import.meta.url));
const BINARY = process.env.TYTO_BINARY || resolve(HERE, '../../build-dev/tyto');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const WAIT_MS = 20_000;

let workDir;
let server;
let base;
let browser;
let page;
let keepWorkDir = false;
const pageProblems = [];

// Starts `tyto serve` on a free port; resolves once its "listening" log line names the port.
function startServer(dir) {
  // The server reads TYTO_* variables: keep the caller's out of it (a database URL would point it
  // elsewhere), except the console directory, which lets a developer test edits without a rebuild.
  const env = Object.fromEntries(Object.entries(process.env)
    .filter(([k]) => !k.startsWith('TYTO_') || k === 'TYTO_CONSOLE_ASSETS_DIR'));
  const child = spawn(BINARY, ['serve', '--listen', '127.0.0.1:0', '--data-dir', join(dir, 'data')],
    { cwd: dir, env, stdio: ['ignore', 'ignore', 'pipe'] });
  const log = [];
  child.log = log;
  return new Promise((resolvePort, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "listening" line within 15 s:\n${log.join('\n')}`)), 15_000);
    child.on('error', (err) => { clearTimeout(timer); reject(err); });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`server exited (${code ?? signal}) before listening:\n${log.join('\n')}`));
    });
    createInterface({ input: child.stderr }).on('line', (line) => {
      log.push(line);
      if (log.length > 200) log.shift();
      let entry;
      try { entry = JSON.parse(line); } catch { return; }
      if (entry.msg === 'listening' && entry.port) {
        clearTimeout(timer);
        resolvePort({ child, port: entry.port });
      }
    });
  });
}

async function stopServer(child) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(killer);
}

// Runs a step; on failure saves a screenshot and the server's log tail into the work directory.
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

const text = (selector) => page.locator(selector).textContent();

before(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'tyto-e2e-'));
  const started = await startServer(workDir);
  server = started.child;
  base = `http://127.0.0.1:${started.port}`;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  page.setDefaultTimeout(WAIT_MS);
  page.on('pageerror', (err) => pageProblems.push(`uncaught: ${err.message}`));
  page.on('console', (msg) => { if (msg.type() === 'error') pageProblems.push(`console: ${msg.text()}`); });
});

after(async () => {
  await browser?.close();
  await stopServer(server);
  if (workDir && !keepWorkDir) await rm(workDir, { recursive: true, force: true });
  else if (workDir) console.error(`kept ${workDir}`);
});

test('the overview shows the server as ok', async () => {
  await step('overview', async () => {
    await page.goto(`${base}/#/`);
    await page.waitForFunction(() => document.querySelector('[data-testid=health-status]')?.textContent === 'ok');
    await page.waitForFunction(() => document.querySelector('[data-testid=ready-status]')?.textContent === 'ready');
    assert.match(await text('[data-testid=server-version]'), /^v\d/);
  });
});

test('a job submitted from the form shows live progress and succeeds', { timeout: 90_000 }, async () => {
  await step('submit', async () => {
    await page.goto(`${base}/#/jobs`);
    await page.waitForSelector('[data-testid=job-pipeline] option[value="builtin.sleep"]', { state: 'attached' });
    assert.equal(await page.inputValue('[data-testid=job-pipeline]'), 'builtin.sleep');
    const prefilled = JSON.parse(await page.inputValue('[data-testid=job-input]'));
    assert.ok('ms' in prefilled, `input prefilled from the schema's defaults: ${JSON.stringify(prefilled)}`);

    // Every value the job view's progress bar takes, even several within one frame.
    await page.evaluate(() => {
      window.progressSeen = [];
      const record = (el) => window.progressSeen.push(Number(el.getAttribute('aria-valuenow')));
      new MutationObserver((records) => {
        for (const r of records) {
          if (r.type === 'attributes' && r.target.dataset.testid === 'job-progress') record(r.target);
          for (const n of r.addedNodes ?? []) {
            if (n.nodeType === 1) n.querySelectorAll('[data-testid=job-progress]').forEach(record);
          }
        }
      }).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['aria-valuenow'] });
    });

    await page.fill('[data-testid=job-input]', '{"ms": 1500, "steps": 5}');
    await page.click('[data-testid=job-submit]');
    await page.waitForFunction(() => /^#\/jobs\/[\w-]+$/.test(location.hash));
  });

  const id = decodeURIComponent((await page.evaluate(() => location.hash)).slice('#/jobs/'.length));

  await step('job-view', async () => {
    assert.equal(await text('[data-testid=job-id]'), id);
    const bar = page.locator('[data-testid=job-progress]');
    assert.equal(await bar.getAttribute('role'), 'progressbar');
    await page.waitForFunction(() => document.querySelector('[data-testid=job-state]').textContent === 'succeeded');
    await page.waitForFunction(() => document.querySelector('[data-testid=job-progress]').getAttribute('aria-valuenow') === '100');
    assert.match(await bar.textContent(), /100%/);

    const seen = await page.evaluate(() => window.progressSeen);
    assert.ok(seen.some((v) => v > 0 && v < 100), `the bar showed progress on the way: ${seen.join(', ')}`);
    assert.equal(seen.at(-1), 100);

    const progress = page.locator('[data-testid=event-log] [data-type=progress]');
    assert.equal(await progress.count(), 5);
    assert.match(await progress.last().textContent(), /100%.*step 5 of 5/);
    assert.equal(await page.locator('[data-testid=event-log] [data-type=succeeded]').count(), 1);

    const stage = page.locator('[data-testid=stage][data-stage=sleep]');
    assert.equal(await stage.getAttribute('data-status'), 'finished');
    assert.match(await stage.textContent(), /\d+(\.\d)? s|\d+ ms/);
    assert.match(await text('[data-testid=job-result]'), /"slept_ms"/);
    assert.equal(await page.locator('[data-testid=job-cancel]').isVisible(), false);
  });

  await step('list', async () => {
    await page.click('[data-testid=nav-jobs]');
    const row = page.locator(`[data-testid=job-row][data-job-id="${id}"]`);
    await row.waitFor();
    assert.match(await row.textContent(), /builtin\.sleep.*succeeded.*100%/);
  });

  assert.deepEqual(pageProblems, [], 'no script errors or CSP violations in the page');
});
