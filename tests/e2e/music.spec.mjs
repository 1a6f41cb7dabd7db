// The music catalog's console pages, end to end: the real `tyto` (which includes the product) on a fresh SQLite
// data directory, driven in Debian's Chromium. Two members of one tenant, invited by the admin's API key, each
// in a browser context of their own: a player and a verifier (a member the admin grants the verifier role).
//
// The player uploads a recording the test synthesises (a drum loop of kick, snare and hi-hat hits), which the
// empty catalog does not recognise; they add the song, generate a drum map and watch its progress to the end,
// open the viewer (every note drawn, the uncertain ones listed, the recording playing under the playhead) and
// submit a fix that deletes a note. The verifier finds the fix in the queue, whose diff shows the removed note,
// and approves it; the player, on the karma page all along, sees the notification arrive live and karma +10.
// Looked up again, the recording is recognised and offered the verified map, ported onto the upload. A second
// generated map is verified as it is from the queue. Two fixes of one note: the later ends in conflict; a third
// fix is rejected.
// axe-core's WCAG 2.x A/AA rules run on every page (the view, not the platform's header). The tests run in
// order and build on each other.

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
// axe-core as scripts/setup.sh installs it for the accessibility product (src/products/accessibility/axe).
const AXE = process.env.AXE_CORE || resolve(ROOT, 'src/products/accessibility/axe/node_modules/axe-core/axe.min.js');
const ADMIN_EMAIL = 'admin@localhost';
const ADMIN_PASSWORD = 'correct horse battery staple';
const API_KEY = 'tyto_testadminkeyaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaq';
const LONG = 240_000;  // fingerprinting and map generation on this shared 2-core machine may take a while
const MEMBERS = {
  player: { email: 'drummer@example.com', password: 'a player who fixes drum maps', role: 'user' },
  verifier: { email: 'verifier@example.com', password: 'a verifier of drum map fixes', role: 'user' },
};
const SONG = { title: 'Four on the Floor', artist: 'The Test Kit' };

let workDir;
let server;
let base;
let browser;
let axeSource;
let keepWorkDir = false;
const pages = {};      // member → the page of that member's browser context
const problems = [];   // script errors and console errors of every page
const failed = [];     // the requests that failed, to explain a console error
const violations = []; // axe's, per page audited
const state = {};      // what one test leaves for the next

// Drops the browser's own console errors for requests that a test made fail on purpose.
function forgive(pattern) {
  for (let i = problems.length - 1; i >= 0; i--) if (pattern.test(problems[i])) problems.splice(i, 1);
}

async function step(name, fn) {
  try {
    await fn();
  } catch (err) {
    keepWorkDir = true;
    for (const [who, p] of Object.entries(pages)) {
      const shot = join(workDir, `${name.replace(/\W+/g, '-')}-${who}.png`);
      await p.screenshot({ path: shot, fullPage: true }).catch(() => {});
    }
    console.error(`screenshots in ${workDir}\nserver log (tail):\n${server?.log.slice(-40).join('\n')}`);
    throw err;
  }
}

// Calls the API from the test itself with `token` (a member's access token; the admin's API key by default).
async function callApi(path, { method = 'GET', body, token = API_KEY, status } = {}) {
  const headers = { Accept: 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  let payload;
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  const res = await fetch(`${base}${path}`, { method, headers, body: payload });
  const text = await res.text();
  const json = text ? JSON.parse(text) : null;
  if (status !== undefined) assert.equal(res.status, status, `${method} ${path}: ${text.slice(0, 300)}`);
  return json;
}

// Runs axe-core's WCAG 2.x A and AA rules and best practices on the page's view (#view), and keeps what it
// finds for the last test.
async function audit(page, name) {
  if (!await page.evaluate(() => Boolean(window.axe))) await page.evaluate(axeSource);
  const found = await page.evaluate(async () => (await window.axe.run({ include: ['#view'] },
    { runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] })).violations
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`));
  for (const v of found) violations.push(`${name}: ${v}`);
}

// A new browser context for a member, signed in on the console.
async function signIn(who) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
  const page = await context.newPage();
  page.setDefaultTimeout(30_000);
  page.on('pageerror', (err) => problems.push(`${who}: uncaught: ${err.message}`));
  page.on('console', (msg) => { if (msg.type() === 'error') problems.push(`${who}: console: ${msg.text()}`); });
  page.on('response', (r) => { if (r.status() >= 400) failed.push(`${who}: ${r.status()} ${r.request().method()} ${new URL(r.url()).pathname}`); });
  await page.goto(`${base}/#/login`);
  await page.fill('[data-testid=login-email]', MEMBERS[who].email);
  await page.fill('[data-testid=login-password]', MEMBERS[who].password);
  await page.click('[data-testid=login-submit]');
  await page.waitForFunction((r) => document.querySelector('[data-testid=user-role]')?.textContent === r, MEMBERS[who].role);
  pages[who] = page;
  return page;
}

// Sixteen seconds of a drum loop at 120 bpm as 16-bit mono PCM WAV: a kick (a falling sine) on beats 1 and 3,
// a snare (a tone and noise) on 2 and 4, a hi-hat (high noise) on every eighth, over a quiet A minor chord that
// gives the fingerprinter (chroma) something to hear and the percussive separation something to leave out.
function drumLoopWav({ seconds = 16, rate = 22050, bpm = 120 } = {}) {
  const n = Math.round(seconds * rate);
  const x = new Float32Array(n);
  let seed = 12345;
  const noise = () => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed / 0x3fffffff - 1; };
  const beat = 60 / bpm;
  const hit = (t0, length, sample) => {
    const start = Math.round(t0 * rate);
    for (let i = 0; i < length * rate && start + i < n; i++) x[start + i] += sample(i / rate);
  };
  let previous = 0;
  for (let k = 0; k * beat / 2 < seconds; k++) {
    const t = k * beat / 2;
    hit(t, 0.04, (s) => { const v = noise(); const hp = v - previous; previous = v; return 0.25 * hp * Math.exp(-s / 0.012); });
    if (k % 2 === 1) continue;
    const b = k / 2;
    if (b % 2 === 0) hit(t, 0.3, (s) => 0.9 * Math.sin(2 * Math.PI * (50 * s + 60 * 0.05 * (1 - Math.exp(-s / 0.05)))) * Math.exp(-s / 0.09));
    else hit(t, 0.2, (s) => (0.35 * Math.sin(2 * Math.PI * 190 * s) + 0.45 * noise()) * Math.exp(-s / 0.06));
  }
  for (let i = 0; i < n; i++) {
    const t = i / rate;
    x[i] += 0.03 * (Math.sin(2 * Math.PI * 220 * t) + Math.sin(2 * Math.PI * 261.63 * t) + Math.sin(2 * Math.PI * 329.63 * t));
  }
  const out = Buffer.alloc(44 + n * 2);
  out.write('RIFF', 0);
  out.writeUInt32LE(36 + n * 2, 4);
  out.write('WAVEfmt ', 8);
  out.writeUInt32LE(16, 16);
  out.writeUInt16LE(1, 20);
  out.writeUInt16LE(1, 22);
  out.writeUInt32LE(rate, 24);
  out.writeUInt32LE(rate * 2, 28);
  out.writeUInt16LE(2, 32);
  out.writeUInt16LE(16, 34);
  out.write('data', 36);
  out.writeUInt32LE(n * 2, 40);
  for (let i = 0; i < n; i++) out.writeInt16LE(Math.round(Math.max(-1, Math.min(1, x[i])) * 32767), 44 + i * 2);
  return out;
}

before(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'tyto-e2e-music-'));
  axeSource = await readFile(AXE, 'utf8').catch(() => {
    throw new Error(`axe-core is missing at ${AXE}: scripts/setup.sh installs it (or set AXE_CORE)`);
  });
  const started = await startServer(BINARY, workDir, {
    TYTO_AUTH_ADMIN_EMAIL: ADMIN_EMAIL,
    TYTO_AUTH_ADMIN_PASSWORD: ADMIN_PASSWORD,
    TYTO_AUTH_BOOTSTRAP_API_KEY: API_KEY,
    TYTO_AUTH_ARGON2_OPS: '1',
    TYTO_AUTH_ARGON2_MEM_MIB: '8',
  });
  server = started.child;
  base = `http://127.0.0.1:${started.port}`;
  // The members: invited by the admin with the role user, registered with the invitation.
  for (const m of Object.values(MEMBERS)) {
    const invitation = await callApi('/api/v1/invitations', { method: 'POST', body: { email: m.email, role: m.role }, status: 201 });
    const registered = await callApi('/api/v1/auth/register', { method: 'POST', token: null,
      body: { email: m.email, password: m.password, invitation: invitation.token }, status: 201 });
    m.token = registered.access_token;
    m.id = registered.user.id;
  }
  // The verifier's role: granted by the admin (karma would earn it at 50).
  await callApi(`/api/v1/users/${MEMBERS.verifier.id}/grants/verifier`, { method: 'PUT', status: 204 });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-sync',
      '--autoplay-policy=no-user-gesture-required'],
  });
});

after(async () => {
  await browser?.close();
  await stopServer(server);
  if (workDir && !keepWorkDir) await rm(workDir, { recursive: true, force: true });
  else if (workDir) console.error(`kept ${workDir}`);
});

test('a player uploads a drum loop, it is not recognised, and they add the song', async () => {
  await step('identify', async () => {
    const page = await signIn('player');
    const player = MEMBERS.player;
    assert.equal(await page.locator('[data-testid=nav-group-music]').textContent(), 'Music');
    assert.equal(await page.locator('[data-testid="nav-music.queue"]').count(), 0, 'a player has no fix queue');
    await page.click('[data-testid="nav-music.songs"]');
    await page.locator('[data-testid=mu-upload-form]').waitFor();
    await page.locator('[data-testid=mu-songs-empty]').waitFor();
    await audit(page, 'songs, empty');

    state.wav = drumLoopWav();
    await page.setInputFiles('[data-testid=mu-upload-file]', { name: 'drum-loop.wav', mimeType: 'audio/wav', buffer: state.wav });
    const looked = page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/api/v1/songs/lookup');
    await page.click('[data-testid=mu-upload-submit]');
    const lookupResponse = await looked;
    assert.equal(lookupResponse.status(), 202, 'a new recording is identified by a job');
    const objectId = JSON.parse(lookupResponse.request().postData()).object_id;
    await page.locator('[data-testid=mu-not-recognised]').waitFor({ timeout: LONG });
    const result = page.locator('[data-testid=mu-lookup-result]');
    assert.equal(await result.getAttribute('data-recognised'), 'false');
    state.lookupId = await result.getAttribute('data-lookup-id');
    const lookup = await callApi(`/api/v1/songs/lookups/${state.lookupId}`, { token: player.token, status: 200 });
    assert.equal(lookup.status, 'completed');
    assert.equal(lookup.object_id, objectId);
    assert.deepEqual(lookup.matches, [], 'the empty catalog matches nothing');
    assert.equal(lookup.offer.reason, 'not_recognised');
    const upload = await callApi(`/api/v1/objects/${objectId}`, { token: player.token, status: 200 });
    assert.equal(upload.purpose, 'audio');
    assert.equal(upload.size, state.wav.length);
    await audit(page, 'not recognised');

    await page.click('[data-testid=mu-add-song]');  // empty: refused in the page, nothing sent
    assert.match(await page.locator('[data-testid=mu-add-error]').textContent(), /title and artist/);
    assert.equal(await page.getAttribute('[data-testid=mu-add-title]', 'aria-invalid'), 'true');
    await page.fill('[data-testid=mu-add-title]', SONG.title);
    await page.fill('[data-testid=mu-add-artist]', SONG.artist);
    const added = page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/api/v1/songs');
    await page.click('[data-testid=mu-add-song]');
    const addResponse = await added;
    assert.equal(addResponse.status(), 202);
    assert.deepEqual(JSON.parse(addResponse.request().postData()), { ...SONG, object_id: objectId });
    state.songId = (await addResponse.json()).id;
    await page.waitForFunction((id) => location.hash.includes(`song=${id}`), state.songId);
    await page.locator('[data-testid=mu-song-status][data-state=ready]').waitFor({ timeout: LONG });
    const song = await callApi(`/api/v1/songs/${state.songId}`, { token: player.token, status: 200 });
    assert.equal(song.status, 'ready');
    assert.equal(song.object_id, objectId);
    assert.equal(await page.locator('[data-testid=mu-song-title]').textContent(), `${SONG.title} — ${SONG.artist}`);
    assert.equal(await page.isEnabled('[data-testid=mu-generate]'), true);

    // The songs list finds it by its artist, and finds nothing for another name.
    await page.click('.crumbs a');
    await page.fill('[data-testid=mu-songs-q]', 'test kit');
    await page.press('[data-testid=mu-songs-q]', 'Enter');
    await page.locator(`[data-testid=mu-song-row][data-id="${state.songId}"]`).waitFor();
    await page.fill('[data-testid=mu-songs-q]', 'no such band');
    await page.press('[data-testid=mu-songs-q]', 'Enter');
    await page.waitForFunction(() => !document.querySelector('[data-testid=mu-songs-empty]').hidden);
    assert.equal(await page.locator('[data-testid=mu-song-row]').count(), 0);
    await audit(page, 'songs list');
  });
});

test('they generate a drum map and watch its progress to the end', async () => {
  await step('generate', async () => {
    const page = pages.player;
    await page.goto(`${base}/#/music.songs?song=${state.songId}`);
    await page.locator('[data-testid=mu-song-status][data-state=ready]').waitFor();
    // Every percentage the bar shows, in order.
    await page.evaluate(() => {
      window.__progress = [];
      const bar = document.querySelector('[data-testid=mu-generate-progress]');
      new MutationObserver(() => window.__progress.push(Number(bar.getAttribute('aria-valuenow'))))
        .observe(bar, { attributes: true, attributeFilter: ['aria-valuenow'] });
    });
    const started = page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/maps/generate'));
    await page.click('[data-testid=mu-generate]');
    const response = await started;
    assert.equal(response.status(), 202);
    const { map_id: mapId, job_id: jobId } = await response.json();
    state.mapId = mapId;
    assert.equal(await page.isDisabled('[data-testid=mu-generate]'), true, 'one generation at a time');
    await page.locator('[data-testid=mu-generate-status][data-state=ready], [data-testid=mu-generate-status][data-state=failed]')
      .waitFor({ timeout: LONG });
    const job = await callApi(`/api/v1/jobs/${jobId}`, { token: MEMBERS.player.token, status: 200 });
    assert.equal(job.state, 'succeeded', `the generation job: ${JSON.stringify(job.error)}`);
    const map = await callApi(`/api/v1/maps/${mapId}`, { token: MEMBERS.player.token, status: 200 });
    assert.equal(map.state, 'unverified');
    assert.ok(map.notes > 0, 'the drum loop has notes');
    state.map = map;
    assert.equal(await page.getAttribute('[data-testid=mu-generate-status]', 'data-state'), 'ready');
    assert.match(await page.locator('[data-testid=mu-generate-status]').textContent(),
      new RegExp(`${map.notes} notes, ${map.metadata.uncertain_notes} uncertain`));
    assert.equal(await page.getAttribute('[data-testid=mu-generate-progress]', 'aria-valuenow'), '100');
    const seen = await page.evaluate(() => window.__progress);
    assert.equal(seen.at(-1), 100);
    assert.deepEqual(seen, [...seen].sort((a, b) => a - b), `the progress only grows: ${seen}`);
    const row = page.locator(`[data-testid=mu-song-map][data-id="${mapId}"]`);
    await page.waitForFunction((id) => document.querySelector(`[data-testid=mu-song-map][data-id="${id}"]`)?.dataset.state === 'unverified', mapId);
    assert.match(await row.textContent(), new RegExp(`${map.notes}`));
    await audit(page, 'song with its map');
  });
});

test('the viewer draws every note, lists the uncertain ones and plays the recording under the playhead', async () => {
  await step('viewer', async () => {
    const page = pages.player;
    await page.click('[data-testid=mu-generated-link]');
    await page.locator('[data-testid=mu-map]').waitFor();
    await page.locator('[data-testid=mu-timeline] [data-testid=mu-note]').first().waitFor();
    const content = await callApi(`/api/v1/maps/${state.mapId}/content`, { token: MEMBERS.player.token, status: 200 });
    state.content = content;
    assert.equal(content.format, 'tyto.drum_map');
    const drawn = await page.locator('[data-testid=mu-timeline] [data-testid=mu-note]')
      .evaluateAll((els) => els.map((e) => [Number(e.dataset.index), e.dataset.lane, Number(e.dataset.t)]));
    assert.deepEqual(drawn, content.notes.map((n, i) => [i, n.lane, n.t]), 'one dot per note, on its lane, at its time');
    const lanes = [...new Set(content.notes.map((n) => n.lane))];
    for (const lane of lanes) assert.ok(await page.locator('.mu-lane-label', { hasText: lane }).count(), `a row for ${lane}`);
    assert.equal(await page.locator('[data-testid=mu-timeline] [data-testid=mu-beat]').count(), content.beats.length);
    assert.equal(await page.locator('[data-testid=mu-map-notes]').textContent(), String(content.notes.length));

    const uncertain = content.notes.flatMap((n, i) => (n.confidence < 0.5 ? [i] : []));
    state.uncertain = uncertain;
    assert.equal(await page.locator('[data-testid=mu-map-uncertain]').textContent(), String(uncertain.length));
    assert.equal(await page.locator('[data-testid=mu-timeline] [data-testid=mu-note][data-uncertain=true]').count(), uncertain.length);
    if (uncertain.length) {
      const listed = await page.locator('[data-testid=mu-uncertain-list] [data-testid=mu-note-row]').evaluateAll((rows) => rows.map((r) => Number(r.dataset.index)));
      assert.deepEqual(listed, uncertain, 'each uncertain note is listed, in time order');
    } else {
      assert.equal(await page.isVisible('[data-testid=mu-uncertain-empty]'), true);
    }

    // The recording: a signed link of the song's upload, the WAV the test made; the playhead follows it.
    await page.waitForFunction(() => document.querySelector('[data-testid=mu-audio]')?.dataset.src);
    const src = await page.getAttribute('[data-testid=mu-audio]', 'data-src');
    const audio = await fetch(new URL(src, base));
    assert.equal(audio.status, 200, 'the signed link works without a token');
    assert.deepEqual(Buffer.from(await audio.arrayBuffer()), state.wav);
    await page.waitForFunction(() => document.querySelector('[data-testid=mu-audio]').readyState >= 1, null, { timeout: 15_000 });
    await page.evaluate(() => { document.querySelector('[data-testid=mu-audio]').currentTime = 2.5; });
    await page.waitForFunction(() => Math.abs(Number(document.querySelector('[data-testid=mu-playhead]').dataset.t) - 2.5) < 0.05);
    const at = Number(await page.getAttribute('[data-testid=mu-playhead]', 'data-t'));
    const sounding = await page.locator('[data-testid=mu-timeline] [data-testid=mu-note].mu-now').evaluateAll((els) => els.map((e) => Number(e.dataset.index)));
    assert.deepEqual(sounding, content.notes.flatMap((n, i) => (Math.abs(n.t - at) <= 0.06 ? [i] : [])), 'the notes under the playhead light up');
    await page.evaluate(() => document.querySelector('[data-testid=mu-audio]').play());
    await page.waitForFunction(() => Number(document.querySelector('[data-testid=mu-playhead]').dataset.t) > 2.7, null, { timeout: 15_000 });
    await page.evaluate(() => document.querySelector('[data-testid=mu-audio]').pause());

    // The percussive stem has a signed link of its own.
    await page.click('[data-testid=mu-stem]');
    const stem = await fetch(new URL(await page.locator('[data-testid=mu-stem-link]').getAttribute('href'), base));
    assert.equal(stem.status, 200);
    assert.equal(Buffer.from(await stem.arrayBuffer()).subarray(0, 4).toString(), 'RIFF');
    await audit(page, 'map viewer');

    // An easier difficulty thins the map: the page draws what the API serves for it, and offers no fix there.
    await page.selectOption('[data-testid=mu-difficulty]', 'easy');
    await page.waitForFunction(() => location.hash.includes('difficulty=easy'));
    const easy = await callApi(`/api/v1/maps/${state.mapId}/content?difficulty=easy`, { token: MEMBERS.player.token, status: 200 });
    await page.locator('[data-testid=mu-fix-closed]').waitFor();
    assert.equal(await page.locator('[data-testid=mu-timeline] [data-testid=mu-note]').count(), easy.notes.length);
    assert.ok(easy.notes.length <= content.notes.length);
    await page.setViewportSize({ width: 400, height: 900 });  // a phone: the timeline and tables scroll sideways
    await audit(page, 'map viewer on a narrow screen');
    await page.setViewportSize({ width: 1280, height: 1000 });
    await page.selectOption('[data-testid=mu-difficulty]', 'expert');
    await page.locator('[data-testid=mu-fix-form]').waitFor();
  });
});

test('the player submits a fix that deletes a note', async () => {
  await step('fix', async () => {
    const page = pages.player;
    const content = state.content;
    // The first uncertain note, where a fixer starts; else the first note, found by its time.
    const index = state.uncertain[0] ?? 0;
    const note = content.notes[index];
    state.deleted = note;

    // A note past the end of any recording (a map covers an hour at most): the page builds the patch, the
    // server's validator refuses it and the page shows why; nothing is stored.
    const late = 3700;
    await page.fill('[data-testid=mu-add-time]', String(late));
    await page.selectOption('[data-testid=mu-add-lane]', 'crash');
    await page.click('[data-testid=mu-add-note]');
    const past = { op: 'add', path: `/notes/${content.notes.length}`, value: { t: late, lane: 'crash', velocity: 0.8, confidence: 1 } };
    assert.deepEqual(JSON.parse(await page.locator('[data-testid=mu-patch]').textContent()), [past]);
    await page.locator('[data-testid=mu-timeline] [data-testid=mu-note][data-kind=added]').waitFor({ state: 'attached' });
    const refused = page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith(`/maps/${state.mapId}/edits`));
    await page.click('[data-testid=mu-fix-submit]');
    assert.equal((await refused).status(), 422);
    const error = page.locator('[data-testid=mu-fix-error]');
    await error.waitFor();
    assert.match(await error.textContent(), /invalid map/);
    assert.match(await error.textContent(), /notes\[\d+\]/, 'the validator names the note');
    forgive(/^player: console: Failed to load resource: .* 422/);
    assert.deepEqual((await callApi(`/api/v1/maps/${state.mapId}/edits`, { token: MEMBERS.player.token, status: 200 })).items, []);
    await page.click('[data-testid=mu-change][data-kind=add] button');
    assert.equal(await page.locator('[data-testid=mu-change]').count(), 0);
    assert.equal(await page.isDisabled('[data-testid=mu-fix-submit]'), true, 'nothing to send');

    // A lane change is a replace of the note's lane; choosing its lane again takes it back.
    await page.fill('[data-testid=mu-window-from]', String(Math.floor(content.notes[0].t * 10) / 10));
    const first = page.locator('[data-testid=mu-window-list] [data-testid=mu-note-row][data-index="0"] [data-testid=mu-note-lane]');
    const other = content.notes[0].lane === 'tom' ? 'ride' : 'tom';
    await first.selectOption(other);
    assert.deepEqual(JSON.parse(await page.locator('[data-testid=mu-patch]').textContent()),
      [{ op: 'replace', path: '/notes/0/lane', value: other }]);
    await page.locator(`[data-testid=mu-timeline] [data-testid=mu-note][data-index="0"][data-kind=moved][data-lane=${other}]`).waitFor({ state: 'attached' });
    await first.selectOption(content.notes[0].lane);
    assert.equal(await page.locator('[data-testid=mu-change]').count(), 0);
    if (state.uncertain.length) {
      await page.check(`[data-testid=mu-uncertain-list] [data-testid=mu-note-row][data-index="${index}"] [data-testid=mu-note-delete]`);
    } else {
      await page.fill('[data-testid=mu-window-from]', String(Math.floor(note.t * 10) / 10));
      await page.check(`[data-testid=mu-window-list] [data-testid=mu-note-row][data-index="${index}"] [data-testid=mu-note-delete]`);
    }
    await page.locator(`[data-testid=mu-timeline] [data-testid=mu-note][data-index="${index}"][data-kind=deleted]`).waitFor();
    assert.equal(await page.locator('[data-testid=mu-change]').count(), 1);
    const patch = [{ op: 'remove', path: `/notes/${index}` }];
    assert.deepEqual(JSON.parse(await page.locator('[data-testid=mu-patch]').textContent()), patch);
    await page.fill('[data-testid=mu-fix-comment]', 'a ghost note: nothing is hit there');
    await audit(page, 'fix editor');
    const sent = page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith(`/maps/${state.mapId}/edits`));
    await page.click('[data-testid=mu-fix-submit]');
    const response = await sent;
    assert.equal(response.status(), 201);
    assert.deepEqual(JSON.parse(response.request().postData()), { patch, comment: 'a ghost note: nothing is hit there' });
    const edit = await response.json();
    state.editId = edit.id;
    await page.locator(`[data-testid=mu-fix-edit][data-id="${edit.id}"][data-status=pending]`).waitFor();
    await page.locator(`[data-testid=mu-fix-row][data-id="${edit.id}"][data-status=pending]`).waitFor();
    const fixes = await callApi(`/api/v1/maps/${state.mapId}/edits`, { token: MEMBERS.player.token, status: 200 });
    assert.deepEqual(fixes.items.map((e) => [e.id, e.status]), [[edit.id, 'pending']]);
    assert.deepEqual(fixes.items[0].patch, patch);
    assert.equal(await page.locator('[data-testid=mu-change]').count(), 0, 'the editor starts again from nothing');
  });
});

test('a verifier approves the fix in the queue, whose diff shows the removed note', async () => {
  await step('approve', async () => {
    // The player waits on the karma page, which follows their notifications live.
    const player = pages.player;
    await player.click('[data-testid="nav-music.me"]');
    await player.locator('[data-testid=mu-live][data-status=live]').waitFor();
    await player.waitForFunction(() => document.querySelector('[data-testid=mu-karma]')?.dataset.karma === '0');
    await player.evaluate(() => { window.__stayed = true; });
    state.notificationsBefore = await player.locator('[data-testid=mu-notification]').count();
    await audit(player, 'karma and billing');

    const page = await signIn('verifier');
    await page.click('[data-testid="nav-music.queue"]');
    const row = page.locator(`[data-testid=mu-queue-row][data-id="${state.editId}"]`);
    await row.waitFor();
    // The generated map waits for verification too, found through the songs.
    await page.locator(`[data-testid=mu-unverified-row][data-id="${state.mapId}"]`).waitFor();
    assert.match(await page.locator('[data-testid=mu-unverified-status]').textContent(), /^1 map to verify\.$/);
    await audit(page, 'fix queue');
    await row.locator('[data-testid=mu-queue-review]').click();
    await page.locator('[data-testid=mu-review]').waitFor();
    const detail = await callApi(`/api/v1/edits/${state.editId}`, { token: MEMBERS.verifier.token, status: 200 });
    assert.equal(detail.diff.removed.length, 1);
    assert.equal(detail.diff.added.length, 0);
    const removed = page.locator('[data-testid=mu-diff-removed]');
    await removed.waitFor();
    assert.equal(await removed.count(), 1);
    assert.equal(await removed.getAttribute('data-lane'), state.deleted.lane);
    assert.equal(Number(await removed.getAttribute('data-t')), state.deleted.t);
    assert.equal(await page.locator('[data-testid=mu-diff-added]').count(), 0);
    assert.equal(await page.locator('[data-testid=mu-diff-summary]').textContent(), '0 notes added, 1 removed.');
    const red = page.locator('[data-testid=mu-diff] [data-testid=mu-note][data-kind=removed]');
    assert.equal(await red.count(), 1, 'the removed note is drawn red over the version');
    assert.equal(await red.getAttribute('data-lane'), state.deleted.lane);
    assert.equal(await page.locator('[data-testid=mu-diff] [data-testid=mu-note]').count(), state.content.notes.length);
    await audit(page, 'fix review');
    await page.setViewportSize({ width: 400, height: 900 });
    await audit(page, 'fix review on a narrow screen');
    await page.setViewportSize({ width: 1280, height: 1000 });

    await page.fill('[data-testid=mu-decision-comment]', 'right: the loop has no hit there');
    await page.click('[data-testid=mu-approve]');
    await page.locator('[data-testid=mu-outcome][data-status=approved]').waitFor();
    const decided = await callApi(`/api/v1/edits/${state.editId}`, { token: MEMBERS.verifier.token, status: 200 });
    assert.equal(decided.status, 'approved');
    assert.equal(decided.decided_by, MEMBERS.verifier.id);
    assert.equal(await page.getAttribute('[data-testid=mu-outcome-map]', 'href'), `#/music.songs?map=${decided.result_map_id}`);
    const next = await callApi(`/api/v1/maps/${decided.result_map_id}`, { token: MEMBERS.verifier.token, status: 200 });
    assert.equal(next.version, 2);
    assert.equal(next.state, 'verified');
    assert.equal(next.notes, state.content.notes.length - 1);
    state.nextMapId = decided.result_map_id;
  });
});

test('the player sees the decision arrive live and karma +10', async () => {
  await step('karma', async () => {
    const page = pages.player;
    const decided = page.locator('[data-testid=mu-notification][data-kind="edit.decided"]');
    await decided.waitFor();
    assert.match(await decided.textContent(), /approved: "right: the loop has no hit there"/);
    await page.waitForFunction(() => document.querySelector('[data-testid=mu-karma]')?.dataset.karma === '10');
    assert.equal(await page.evaluate(() => window.__stayed), true, 'no reload: the notification came over the stream');
    const karma = await callApi('/api/v1/users/me/karma', { token: MEMBERS.player.token, status: 200 });
    assert.equal(karma.karma, 10);
    assert.deepEqual(karma.items.map((k) => [k.reason, k.delta]), [['fix_approved', 10]]);
    await page.locator('[data-testid=mu-ledger-row][data-reason=fix_approved][data-delta="10"]').waitFor();
    const notifications = await callApi('/api/v1/notifications', { token: MEMBERS.player.token, status: 200 });
    await page.waitForFunction((n) => document.querySelectorAll('[data-testid=mu-notification]').length === n, notifications.items.length);
    assert.ok(notifications.items.length > state.notificationsBefore);
    assert.equal(await page.getAttribute('[data-testid=mu-unread]', 'data-unread'), String(notifications.unread));

    // Read: the count drops, on the page and in the API.
    await decided.locator('[data-testid=mu-mark-read]').click();
    await page.waitForFunction(() => document.querySelector('[data-testid=mu-notification][data-kind="edit.decided"]').dataset.read === 'true');
    const after = await callApi('/api/v1/notifications', { token: MEMBERS.player.token, status: 200 });
    assert.equal(after.unread, notifications.unread - 1);
    assert.equal(await page.getAttribute('[data-testid=mu-unread]', 'data-unread'), String(after.unread));

    // The e-mail toggle is saved at once.
    const wanted = !(await page.isChecked('[data-testid=mu-email]'));
    await page.setChecked('[data-testid=mu-email]', wanted);
    await page.locator('[data-testid=mu-email-status]').filter({ hasText: 'Saved' }).waitFor();
    assert.equal((await callApi('/api/v1/notifications', { token: MEMBERS.player.token, status: 200 })).email, wanted);

    // Billing: the plan and what this member used of it.
    const billing = await callApi('/api/v1/billing', { token: MEMBERS.player.token, status: 200 });
    assert.equal(await page.locator('[data-testid=mu-plan]').textContent(), billing.plan);
    assert.equal(await page.getAttribute('[data-testid=mu-usage-generations]', 'data-used'), String(billing.usage.generations_this_month));
    assert.equal(billing.usage.generations_this_month, 1);
    await audit(page, 'karma after the approval');
    await page.setViewportSize({ width: 400, height: 900 });
    await audit(page, 'karma on a narrow screen');
    await page.setViewportSize({ width: 1280, height: 1000 });
  });
});

test('the same recording, looked up again, is recognised and offered the verified map, ported onto it', async () => {
  await step('recognised', async () => {
    const page = pages.player;
    await page.click('[data-testid="nav-music.songs"]');
    await page.setInputFiles('[data-testid=mu-upload-file]', { name: 'drum-loop-again.wav', mimeType: 'audio/wav', buffer: state.wav });
    await page.click('[data-testid=mu-upload-submit]');
    const match = page.locator('[data-testid=mu-match]').first();
    await match.waitFor({ timeout: LONG });
    const result = page.locator('[data-testid=mu-lookup-result]');
    assert.equal(await result.getAttribute('data-recognised'), 'true');
    const lookupId = await result.getAttribute('data-lookup-id');
    const lookup = await callApi(`/api/v1/songs/lookups/${lookupId}`, { token: MEMBERS.player.token, status: 200 });
    assert.equal(lookup.matches[0].song_id, state.songId);
    assert.equal(await match.getAttribute('data-song'), state.songId);
    const best = lookup.matches[0];
    assert.equal(await match.textContent(), `Recognised: ${SONG.title} — ${SONG.artist} (score ${Math.round(best.score * 100)} %, offset ${best.offset_s.toFixed(1)} s)`);
    // The verified map is the approved fix's version: offered, ported onto this upload.
    assert.deepEqual([lookup.offer.kind, lookup.offer.map_id], ['map', state.nextMapId]);
    await audit(page, 'recognised');
    await page.click('[data-testid=mu-offer-map]');
    await page.waitForFunction((id) => location.hash.includes(`lookup_id=${id}`), lookupId);
    await page.locator('[data-testid=mu-ported]').waitFor();
    const ported = await callApi(`/api/v1/maps/${state.nextMapId}/content?lookup_id=${lookupId}`, { token: MEMBERS.player.token, status: 200 });
    assert.ok(ported.ported, 'the API ports the map onto the upload');
    await page.waitForFunction((n) => document.querySelectorAll('[data-testid=mu-timeline] [data-testid=mu-note]').length === n, ported.notes.length);
    assert.equal(ported.notes.length, state.content.notes.length - 1, 'the verified version lacks the deleted note');
    assert.equal(await page.isVisible('[data-testid=mu-fix-closed]'), true, 'a ported map is not fixed here');
    await page.waitForFunction(() => document.querySelector('[data-testid=mu-audio]')?.dataset.src);
    const audio = await fetch(new URL(await page.getAttribute('[data-testid=mu-audio]', 'data-src'), base));
    assert.equal(audio.status, 200);
    assert.equal(Buffer.from(await audio.arrayBuffer()).length, state.wav.length, 'the upload plays under its ported map');
    await audit(page, 'ported map');
  });
});

test('a verifier verifies a second generated map as it is, from the queue', async () => {
  await step('verify', async () => {
    const player = pages.player;
    await player.goto(`${base}/#/music.songs?song=${state.songId}`);
    await player.locator('[data-testid=mu-song-status][data-state=ready]').waitFor();
    const started = player.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/maps/generate'));
    await player.click('[data-testid=mu-generate]');
    const mapId = (await (await started).json()).map_id;
    await player.locator('[data-testid=mu-generate-status][data-state=ready]').waitFor({ timeout: LONG });
    await player.locator(`[data-testid=mu-song-map][data-id="${mapId}"][data-state=unverified]`).waitFor();
    assert.equal(await player.locator('[data-testid=mu-song-map]').count(), 2, 'two maps of the song, each its newest version');

    const page = pages.verifier;
    await page.click('[data-testid="nav-music.queue"]');
    const row = page.locator(`[data-testid=mu-unverified-row][data-id="${mapId}"]`);
    await row.waitFor();
    await row.locator('[data-testid=mu-verify-comment]').fill('plays right against the recording');
    await row.locator('[data-testid=mu-verify]').click();
    await page.waitForFunction((id) => document.querySelector(`[data-testid=mu-unverified-row][data-id="${id}"]`)?.dataset.state === 'verified', mapId);
    const map = await callApi(`/api/v1/maps/${mapId}`, { token: MEMBERS.verifier.token, status: 200 });
    assert.equal(map.state, 'verified');
    assert.equal(map.metadata.verified_by, MEMBERS.verifier.id);
    const karma = await callApi('/api/v1/users/me/karma', { token: MEMBERS.player.token, status: 200 });
    assert.equal(karma.karma, 15, 'the generator earns 5 when their map is verified as it is');
    assert.equal(await page.locator('[data-testid=mu-queue-row]').count(), 0, 'no fix waits any more');
  });
});

test('two fixes of one note: the second, approved after the first, ends in conflict; a third is rejected', async () => {
  await step('conflict', async () => {
    const player = pages.player;
    const submitFix = async (comment, act) => {
      await act();
      await player.fill('[data-testid=mu-fix-comment]', comment);
      const sent = player.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith(`/maps/${state.nextMapId}/edits`));
      await player.click('[data-testid=mu-fix-submit]');
      const response = await sent;
      assert.equal(response.status(), 201);
      return (await response.json()).id;
    };
    await player.goto(`${base}/#/music.songs?map=${state.nextMapId}`);
    await player.locator('[data-testid=mu-fix-form]').waitFor();
    const first = (await callApi(`/api/v1/maps/${state.nextMapId}/content`, { token: MEMBERS.player.token, status: 200 })).notes[0];
    await player.fill('[data-testid=mu-window-from]', String(Math.floor(first.t * 10) / 10));
    const row = '[data-testid=mu-window-list] [data-testid=mu-note-row][data-index="0"]';
    const removeFirst = await submitFix('no hit at the very start', () => player.check(`${row} [data-testid=mu-note-delete]`));
    const moveFirst = await submitFix('the first hit is a tom', () => player.selectOption(`${row} [data-testid=mu-note-lane]`, first.lane === 'tom' ? 'ride' : 'tom'));

    const page = pages.verifier;
    await page.goto(`${base}/#/music.queue?edit=${removeFirst}`);
    await page.click('[data-testid=mu-approve]');
    await page.locator('[data-testid=mu-outcome][data-status=approved]').waitFor();
    await page.goto(`${base}/#/music.queue?edit=${moveFirst}`);
    await page.locator('[data-testid=mu-review-moved]').waitFor();
    assert.match(await page.locator('[data-testid=mu-review-moved]').textContent(), /moved on to v3/);
    await page.click('[data-testid=mu-approve]');
    await page.locator('[data-testid=mu-outcome][data-status=conflict]').waitFor();
    const conflicted = await callApi(`/api/v1/edits/${moveFirst}`, { token: MEMBERS.verifier.token, status: 200 });
    assert.equal(conflicted.status, 'conflict');
    assert.ok(conflicted.conflicts.length > 0);
    assert.deepEqual(await page.locator('[data-testid=mu-conflicts] code').allTextContents(), conflicted.conflicts.map((c) => c.path));

    // A third fix, of the newest version, is rejected with a word of why.
    const v3 = (await callApi(`/api/v1/edits/${removeFirst}`, { token: MEMBERS.verifier.token, status: 200 })).result_map_id;
    await player.goto(`${base}/#/music.songs?map=${v3}`);
    await player.locator('[data-testid=mu-fix-form]').waitFor();
    await player.fill('[data-testid=mu-bpm]', '90');
    await player.dispatchEvent('[data-testid=mu-bpm]', 'change');
    await player.fill('[data-testid=mu-fix-comment]', 'it feels slower');
    const sent = player.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith(`/maps/${v3}/edits`));
    await player.click('[data-testid=mu-fix-submit]');
    const slower = (await (await sent).json()).id;
    await page.goto(`${base}/#/music.queue?edit=${slower}`);
    await page.locator('[data-testid=mu-diff-summary]').filter({ hasText: 'changed: bpm' }).waitFor();
    assert.match(await page.locator('[data-testid=mu-diff-field][data-field=bpm]').textContent(), /→ 90$/);
    await page.fill('[data-testid=mu-decision-comment]', 'the loop is at 120');
    await page.click('[data-testid=mu-reject]');
    await page.locator('[data-testid=mu-outcome][data-status=rejected]').waitFor();
    assert.equal(await page.getAttribute('[data-testid=mu-review-status]', 'data-state'), 'rejected');
    assert.equal(await page.isVisible('[data-testid=mu-approve]'), false, 'decided: no more buttons');
    const karma = await callApi('/api/v1/users/me/karma', { token: MEMBERS.player.token, status: 200 });
    assert.equal(karma.karma, 15 + 10 - 2, 'one more approved fix, one rejected, none for the conflict');
    await audit(page, 'a rejected fix');
  });
});

test('the music pages pass axe\'s WCAG 2.x A and AA rules', () => {
  assert.deepEqual(violations, []);
});

test('the pages logged no errors', () => {
  assert.deepEqual(problems, [], `failed requests: ${failed.join('; ')}`);
});
