// The live product's console pages, end to end: the real `tyto` (which includes the product) on a fresh
// SQLite data directory, driven in Debian's Chromium with its synthetic camera and microphone
// (--use-fake-device-for-media-stream: a moving test pattern and a beep; --use-fake-ui-for-media-stream
// answers the permission prompt). A user signs in, finds the Sources and Sessions pages, registers an upload
// source from a video that ffmpeg cuts for the test, starts a session on it with a zone and a line
// drawn on the picture (the API keeps exactly what was drawn), watches it finish and lists its events and
// a summary; then starts a session from the webcam page, which streams the camera's frames and the
// microphone's audio over /ws/stream until the session runs with frames coming in (fps in > 0), changes
// its profile and stops it. The tests run in order in one tab and build on each other.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { chromium } from 'playwright-core';
import { startServer, stopServer } from './server.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const BINARY = process.env.TYTO_BINARY || resolve(HERE, '../../build-dev/tyto');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const FFMPEG = process.env.FFMPEG || 'ffmpeg';
const PEDESTRIANS = '/usr/share/doc/opencv-doc/examples/data/vtest.avi';  // Debian's opencv-doc
const ADMIN_EMAIL = 'admin@localhost';
const ADMIN_PASSWORD = 'correct horse battery staple';
const API_KEY = 'tyto_testadminkeyaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaq';
const LONG = 180_000;  // a session on this shared 2-core machine may take a while to finish

let workDir;
let server;
let base;
let browser;
let page;
let keepWorkDir = false;
const problems = [];
const sent = { frames: 0, audio: 0, audioBytes: new Set(), commands: [] };  // what the page sent over /ws/stream
const state = {};  // what one test leaves for the next

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
  return res.status === 204 ? null : res.json();
}

// Clicks the canvas at (fx, fy), fractions of its width and height.
async function clickAt(canvas, fx, fy) {
  const box = await canvas.boundingBox();
  await page.mouse.click(box.x + fx * box.width, box.y + fy * box.height);
}

const close = (got, want, what) => assert.ok(Math.abs(got - want) < 0.01, `${what}: ${got} is not about ${want}`);
const pointOf = (p) => (Array.isArray(p) ? p : [p.x, p.y]);

before(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'tyto-e2e-live-'));
  // A 3-second MP4 (H.264, 768x576, 10 fps) of people walking: the start of opencv-doc's vtest.avi.
  state.video = join(workDir, 'pedestrians.mp4');
  await promisify(execFile)(FFMPEG, ['-hide_banner', '-loglevel', 'error', '-i', PEDESTRIANS, '-t', '3', '-an',
    '-pix_fmt', 'yuv420p', '-c:v', 'libx264', '-preset', 'ultrafast', '-movflags', '+faststart', state.video]);
  assert.ok((await stat(state.video)).size > 1000, 'ffmpeg wrote the test video');
  // The model registry: OpenCV's HOG people detector, which needs no file, as the model `people` that
  // sessions detect with by default.
  const models = join(workDir, 'models.json');
  await writeFile(models, JSON.stringify([{ name: 'people', version: 'opencv-4.6', kind: 'hog', classes: ['person'],
    input_size: [640, 640], score_threshold: 0.5, nms_iou: 0.45 }]));
  const started = await startServer(BINARY, workDir, {
    TYTO_MODULES_VISION_MODELS_FILE: models,
    TYTO_AUTH_ADMIN_EMAIL: ADMIN_EMAIL,
    TYTO_AUTH_ADMIN_PASSWORD: ADMIN_PASSWORD,
    TYTO_AUTH_BOOTSTRAP_API_KEY: API_KEY,
    TYTO_AUTH_ARGON2_OPS: '1',
    TYTO_AUTH_ARGON2_MEM_MIB: '8',
  });
  server = started.child;
  base = `http://127.0.0.1:${started.port}`;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-sync',
      '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', '--autoplay-policy=no-user-gesture-required'],
  });
  const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
  await context.grantPermissions(['camera', 'microphone'], { origin: base });
  page = await context.newPage();
  page.setDefaultTimeout(30_000);
  page.on('pageerror', (err) => problems.push(`uncaught: ${err.message}`));
  page.on('console', (msg) => {
    // The loopback camera's refusal (403) is expected: Chromium logs every failed request as an error.
    if (msg.type() === 'error' && !/status of 403/.test(msg.text())) problems.push(`console: ${msg.text()}`);
  });
  page.on('websocket', (ws) => {
    if (!ws.url().includes('/ws/stream')) return;
    ws.on('framesent', (f) => {
      if (typeof f.payload === 'string') sent.commands.push(f.payload);
      else if (f.payload[0] === 0x01) sent.frames++;
      else if (f.payload[0] === 0x02) {
        sent.audio++;
        sent.audioBytes.add(f.payload.length);
      }
    });
  });
});

after(async () => {
  await browser?.close();
  await stopServer(server);
  if (workDir && !keepWorkDir) await rm(workDir, { recursive: true, force: true });
  else if (workDir) console.error(`kept ${workDir}`);
});

test('a signed-in user finds the live pages, is told a loopback camera is refused, and deletes a webcam source', async () => {
  await step('pages', async () => {
    await page.goto(`${base}/#/login`);
    await page.fill('[data-testid=login-email]', ADMIN_EMAIL);
    await page.fill('[data-testid=login-password]', ADMIN_PASSWORD);
    await page.click('[data-testid=login-submit]');
    const link = page.locator('[data-testid="nav-live.sessions"]');
    await link.waitFor();
    assert.equal(await page.locator('[data-testid=nav-group-live]').textContent(), 'Live');
    assert.equal(await page.locator('[data-testid="nav-live.webcam"]').textContent(), 'Webcam');
    await link.click();
    await page.locator('[data-testid=live-sessions]').waitFor({ state: 'attached' });
    await page.locator('[data-testid=live-sources]').waitFor({ state: 'attached' });
    await page.locator('[data-testid=live-source-submit]').waitFor();
    await page.locator('[data-testid=live-start-submit]').waitFor();
    await page.locator('[data-testid=live-editor-stage-canvas]').waitFor();
    // An RTSP source takes a URL and a transport; the form shows the fields each kind needs.
    await page.selectOption('[data-testid=live-source-kind]', 'rtsp');
    assert.ok(await page.locator('[data-testid=live-source-url]').isVisible());
    assert.ok(await page.locator('[data-testid=live-source-transport]').isVisible());
    assert.ok(!await page.locator('[data-testid=live-source-file]').isVisible());
    // A loopback camera is refused by the outbound guard: the form says so.
    await page.fill('[data-testid=live-source-name]', 'Loopback camera');
    await page.fill('[data-testid=live-source-url]', 'rtsp://127.0.0.1:8554/cam');
    await page.click('[data-testid=live-source-submit]');
    await page.locator('[data-testid=live-source-error]').waitFor();
    assert.equal((await callApi('/api/v1/sources')).items.length, 0);
    // A webcam source needs nothing but a name; one no session used can be deleted.
    await page.selectOption('[data-testid=live-source-kind]', 'webcam');
    assert.ok(!await page.locator('[data-testid=live-source-url]').isVisible());
    await page.fill('[data-testid=live-source-name]', 'Spare webcam');
    await page.click('[data-testid=live-source-submit]');
    const row = page.locator('[data-testid=live-source-row][data-kind=webcam]', { hasText: 'Spare webcam' });
    await row.waitFor();
    assert.equal((await callApi('/api/v1/sources')).items.length, 1);
    await row.locator('[data-testid=live-source-delete]').click();
    await page.click('#confirm-ok');
    await row.waitFor({ state: 'detached' });
    assert.equal((await callApi('/api/v1/sources')).items.length, 0);
  });
});

test('an uploaded video is registered as a source through the upload flow', async () => {
  await step('upload-source', async () => {
    await page.selectOption('[data-testid=live-source-kind]', 'upload');
    await page.fill('[data-testid=live-source-name]', 'Pedestrians');
    await page.setInputFiles('[data-testid=live-source-file]', state.video);
    await page.click('[data-testid=live-source-submit]');
    await page.locator('[data-testid=live-source-row][data-kind=upload]', { hasText: 'Pedestrians' }).waitFor();
    const sources = (await callApi('/api/v1/sources')).items;
    assert.equal(sources.length, 1);
    assert.equal(sources[0].kind, 'upload');
    assert.equal(sources[0].name, 'Pedestrians');
    const object = await callApi(`/api/v1/objects/${sources[0].object_id}`);
    assert.equal(object.content_type, 'video/mp4');
    assert.equal(object.size, (await stat(state.video)).size);
    state.source = sources[0].id;
  });
});

test('a session started with a drawn zone and line keeps them, finishes by itself and lists its events', async () => {
  await step('file-session', async () => {
    await page.waitForFunction(
      (id) => [...document.querySelectorAll('[data-testid=live-start-source] option')].some((o) => o.value === id), state.source);
    await page.selectOption('[data-testid=live-start-source]', state.source);
    await page.check('[data-testid=live-pipeline-motion]');
    const canvas = page.locator('[data-testid=live-editor-stage-canvas]');
    // A zone: three corners, then Finish.
    await page.fill('[data-testid=live-shape-name]', 'door');
    await page.fill('[data-testid=live-shape-labels]', 'person');
    await page.click('[data-testid=live-add-zone]');
    const corners = [[0.1, 0.2], [0.5, 0.2], [0.3, 0.7]];
    for (const [x, y] of corners) await clickAt(canvas, x, y);
    await page.click('[data-testid=live-finish-shape]');
    // A line: two clicks.
    await page.fill('[data-testid=live-shape-labels]', '');
    await page.fill('[data-testid=live-shape-name]', 'gate');
    await page.click('[data-testid=live-add-line]');
    await clickAt(canvas, 0.1, 0.9);
    await clickAt(canvas, 0.9, 0.9);
    assert.equal(await page.locator('[data-testid=live-shape-zone]').count(), 1);
    assert.equal(await page.locator('[data-testid=live-shape-line]').count(), 1);
    await page.click('[data-testid=live-start-submit]');
    await page.waitForFunction(() => /[?&]session=/.test(location.hash));
    state.fileSession = new URLSearchParams((await page.evaluate(() => location.hash)).split('?')[1]).get('session');

    // The API has what was drawn, in the shape it takes.
    const s = await callApi(`/api/v1/sessions/${state.fileSession}`);
    assert.deepEqual(s.pipelines, ['detect', 'track', 'motion']);
    assert.equal(s.zones.length, 1);
    assert.equal(s.zones[0].name, 'door');
    assert.deepEqual(s.zones[0].labels, ['person']);
    assert.equal(s.zones[0].points.length, 3);
    s.zones[0].points.map(pointOf).forEach(([x, y], i) => {
      close(x, corners[i][0], `zone x${i}`);
      close(y, corners[i][1], `zone y${i}`);
    });
    assert.equal(s.lines.length, 1);
    assert.equal(s.lines[0].name, 'gate');
    const [a, b] = s.lines[0].points.map(pointOf);
    close(a[0], 0.1, 'line a.x'); close(a[1], 0.9, 'line a.y'); close(b[0], 0.9, 'line b.x'); close(b[1], 0.9, 'line b.y');

    // The file is analysed to its end: the session finishes by itself.
    await page.locator('[data-testid=live-session-state]', { hasText: 'finished' }).waitFor({ timeout: LONG });
    assert.equal((await callApi(`/api/v1/sessions/${state.fileSession}`)).state, 'finished');
    assert.equal(await page.locator('[data-testid=live-session-stop]').isVisible(), false);

    // Its stored events: all of them, then one type.
    await page.click('[data-testid=live-events-reload]');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=live-event-row]').length > 2);
    await page.selectOption('[data-testid=live-event-type]', 'session');
    await page.waitForFunction(() => {
      const rows = [...document.querySelectorAll('[data-testid=live-event-row]')];
      return rows.length > 0 && rows.every((r) => r.dataset.type === 'session');
    });
    assert.ok(await page.locator('[data-testid=live-event-row]', { hasText: 'finished' }).count() >= 1);
    const stored = (await callApi(`/api/v1/sessions/${state.fileSession}/events?limit=1000`)).items;
    assert.ok(stored.some((e) => e.type === 'metric'), 'metric events were stored');
    assert.deepEqual(stored.filter((e) => e.type === 'error'), [], 'the session ran without errors (its model was there)');
    // HOG finds the walkers: detections in the frame's pixels, tracks that start with a snapshot.
    const detections = stored.filter((e) => e.type === 'detection');
    assert.ok(detections.length > 0, 'people were detected');
    assert.ok(detections.every((e) => e.data.width === 768 && e.data.height === 576));
    assert.ok(detections.some((e) => e.data.detections.some((d) => d.label === 'person' && d.track_id > 0)));
    const started = stored.filter((e) => e.type === 'track' && e.data.state === 'started');
    assert.ok(started.some((e) => e.data.snapshot_object_id), 'a track start carries its snapshot');
    // The picture took the analysed frame's shape from the detection events (no video to take it from).
    const shape = await page.locator('[data-testid=live-stage-canvas]').evaluate((c) => c.clientWidth / c.clientHeight);
    close(shape, 768 / 576, 'the picture\'s aspect ratio');
    assert.ok(await page.locator('[data-testid=live-feed-event]').count() > 0, 'the live feed showed events');

    // The snapshots show in the list of track events (read with the token, shown as blob URLs).
    await page.selectOption('[data-testid=live-event-type]', 'track');
    await page.waitForFunction(() => [...document.querySelectorAll('[data-testid=live-snapshot]')].some((img) => img.naturalWidth > 0));
    assert.ok(await page.locator('[data-testid=live-event-row][data-type=track]').count() >= started.length);

    // A summary of the session, each statement with the events it cites.
    await page.fill('[data-testid=live-summary-seconds]', '3600');
    await page.click('[data-testid=live-summary]');
    await page.locator('[data-testid=live-statement]').first().waitFor();
    assert.match(await page.locator('[data-testid=live-summary-meta]').textContent(), /summary of the last 3600 s/);
  });
});

test('the sessions list shows the finished session with its numbers', async () => {
  await step('sessions-list', async () => {
    await page.goto(`${base}/#/live.sessions`);
    const row = page.locator(`[data-testid=live-session-row][data-id="${state.fileSession}"]`);
    await row.waitFor();
    assert.equal(await row.getAttribute('data-state'), 'finished');
    assert.match(await row.textContent(), /upload/);
  });
});

test('the webcam page streams the camera over /ws/stream until the session is stopped', async () => {
  await step('webcam', async () => {
    await page.click('[data-testid="nav-live.webcam"]');
    await page.check('[data-testid=live-pipeline-asr]');  // the microphone too: Chromium's fake one beeps
    await page.click('[data-testid=live-webcam-start]');
    // The session runs once its socket is attached, and the frames it receives come back as metric numbers.
    await page.locator('[data-testid=live-session-state]', { hasText: 'running' }).waitFor({ timeout: 60_000 });
    const link = await page.locator('[data-testid=live-webcam-session-link]').textContent();
    state.webcamSession = link.trim();
    await page.waitForFunction(() => Number.parseFloat(document.querySelector('[data-testid=live-fps-in]')?.textContent) > 0,
      null, { timeout: 60_000 });
    assert.ok(sent.frames > 0, 'the page sent frames');
    // Audio goes as 100 ms chunks of 16 kHz PCM: 0x02 and 1600 16-bit samples.
    await page.waitForFunction(() => /Audio: [1-9]\d* chunks/.test(document.querySelector('[data-testid=live-send-status]')?.textContent));
    assert.ok(sent.audio > 0, 'the page sent audio');
    assert.deepEqual([...sent.audioBytes], [1 + 1600 * 2]);
    const running = await callApi(`/api/v1/sessions/${state.webcamSession}`);
    assert.equal(running.state, 'running');
    assert.equal(running.source_kind, 'webcam');
    assert.deepEqual(running.pipelines, ['detect', 'track', 'asr']);
    // The camera shows under the canvas the detections are drawn on.
    assert.ok(await page.evaluate(() => document.querySelector('[data-testid=live-webcam-video]').videoWidth > 0));

    // A profile change is a command on the socket.
    await page.selectOption('[data-testid=live-session-profile]', 'cpu-only');
    await page.waitForFunction(() => document.querySelector('[data-testid=live-profile]')?.textContent === 'cpu-only', null,
      { timeout: 30_000 });

    await page.click('[data-testid=live-session-stop]');
    await page.locator('[data-testid=live-session-state]', { hasText: 'stopped' }).waitFor({ timeout: 60_000 });
    assert.equal((await callApi(`/api/v1/sessions/${state.webcamSession}`)).state, 'stopped');
    const stored = (await callApi(`/api/v1/sessions/${state.webcamSession}/events?limit=1000`)).items;
    assert.deepEqual(stored.filter((e) => e.type === 'error'), [], 'frames and audio were taken without errors');
    assert.ok(stored.some((e) => e.type === 'metric' && e.data.fps_in > 0), 'metric events counted the frames');
    assert.ok(sent.commands.some((c) => JSON.parse(c).type === 'stop'), 'the stop command went over the socket');
    assert.ok(sent.commands.some((c) => JSON.parse(c).type === 'profile'), 'the profile command went over the socket');
    // No more frames go out once it stopped.
    const after = sent.frames;
    await page.waitForTimeout(500);
    assert.equal(sent.frames, after);
  });
});

test('the page logged no errors', () => {
  assert.deepEqual(problems, []);
});
