// The captures product's console pages, end to end: the real `tyto` (which includes the product) on a fresh
// SQLite data directory with the repository's model registry (config/models.json, the models in
// $TYTO_MODELS_DIR), driven in Debian's Chromium with its synthetic camera. Four members of one tenant, each in
// a browser context of their own: a user, a tailor (partner), a labeler, invited by the admin's API key.
//
// The user checks the card in photos the test draws (a figure holding a white ID-1 card of a known size), takes
// the portrait with the camera, consents to keeping the photos and sends the capture, whose page follows it to
// the end and shows what the API says. A capture of figures measured on the device then shows each figure with
// its confidence; the user corrects the waist with the slider (keyboard) and a note, finds the edit in the
// history and exports the CSV sheet. The tailor sees the edit in the review queue beside the measured figure,
// makes the PDF and approves it; the labeler lists captures and labels one; the tailor uploads a batch with
// errors and sees each refused row. axe-core's WCAG 2.x A/AA rules run on every page (the view, not the
// platform's header). The tests run in order and build on each other.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startServer, stopServer } from './server.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '../..');
const BINARY = process.env.TYTO_BINARY || resolve(ROOT, 'build-dev/tyto');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const MODELS_DIR = process.env.TYTO_MODELS_DIR || resolve(ROOT, 'build/models');
// axe-core as scripts/setup.sh installs it for the accessibility product (src/products/accessibility/axe).
const AXE = process.env.AXE_CORE || resolve(ROOT, 'src/products/accessibility/axe/node_modules/axe-core/axe.min.js');
const ADMIN_EMAIL = 'admin@localhost';
const ADMIN_PASSWORD = 'correct horse battery staple';
const API_KEY = 'tyto_testadminkeyaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaq';
const LONG = 240_000;  // measuring photos on this shared 2-core machine may take a while
const MEMBERS = {
  user: { email: 'measured@example.com', password: 'a user who measures herself', role: 'user' },
  partner: { email: 'tailor@example.com', password: 'a tailor who approves edits', role: 'partner' },
  labeler: { email: 'labeler@example.com', password: 'a labeler of captures', role: 'labeler' },
};
// The drawn photos: 1200 × 1600 pixels, the card 240 pixels wide, so 240 / 85.6 px/mm.
const PHOTO = { width: 1200, height: 1600, cardPx: 240 };
const CARD_MM = 85.6;

let workDir;
let server;
let base;
let browser;
let axeSource;
let keepWorkDir = false;
const pages = {};      // role → the page of that member's browser context
const problems = [];   // script errors and console errors of every page
const violations = []; // axe's, per page audited
const state = {};      // what one test leaves for the next

async function step(name, fn) {
  try {
    await fn();
  } catch (err) {
    keepWorkDir = true;
    for (const [role, p] of Object.entries(pages)) {
      const shot = join(workDir, `${name.replace(/\W+/g, '-')}-${role}.png`);
      await p.screenshot({ path: shot, fullPage: true }).catch(() => {});
    }
    console.error(`screenshots in ${workDir}\nserver log (tail):\n${server?.log.slice(-40).join('\n')}`);
    throw err;
  }
}

// Drops the browser's own console errors for requests that a test made fail on purpose.
function forgive(pattern) {
  for (let i = problems.length - 1; i >= 0; i--) if (pattern.test(problems[i])) problems.splice(i, 1);
}

// Calls the API from the test itself with `token` (a member's access token; the admin's API key by default;
// null: none).
async function callApi(path, { method = 'GET', body, type, token = API_KEY, status } = {}) {
  const headers = { Accept: 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  let payload;
  if (body instanceof Uint8Array) {
    headers['Content-Type'] = type;
    payload = body;
  } else if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  const res = await fetch(`${base}${path}`, { method, headers, body: payload });
  const text = await res.text();
  const json = text ? JSON.parse(text) : null;
  if (status !== undefined) assert.equal(res.status, status, `${method} ${path}: ${text.slice(0, 300)}`);
  return json;
}

// Runs axe-core's WCAG 2.x A and AA rules and best practices on the page's view (#view; the platform's header
// is the platform's), and keeps what it finds for the last test.
async function audit(page, name) {
  if (!await page.evaluate(() => Boolean(window.axe))) await page.evaluate(axeSource);
  const found = await page.evaluate(async () => (await window.axe.run({ include: ['#view'] },
    { runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] })).violations
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`));
  for (const v of found) violations.push(`${name}: ${v}`);
}

// A new browser context for a member, signed in on the console.
async function signIn(role) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
  await context.grantPermissions(['camera'], { origin: base });
  const page = await context.newPage();
  page.setDefaultTimeout(30_000);
  page.on('pageerror', (err) => problems.push(`${role}: uncaught: ${err.message}`));
  page.on('console', (msg) => { if (msg.type() === 'error') problems.push(`${role}: console: ${msg.text()}`); });
  await page.goto(`${base}/#/login`);
  await page.fill('[data-testid=login-email]', MEMBERS[role].email);
  await page.fill('[data-testid=login-password]', MEMBERS[role].password);
  await page.click('[data-testid=login-submit]');
  await page.waitForFunction((r) => document.querySelector('[data-testid=user-role]')?.textContent === r, MEMBERS[role].role);
  pages[role] = page;
  return page;
}

// A photo the test draws in the page: a wall, a figure, and (card) a white ID-1 card on its chest, PNG bytes.
async function drawPhoto(page, { card, skin = '#c29577' }) {
  const dataUrl = await page.evaluate(({ width, height, cardPx, card, skin, ratio }) => {
    const c = document.createElement('canvas');
    c.width = width;
    c.height = height;
    const g = c.getContext('2d');
    g.fillStyle = '#d9d4cb';
    g.fillRect(0, 0, width, height);
    g.fillStyle = skin;
    g.beginPath();
    g.ellipse(width / 2, height * 0.12, width * 0.07, height * 0.06, 0, 0, Math.PI * 2);
    g.fill();
    g.fillStyle = '#2b3340';
    g.fillRect(width * 0.36, height * 0.2, width * 0.28, height * 0.4);
    g.fillRect(width * 0.38, height * 0.6, width * 0.1, height * 0.36);
    g.fillRect(width * 0.52, height * 0.6, width * 0.1, height * 0.36);
    if (card) {
      const w = cardPx;
      const h = cardPx / ratio;
      const x = (width - w) / 2;
      const y = height * 0.3;
      g.fillStyle = '#ffffff';
      g.beginPath();
      g.roundRect(x, y, w, h, w * 0.037);
      g.fill();
    }
    return c.toDataURL('image/png');
  }, { ...PHOTO, card, skin, ratio: CARD_MM / 53.98 });
  return Buffer.from(dataUrl.split(',')[1], 'base64');
}

before(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'tyto-e2e-captures-'));
  axeSource = await readFile(AXE, 'utf8').catch(() => {
    throw new Error(`axe-core is missing at ${AXE}: scripts/setup.sh installs it (or set AXE_CORE)`);
  });
  const started = await startServer(BINARY, workDir, {
    TYTO_MODULES_VISION_MODELS_FILE: join(ROOT, 'config/models.json'),
    TYTO_MODULES_VISION_MODELS_DIR: MODELS_DIR,
    TYTO_AUTH_ADMIN_EMAIL: ADMIN_EMAIL,
    TYTO_AUTH_ADMIN_PASSWORD: ADMIN_PASSWORD,
    TYTO_AUTH_BOOTSTRAP_API_KEY: API_KEY,
    TYTO_AUTH_ARGON2_OPS: '1',
    TYTO_AUTH_ARGON2_MEM_MIB: '8',
  });
  server = started.child;
  base = `http://127.0.0.1:${started.port}`;
  // The members: invited by the admin with their role, registered with the invitation.
  for (const m of Object.values(MEMBERS)) {
    const invitation = await callApi('/api/v1/invitations', { method: 'POST', body: { email: m.email, role: m.role }, status: 201 });
    const registered = await callApi('/api/v1/auth/register', { method: 'POST', token: null,
      body: { email: m.email, password: m.password, invitation: invitation.token }, status: 201 });
    m.token = registered.access_token;
    m.id = registered.user.id;
  }
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-sync',
      '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream'],
  });
});

after(async () => {
  await browser?.close();
  await stopServer(server);
  if (workDir && !keepWorkDir) await rm(workDir, { recursive: true, force: true });
  else if (workDir) console.error(`kept ${workDir}`);
});

test('a user checks the card in drawn photos, takes the portrait with the camera and sends the capture with her consent', async () => {
  await step('capture', async () => {
    const page = await signIn('user');
    const user = MEMBERS.user;
    assert.equal(await page.locator('[data-testid=nav-group-captures]').textContent(), 'Captures');
    assert.equal(await page.locator('[data-testid="nav-captures.review"]').count(), 0, 'a user has no review queue');
    await page.click('[data-testid="nav-captures.capture"]');
    await page.locator('[data-testid=cap-form]').waitFor();
    await page.waitForFunction(() => !document.querySelector('[data-testid=cap-consent-store]').disabled);
    assert.equal(await page.isChecked('[data-testid=cap-consent-store]'), false, 'no consent to keep photos yet');
    await audit(page, 'capture form');

    // The card in the front and side photos: what the page shows is what the API answers for the same bytes.
    state.front = await drawPhoto(page, { card: true });
    state.side = await drawPhoto(page, { card: true });
    for (const view of ['front', 'side']) {
      await page.setInputFiles(`[data-testid=cap-file-${view}]`, { name: `${view}.png`, mimeType: 'image/png', buffer: state[view] });
      await page.waitForFunction((v) => document.querySelector(`[data-testid=cap-card-${v}]`)?.dataset.detected !== undefined, view);
      const calibration = await callApi('/api/v1/capture/calibrate', { method: 'POST', body: state[view], type: 'image/png', token: user.token, status: 200 });
      const shown = page.locator(`[data-testid=cap-card-${view}]`);
      assert.equal(await shown.getAttribute('data-detected'), 'true', `the card of the ${view} photo is found`);
      assert.equal(calibration.card_detected, true);
      assert.equal(Number(await shown.getAttribute('data-px-per-mm')), calibration.px_per_mm);
      const expected = PHOTO.cardPx / CARD_MM;
      assert.ok(Math.abs(calibration.px_per_mm - expected) / expected < 0.05, `px/mm ${calibration.px_per_mm} is about ${expected}`);
      assert.match(await shown.textContent(), new RegExp(`${calibration.px_per_mm.toFixed(2)} px/mm`));
      assert.equal(await page.locator(`[data-testid=cap-corners-${view}]`).getAttribute('data-corners'), '4', 'the corners are drawn');
    }

    // The portrait from Chromium's synthetic camera, with the card's outline over the video.
    await page.click('[data-testid=cap-camera-start]');
    await page.waitForFunction(() => document.querySelector('[data-testid=cap-video]').videoWidth > 0);
    assert.ok(await page.locator('[data-testid=cap-card-guide]').isVisible(), 'the card outline is over the video');
    assert.equal(await page.inputValue('[data-testid=cap-camera-view]'), 'portrait', 'the photo not taken yet is next');
    await page.selectOption('[data-testid=cap-camera-timer]', '0');
    await audit(page, 'capture with the camera on');
    await page.click('[data-testid=cap-camera-take]');
    await page.waitForFunction(() => /Portrait photo taken\. All photos taken\./.test(document.querySelector('[data-testid=cap-camera-status]').textContent));
    assert.ok(await page.locator('[data-testid=cap-preview-portrait]').evaluate((img) => img.naturalWidth > 0), 'the portrait shows');
    await page.click('[data-testid=cap-camera-start]');  // stop it

    // Consent to keep the photos: saved at once, and the capture sends exactly that value.
    await page.check('[data-testid=cap-consent-store]');
    await page.waitForFunction(() => /kept/.test(document.querySelector('[data-testid=cap-consent-status]').textContent));
    assert.equal((await callApi('/api/v1/capture/consent', { token: user.token, status: 200 })).store_images, true);
    const sent = page.waitForRequest((r) => r.method() === 'POST' && new URL(r.url()).pathname === '/api/v1/capture');
    const answered = page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/api/v1/capture');
    await page.click('[data-testid=cap-submit]');
    const request = await sent;
    assert.match(request.headers()['content-type'], /^multipart\/form-data; boundary=/);
    // The API takes a capture only when its store_images equals the consent: a 202 is the page sending `true`.
    const response = await answered;
    assert.equal(response.status(), 202);
    state.photoCapture = (await response.json()).capture_id;
    await page.waitForFunction((id) => location.hash.includes(`id=${id}`), state.photoCapture);
    const capture = await callApi(`/api/v1/capture/${state.photoCapture}`, { token: user.token, status: 200 });
    assert.equal(capture.store_images, true);
    assert.deepEqual(Object.keys(capture.images).sort(), ['front', 'portrait', 'side']);
  });
});

test('the capture page follows the capture to its end and shows what the API says of it', async () => {
  await step('progress', async () => {
    const page = pages.user;
    await page.locator('[data-testid=cap-progress]').waitFor();
    await page.locator('[data-testid=cap-progress-status][data-status=completed], [data-testid=cap-progress-status][data-status=failed]')
      .waitFor({ timeout: LONG });
    const status = await callApi(`/api/v1/capture/${state.photoCapture}/status`, { token: MEMBERS.user.token, status: 200 });
    assert.equal(await page.getAttribute('[data-testid=cap-progress-status]', 'data-status'), status.status);
    if (status.status === 'failed') {
      assert.ok(status.error?.message, 'a failed capture says why');
      assert.match(await page.locator('[data-testid=cap-progress-line]').textContent(), new RegExp(status.error.message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
      return;
    }
    const results = await callApi(`/api/v1/capture/${state.photoCapture}/results`, { token: MEMBERS.user.token, status: 200 });
    await page.locator('[data-testid=cap-results]').waitFor();
    assert.equal(await page.locator('[data-testid=cap-metric]').count(), Object.keys(results.metrics).length);
    await page.waitForFunction(() => document.querySelector('[data-testid=cap-annotated-front]')?.naturalWidth > 0);
    assert.equal(await page.locator('[data-testid=cap-calibration]').isVisible(), true);
    await audit(page, 'results of photos');
  });
});

test('a capture of figures measured on the device shows each with its confidence, and the user corrects the waist', async () => {
  await step('edit', async () => {
    const page = pages.user;
    const user = MEMBERS.user;
    const created = await callApi('/api/v1/capture', { method: 'POST', token: user.token, status: 201, body: {
      metrics: { height: { value_cm: 176, confidence: 0.92 }, chest: { value_cm: 98.4, confidence: 0.7 },
        waist: { value_cm: 81.2, confidence: 0.8 }, hip: { value_cm: 99, confidence: 0.75 } },
      capture_meta: { app_version: 'e2e' } } });
    state.capture = created.capture_id;
    await page.click('[data-testid="nav-captures.list"]');
    const row = page.locator(`[data-testid=cap-row][data-id="${state.capture}"]`);
    await row.waitFor();
    assert.equal(await row.getAttribute('data-status'), 'completed');
    await audit(page, 'my captures');
    await row.locator('[data-testid=cap-row-link]').click();
    const waist = page.locator('[data-testid=cap-metric][data-name=waist]');
    await waist.waitFor();
    assert.equal(await page.locator('[data-testid=cap-metric]').count(), 4);
    assert.match(await waist.locator('[data-testid=cap-metric-value]').textContent(), /^81\.2 cm/);
    assert.match(await waist.locator('[data-testid=cap-confidence]').textContent(), /80 %/);
    await audit(page, 'results of device figures');

    // The editor: a slider ±15 % around 81.2 cm, moved with the keyboard (0.1 cm a step), and a note.
    await waist.locator('[data-testid=cap-metric-edit]').click();
    const slider = page.locator('[data-testid=cap-edit-slider]');
    assert.equal(await slider.getAttribute('min'), '69');
    assert.equal(await slider.getAttribute('max'), '93.4');
    assert.ok(await slider.evaluate((el) => el === document.activeElement), 'the slider has the focus');
    // More than double the measured figure is a typing error to the API: the field is marked, nothing saved.
    await page.fill('[data-testid=cap-edit-value]', '170');
    await page.click('[data-testid=cap-edit-save]');
    await page.locator('[data-testid=cap-edit-error]').waitFor();
    assert.match(await page.locator('[data-testid=cap-edit-error]').textContent(), /waist/);
    assert.equal(await page.getAttribute('[data-testid=cap-edit-value]', 'aria-invalid'), 'true');
    forgive(/^user: console: Failed to load resource: .* 422/);
    assert.equal((await callApi(`/api/v1/capture/${state.capture}/results`, { token: user.token, status: 200 })).adjustments.length, 0);
    await page.fill('[data-testid=cap-edit-value]', '81.2');
    await slider.focus();
    for (let i = 0; i < 20; i++) await page.keyboard.press('ArrowLeft');
    assert.equal(await page.inputValue('[data-testid=cap-edit-value]'), '79.2');
    await page.fill('[data-testid=cap-edit-note]', 'tape at the navel, relaxed');
    await audit(page, 'editor');
    await page.click('[data-testid=cap-edit-save]');
    const badge = waist.locator('[data-testid=cap-edited-badge]');
    await badge.waitFor();
    assert.equal(await badge.textContent(), 'edited by you · pending');
    assert.match(await waist.locator('[data-testid=cap-metric-value]').textContent(), /^79\.2 cm/);
    assert.equal(await page.getAttribute('[data-testid=cap-results-status]', 'data-status'), 'edited');

    const results = await callApi(`/api/v1/capture/${state.capture}/results`, { token: user.token, status: 200 });
    const edited = results.metrics_json.current.waist;
    assert.equal(edited.value_cm, 79.2);
    assert.equal(edited.original_cm, 81.2);
    assert.equal(edited.edit_status, 'pending');
    assert.equal(edited.note, 'tape at the navel, relaxed');
    assert.equal(results.metrics_json.original.waist.value_cm, 81.2, 'the measured figure stays');
    assert.equal(results.adjustments.length, 1);
    state.adjustment = results.adjustments[0].id;
    assert.equal(await badge.getAttribute('data-adjustment'), state.adjustment);
  });
});

test('the edit is in the history, and the CSV sheet is behind the export link', async () => {
  await step('history', async () => {
    const page = pages.user;
    await page.click('[data-testid=cap-edited-badge]');
    const item = page.locator(`[data-testid=cap-history-item][data-adjustment="${state.adjustment}"]`);
    await item.waitFor();
    assert.equal(await item.getAttribute('data-status'), 'pending');
    assert.match(await item.textContent(), /Waist 81\.2 cm → 79\.2 cm/);
    assert.match(await item.textContent(), /tape at the navel, relaxed/);
    assert.ok(await item.evaluate((el) => el === document.activeElement), 'the badge leads to the edit');
    const history = await callApi(`/api/v1/capture/${state.capture}/metrics/history`, { token: MEMBERS.user.token, status: 200 });
    assert.equal(await page.locator('[data-testid=cap-history-item]').count(), history.items.length);
    await audit(page, 'history');
    await page.setViewportSize({ width: 400, height: 900 });  // a phone: tables scroll sideways
    await audit(page, 'results on a narrow screen');
    await page.setViewportSize({ width: 1280, height: 1000 });

    await page.click('[data-testid=cap-export-csv]');
    const link = page.locator('[data-testid=cap-export-status] [data-testid=cap-export-link]');
    await link.waitFor();
    const res = await fetch(new URL(await link.getAttribute('href'), base));
    assert.equal(res.status, 200, 'the signed link works without a token');
    const csv = await res.text();
    assert.match(csv, /waist/i);
    assert.match(csv, /79\.2/);
  });
});

test('a tailor sees the edit beside the measured figure, makes the PDF and approves it', async () => {
  await step('review', async () => {
    const page = await signIn('partner');
    await page.click('[data-testid="nav-captures.review"]');
    const card = page.locator(`[data-testid=cap-review-item][data-id="${state.capture}"]`);
    await card.waitFor();
    const change = card.locator('[data-testid=cap-review-change][data-name=waist]');
    await page.waitForFunction((id) => document.querySelector(
      `[data-testid=cap-review-item][data-id="${id}"] [data-name=waist] [data-testid=cap-review-original]`)?.textContent === '81.2 cm', state.capture);
    assert.equal(await change.locator('[data-testid=cap-review-edited]').textContent(), '79.2 cm');
    assert.match(await card.locator('[data-testid=cap-review-note]').textContent(), /tape at the navel, relaxed/);
    await audit(page, 'review queue');

    await card.locator('[data-testid=cap-review-pdf]').click();
    const link = card.locator('[data-testid=cap-export-link]');
    await link.waitFor();
    const pdf = await fetch(new URL(await link.getAttribute('href'), base));
    assert.equal(pdf.status, 200);
    assert.equal(Buffer.from(await pdf.arrayBuffer()).subarray(0, 5).toString(), '%PDF-');

    await card.locator('[data-testid=cap-review-decision-note]').fill('checked with the customer');
    await card.locator('[data-testid=cap-review-approve]').click();
    await card.waitFor({ state: 'detached' });
    assert.match(await page.locator('[data-testid=cap-review-done]').textContent(), /approved/);
    const results = await callApi(`/api/v1/capture/${state.capture}/results`, { token: MEMBERS.user.token, status: 200 });
    assert.equal(results.status, 'approved');
    assert.equal(results.adjustments[0].status, 'approved');
    assert.equal(results.adjustments[0].decided_by, MEMBERS.partner.id);
    assert.equal(results.metrics_json.current.waist.value_cm, 79.2);

    // The user's page, read again, says the edit is approved.
    await pages.user.reload();
    const badge = pages.user.locator('[data-testid=cap-metric][data-name=waist] [data-testid=cap-edited-badge]');
    await badge.waitFor();
    assert.equal(await badge.textContent(), 'edited by you · approved');
  });
});

test('a labeler lists the captures that need review, then all, and labels one', async () => {
  await step('label', async () => {
    const page = await signIn('labeler');
    const labeler = MEMBERS.labeler;
    await page.click('[data-testid="nav-captures.label"]');
    await page.locator('[data-testid=cap-label-needs-review]').waitFor();
    const ids = () => page.locator('[data-testid=cap-label-row]').evaluateAll((rows) => rows.map((r) => r.dataset.id));
    const expect = async (needsReview) => (await callApi(`/api/v1/admin/captures${needsReview ? '?needs_review=true' : ''}`,
      { token: labeler.token, status: 200 })).items.map((c) => c.capture_id);
    const reviewIds = await expect(true);
    await page.waitForFunction((n) => document.querySelectorAll('[data-testid=cap-label-row]').length === n
      || (n === 0 && !document.querySelector('[data-testid=cap-label-empty]').hidden), reviewIds.length);
    assert.deepEqual(await ids(), reviewIds);
    assert.ok(!reviewIds.includes(state.capture), 'figures with confidences need no review');
    await page.uncheck('[data-testid=cap-label-needs-review]');
    const all = await expect(false);
    await page.waitForFunction((n) => document.querySelectorAll('[data-testid=cap-label-row]').length === n, all.length);
    assert.deepEqual(await ids(), all);
    await audit(page, 'labelling list');

    await page.click(`[data-testid=cap-label-row][data-id="${state.capture}"] [data-testid=cap-label-open]`);
    await page.locator('[data-testid=cap-label-form]').waitFor();
    assert.equal(await page.locator('[data-testid=cap-metric-edit]').count(), 0, 'a labeler does not edit the user\'s figures');
    await page.fill('[data-testid=cap-label-metric][data-name=waist]', '80.5');
    await page.check('[data-testid=cap-label-flag][value=loose_clothing]');
    await page.fill('[data-testid=cap-label-note]', 'measured over a thin shirt');
    await audit(page, 'labelling a capture');
    const answered = page.waitForResponse((r) => r.request().method() === 'POST' && r.url().includes('/api/v1/admin/label/'));
    await page.click('[data-testid=cap-label-submit]');
    const response = await answered;
    assert.equal(response.status(), 201);
    assert.deepEqual(JSON.parse(response.request().postData()), {
      labels: { metrics_cm: { waist: 80.5 }, flags: ['loose_clothing'], note: 'measured over a thin shirt' } });
    const label = await response.json();
    assert.equal(label.capture_id, state.capture);
    assert.equal(label.labeler_id, labeler.id);
    await page.waitForFunction((id) => document.querySelector('[data-testid=cap-label-status]')?.dataset.labelId === id, label.id);
  });
});

test('a partner uploads a batch with errors and sees each refused row, the counts and the report', async () => {
  await step('batch', async () => {
    const page = pages.partner;
    await page.click('[data-testid="nav-captures.partner"]');
    const csv = ['external_id,unit,height,chest,waist,hip',
      'C-1,cm,176,98,81,99',
      'C-2,cm,176,98,400,99',
      'C-3,in,69.3,38.6,32,39',
      'C-4,cm,abc,98,81,99'].join('\n');
    await page.setInputFiles('[data-testid=cap-batch-file]', { name: 'customers.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    const answered = page.waitForResponse((r) => r.url().endsWith('/api/v1/partner/upload-batch'));
    await page.click('[data-testid=cap-batch-submit]');
    const response = await answered;
    assert.equal(response.status(), 201);
    assert.match(response.request().headers()['content-type'], /^text\/csv/);
    const batch = await response.json();
    await page.locator('[data-testid=cap-batch]').waitFor();
    assert.equal(batch.rows_total, 4);
    assert.ok(batch.rows_refused >= 2, 'the row with a 400 cm waist and the one without a height are refused');
    assert.equal(await page.locator('[data-testid=cap-batch-accepted]').textContent(), `${batch.rows_accepted} accepted`);
    assert.equal(await page.locator('[data-testid=cap-batch-refused]').textContent(), `${batch.rows_refused} refused`);
    for (const row of batch.rows) {
      const trs = page.locator(`[data-testid=cap-batch-row][data-row="${row.row}"]`);
      if (row.accepted) {
        assert.equal(await trs.count(), 1);
        assert.equal(await trs.getAttribute('data-accepted'), 'true');
        continue;
      }
      assert.equal(await trs.count(), row.errors.length, `row ${row.row}: a line per error`);
      for (const e of row.errors) {
        const tr = page.locator(`[data-testid=cap-batch-row][data-row="${row.row}"][data-field="${e.field}"][data-code="${e.code}"]`);
        assert.equal(await tr.count(), 1, `row ${row.row}: ${e.field} ${e.code}`);
        assert.match(await tr.getAttribute('class'), /cap-row-refused/);
        assert.match(await tr.textContent(), new RegExp(e.message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
      }
    }
    const refused = batch.rows.filter((r) => !r.accepted).map((r) => r.external_id);
    assert.ok(refused.includes('C-2') && refused.includes('C-4') && !refused.includes('C-1'), `refused: ${refused}`);
    const report = await fetch(new URL(await page.locator('[data-testid=cap-batch-counts] [data-testid=cap-export-link]').getAttribute('href'), base));
    assert.equal(report.status, 200);
    assert.match(await report.text(), /C-2,false,waist,/);
    await audit(page, 'partner batch');

    // A JSON batch goes with its own Content-Type.
    const json = JSON.stringify([{ external_id: 'J-1', unit: 'cm', height: 170, waist: 75 }]);
    const second = page.waitForResponse((r) => r.url().endsWith('/api/v1/partner/upload-batch'));
    await page.setInputFiles('[data-testid=cap-batch-file]', { name: 'customers.json', mimeType: 'application/json', buffer: Buffer.from(json) });
    await page.click('[data-testid=cap-batch-submit]');
    const jsonResponse = await second;
    assert.equal(jsonResponse.status(), 201);
    assert.match(jsonResponse.request().headers()['content-type'], /^application\/json/);
    await page.waitForFunction((id) => document.querySelector('[data-testid=cap-batch]')?.dataset.id === id, (await jsonResponse.json()).id);

    // The partner's exports: both batch reports and the PDF made in the review queue.
    const exports = (await callApi('/api/v1/partner/me/exports', { token: MEMBERS.partner.token, status: 200 })).items;
    await page.waitForFunction((n) => document.querySelectorAll('[data-testid=cap-export-row]').length === n, exports.length);
    assert.deepEqual(await page.locator('[data-testid=cap-export-row]').evaluateAll((rows) => rows.map((r) => r.dataset.kind)),
      exports.map((e) => e.kind));
    assert.ok(exports.some((e) => e.kind === 'pdf' && e.capture_id === state.capture));
    assert.equal(exports.filter((e) => e.kind === 'batch_csv').length, 2);
    await audit(page, 'partner exports');
  });
});

test('the captures pages pass axe\'s WCAG 2.x A and AA rules', () => {
  assert.deepEqual(violations, []);
});

test('the pages logged no errors', () => {
  assert.deepEqual(problems, []);
});
