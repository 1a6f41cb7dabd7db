// The browser console, end to end: Debian's Chromium (driven by playwright-core) against the real
// server on a fresh SQLite data directory. Run through run.sh; see its header for the knobs.
// The tests run in order in one browser tab and build on each other: sign in, use the pages, sign out.

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
// The admin the server creates on its first start (as tests/support/test_support.hpp's kAdminEmail
// and kAdminPassword).
const ADMIN_EMAIL = 'admin@localhost';
const ADMIN_PASSWORD = 'correct horse battery staple';
// Access tokens live 8 s, so the console refreshes its session several times during the run.
const ACCESS_TTL_S = 8;

let workDir;
let server;
let base;
let browser;
let page;
let keepWorkDir = false;
const pageProblems = [];
const socketUrls = [];
const MEMBER = { email: 'new.member@example.com', password: 'a viewer of the console', invitation: null };

// The server's environment: the admin it creates, short-lived access tokens, cheap password hashing
// (this test is about the console, not about argon2's cost).
const SERVER_ENV = {
  TYTO_AUTH_ADMIN_EMAIL: ADMIN_EMAIL,
  TYTO_AUTH_ADMIN_PASSWORD: ADMIN_PASSWORD,
  TYTO_AUTH_ACCESS_TTL_S: String(ACCESS_TTL_S),
  TYTO_AUTH_ARGON2_OPS: '1',
  TYTO_AUTH_ARGON2_MEM_MIB: '8',
};

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
const hash = () => page.evaluate(() => location.hash);

// Drops the browser's own console errors for requests that a test made fail on purpose.
function forgive(pattern) {
  for (let i = pageProblems.length - 1; i >= 0; i--) if (pattern.test(pageProblems[i])) pageProblems.splice(i, 1);
}

// Calls the API from the test itself (not the page), with `token` as the bearer.
async function callApi(path, { method = 'GET', body, token } = {}) {
  const headers = { Accept: 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(`${base}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, body: await res.json().catch(() => null) };
}

const isRefresh = (r) => new URL(r.url()).pathname === '/api/v1/auth/refresh' && r.request().method() === 'POST';

before(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'tyto-e2e-'));
  const started = await startServer(BINARY, workDir, SERVER_ENV);
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
  page.on('websocket', (ws) => socketUrls.push(ws.url()));
});

after(async () => {
  await browser?.close();
  await stopServer(server);
  if (workDir && !keepWorkDir) await rm(workDir, { recursive: true, force: true });
  else if (workDir) console.error(`kept ${workDir}`);
});

test('a visit without a session lands on the sign-in page', async () => {
  await step('redirect', async () => {
    await page.goto(`${base}/`);
    await page.waitForFunction(() => location.hash.startsWith('#/login'));
    await page.locator('[data-testid=login-form]').waitFor();
    assert.equal(await page.locator('#nav').isVisible(), false, 'no navigation before signing in');
    assert.equal(await page.locator('[data-testid=sign-out]').isVisible(), false);

    await page.goto(`${base}/#/jobs`);
    await page.waitForFunction(() => location.hash.startsWith('#/login'));
    assert.equal(new URLSearchParams((await hash()).split('?')[1]).get('next'), '#/jobs');
  });
});

test('a wrong password is refused with a message', async () => {
  await step('wrong-password', async () => {
    await page.fill('[data-testid=login-email]', ADMIN_EMAIL);
    await page.fill('[data-testid=login-password]', 'not the password');
    await page.click('[data-testid=login-submit]');
    const error = page.locator('[data-testid=login-error]');
    await error.waitFor();
    assert.match(await error.textContent(), /wrong email or password/i);
    assert.equal(await page.inputValue('[data-testid=login-password]'), '', 'the wrong password is cleared');
    assert.match(await hash(), /^#\/login/);
    forgive(/status of 401/);
  });
});

test('signing in opens the page asked for and shows who is signed in', async () => {
  await step('sign-in', async () => {
    await page.fill('[data-testid=login-password]', ADMIN_PASSWORD);
    await page.click('[data-testid=login-submit]');
    await page.waitForFunction(() => location.hash === '#/jobs');
    await page.locator('[data-testid=jobs-table]').waitFor();
    assert.equal(await text('[data-testid=user-email]'), ADMIN_EMAIL);
    // The first-start admin is a superadmin; superadmin and admin both open the admin pages.
    assert.match(await text('[data-testid=user-role]'), /^(super)?admin$/);
    assert.notEqual((await text('[data-testid=user-tenant]')).trim(), '');
    assert.equal(await page.locator('[data-testid=nav-audit]').isVisible(), true, 'admins see the audit page');

    const stored = await page.evaluate(() => ({ session: { ...sessionStorage }, local: { ...localStorage } }));
    assert.equal(Object.keys(stored.local).length, 0, 'nothing in localStorage');
    assert.deepEqual(Object.keys(stored.session), ['tyto.refresh_token'], 'only the refresh token is stored');
  });
});

test('the overview shows the server as ok', async () => {
  await step('overview', async () => {
    await page.click('#nav a[data-route=overview]');
    await page.waitForFunction(() => document.querySelector('[data-testid=health-status]')?.textContent === 'ok');
    await page.waitForFunction(() => document.querySelector('[data-testid=ready-status]')?.textContent === 'ready');
    assert.match(await text('[data-testid=server-version]'), /^v\d/);
    assert.equal(await text('[data-testid=user-email]'), ADMIN_EMAIL);
  });
});

test('a reload keeps the session', async () => {
  await step('reload', async () => {
    await page.goto(`${base}/#/jobs`);
    await page.reload();
    await page.locator('[data-testid=jobs-table]').waitFor();
    assert.equal(await hash(), '#/jobs');
    assert.equal(await text('[data-testid=user-email]'), ADMIN_EMAIL);
  });
});

test('the session outlives its access token, and a 401 is answered with one refresh', async () => {
  await step('proactive-refresh', async () => {
    const refreshed = await page.waitForResponse(isRefresh, { timeout: (ACCESS_TTL_S + 5) * 1000 });
    assert.equal(refreshed.status(), 200, 'refreshed before the access token expired');
  });

  await step('refresh-on-401', async () => {
    // The server answers the jobs list's next request with a 401, as it does for an expired token.
    let refused = 0;
    const jobsList = (url) => url.pathname === '/api/v1/jobs';
    await page.route(jobsList, (route) => {
      if (refused++ > 0) return route.continue();
      return route.fulfill({ status: 401, contentType: 'application/json',
        body: JSON.stringify({ error: { code: 'unauthorized', message: 'token expired', details: {} } }) });
    });
    const refresh = page.waitForResponse(isRefresh);
    await page.click('#nav a[data-route=overview]');
    await page.click('[data-testid=nav-jobs]');
    assert.equal((await refresh).status(), 200);
    await page.waitForFunction(() => /shown/.test(document.querySelector('.jobs-page .list-foot .muted')?.textContent));
    assert.ok(refused >= 2, 'the list was asked for again after the refresh');
    assert.equal(await hash(), '#/jobs');
    assert.equal(await page.locator('.jobs-page [role=alert]:not([hidden])').count(), 0);
    await page.unroute(jobsList);
    forgive(/status of 401/);
  });
});

test('an API key is created, shown once, works, and is revoked', async () => {
  let secret;
  let row;
  await step('create-key', async () => {
    await page.click('[data-testid=nav-api-keys]');
    await page.locator('[data-testid=key-form]').waitFor();
    const roles = await page.locator('[data-testid=key-role] option').evaluateAll((os) => os.map((o) => o.value));
    assert.ok(roles.includes('viewer') && roles.includes('user') && roles.includes('admin'), roles.join(','));
    assert.ok(!roles.includes('superadmin'), 'no role above the signed-in user\'s own');

    await page.fill('[data-testid=key-name]', 'e2e import');
    await page.selectOption('[data-testid=key-role]', 'user');
    await page.click('[data-testid=key-submit]');
    await page.locator('[data-testid=key-created]').waitFor();
    secret = await page.inputValue('[data-testid=key-secret]');
    assert.match(secret, /^tyto_\w+/);
    assert.match(await text('[data-testid=key-created]'), /only this once/);
    assert.equal(await page.locator('[data-testid=key-copy]').isVisible(), true);

    row = page.locator('[data-testid=key-row]', { hasText: 'e2e import' });
    await row.waitFor();
    assert.equal(await row.getAttribute('data-status'), 'active');
    assert.match(await row.textContent(), /user/);
    assert.ok(!(await row.textContent()).includes(secret), 'the list shows only the prefix');

    const asKey = await callApi('/api/v1/jobs', { token: secret });
    assert.equal(asKey.status, 200, 'the new key works');

    await page.click('[data-testid=key-done]');
    assert.equal(await page.locator('[data-testid=key-created]').isVisible(), false);
    await page.click('#nav a[data-route=overview]');
    await page.click('[data-testid=nav-api-keys]');
    await row.waitFor();
    const shownAgain = await page.evaluate((k) => document.body.innerHTML.includes(k)
      || [...document.querySelectorAll('input')].some((i) => i.value.includes(k)), secret);
    assert.equal(shownAgain, false, 'the key is not shown a second time');
  });

  await step('revoke-key', async () => {
    await row.locator('[data-testid=key-revoke]').click();
    await page.locator('#confirm[open]').waitFor();
    await page.click('[data-testid=confirm-cancel]');
    assert.equal(await row.getAttribute('data-status'), 'active', 'cancelling keeps the key');

    await row.locator('[data-testid=key-revoke]').click();
    await page.click('[data-testid=confirm-ok]');
    await page.waitForFunction(() => [...document.querySelectorAll('[data-testid=key-row]')]
      .some((r) => r.textContent.includes('e2e import') && r.dataset.status === 'revoked'));
    assert.equal((await callApi('/api/v1/jobs', { token: secret })).status, 401, 'the revoked key is refused');
  });
});

test('the audit page lists sign-ins and key creations, filtered by action', async () => {
  await step('audit', async () => {
    await page.click('[data-testid=nav-audit]');
    await page.locator('[data-testid=audit-row]').first().waitFor();
    const actions = () => page.locator('[data-testid=audit-row]').evaluateAll((rs) => rs.map((r) => r.dataset.action));
    const all = await actions();
    assert.ok(all.includes('auth.login'), all.join(','));
    assert.ok(all.includes('api_key.create'), all.join(','));

    await page.fill('[data-testid=audit-action]', 'api_key');
    await page.click('[data-testid=audit-apply]');
    await page.waitForFunction(() => [...document.querySelectorAll('[data-testid=audit-row]')]
      .every((r) => r.dataset.action.startsWith('api_key.')));
    const keys = await actions();
    assert.ok(keys.includes('api_key.create') && !keys.includes('auth.login'), keys.join(','));

    await page.fill('[data-testid=audit-action]', 'auth.login');
    await page.click('[data-testid=audit-apply]');
    await page.waitForFunction(() => [...document.querySelectorAll('[data-testid=audit-row]')]
      .every((r) => r.dataset.action === 'auth.login'));
    assert.ok((await actions()).length >= 1);

    // Clicking an actor filters by it: the admin's own entries.
    await page.fill('[data-testid=audit-action]', '');
    const actor = page.locator('[data-testid=audit-row] [data-actor]').first();
    const who = await actor.getAttribute('data-actor');
    assert.match(who, /^user:/);
    await actor.click();
    assert.equal(await page.inputValue('[data-testid=audit-actor]'), who);
    await page.waitForFunction((w) => {
      const rows = [...document.querySelectorAll('[data-testid=audit-row]')];
      return rows.some((r) => r.dataset.action === 'api_key.create')
        && rows.every((r) => r.querySelector('[data-actor]').dataset.actor === w);
    }, who);
  });
});

test('the users page lists the admin and invites someone', async () => {
  await step('users', async () => {
    await page.click('[data-testid=nav-users]');
    const admin = page.locator('[data-testid=user-row]', { hasText: ADMIN_EMAIL });
    await admin.waitFor();
    assert.match(await admin.textContent(), /admin/);

    await page.fill('[data-testid=invite-email]', MEMBER.email);
    await page.selectOption('[data-testid=invite-role]', 'viewer');
    await page.click('[data-testid=invite-submit]');
    await page.locator('[data-testid=invite-created]').waitFor();
    MEMBER.invitation = await page.inputValue('[data-testid=invite-token]');
    assert.notEqual(MEMBER.invitation, '');
    assert.match(await text('[data-testid=invite-created]'), /new\.member@example\.com/);
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

    const socket = socketUrls.find((u) => u.includes(`/ws/jobs/${id}`));
    assert.ok(socket && new URL(socket).searchParams.get('access_token'), `the socket carries a token: ${socket}`);
  });

  await step('list', async () => {
    await page.click('[data-testid=nav-jobs]');
    const row = page.locator(`[data-testid=job-row][data-job-id="${id}"]`);
    await row.waitFor();
    assert.match(await row.textContent(), /builtin\.sleep.*succeeded.*100%/);
  });

});

test('signing out returns to the sign-in page and ends the session', async () => {
  await step('sign-out', async () => {
    const refreshToken = await page.evaluate(() => sessionStorage.getItem('tyto.refresh_token'));
    assert.ok(refreshToken);
    const loggedOut = page.waitForResponse((r) => new URL(r.url()).pathname === '/api/v1/auth/logout');
    await page.click('[data-testid=sign-out]');
    await page.waitForFunction(() => location.hash.startsWith('#/login'));
    assert.equal((await loggedOut).status(), 204);
    assert.match(await text('[data-testid=login-note]'), /signed out/);
    assert.equal(await page.locator('#nav').isVisible(), false);
    assert.equal(await page.evaluate(() => sessionStorage.length), 0);
    assert.equal((await callApi('/api/v1/auth/refresh', { method: 'POST', body: { refresh_token: refreshToken } })).status,
      401, 'the server revoked the session');

    await page.goto(`${base}/#/api-keys`);
    await page.waitForFunction(() => location.hash.startsWith('#/login'));
  });
});

test('a viewer sees no admin pages, and a revoked session asks to sign in again', async () => {
  await step('viewer', async () => {
    // The invited member registers through the API, then signs in here: a viewer sees no admin pages.
    const registered = await callApi('/api/v1/auth/register', { method: 'POST', body: MEMBER });
    assert.equal(registered.status, 201, JSON.stringify(registered.body));
    await page.fill('[data-testid=login-email]', MEMBER.email);
    await page.fill('[data-testid=login-password]', MEMBER.password);
    await page.click('[data-testid=login-submit]');
    await page.waitForFunction((email) => document.querySelector('[data-testid=user-email]')?.textContent === email,
      MEMBER.email);
    assert.equal(await text('[data-testid=user-role]'), 'viewer');
    for (const nav of ['nav-audit', 'nav-users', 'nav-api-keys']) {
      assert.equal(await page.locator(`[data-testid=${nav}]`).isVisible(), false, `${nav} hidden from a viewer`);
    }
    await page.goto(`${base}/#/audit`);
    await page.locator('[data-testid=not-allowed]').waitFor();
    assert.equal(await page.locator('[data-testid=audit-table]').count(), 0);
  });

  await step('session-revoked', async () => {
    // The session is revoked elsewhere: the next refresh is refused and the console asks to sign in
    // again, then comes back to the page it was on.
    await page.click('[data-testid=nav-jobs]');
    await page.locator('[data-testid=jobs-table]').waitFor();
    const refreshToken = await page.evaluate(() => sessionStorage.getItem('tyto.refresh_token'));
    assert.equal((await callApi('/api/v1/auth/logout', { method: 'POST', body: { refresh_token: refreshToken } })).status, 204);
    await page.waitForFunction(() => location.hash.startsWith('#/login'), null, { timeout: (ACCESS_TTL_S + 5) * 1000 });
    const params = new URLSearchParams((await hash()).split('?')[1]);
    assert.equal(params.get('reason'), 'expired');
    assert.equal(params.get('next'), '#/jobs');
    assert.match(await text('[data-testid=login-note]'), /session has ended/);
    forgive(/status of 401/);

    await page.fill('[data-testid=login-email]', MEMBER.email);
    await page.fill('[data-testid=login-password]', MEMBER.password);
    await page.click('[data-testid=login-submit]');
    await page.waitForFunction(() => location.hash === '#/jobs');
    await page.click('[data-testid=sign-out]');
    await page.waitForFunction(() => location.hash.startsWith('#/login'));
  });

  assert.deepEqual(pageProblems, [], 'no script errors or CSP violations in the page');
});
