// One session, live: its state and profile, the picture with boxes, track ids, zones and lines, the
// transcript beside it, fps, latency and drops as live numbers (`metric` events, every second), the source's
// health (`source` events), the latest events as they come, the stored events (GET …/events, a type filter,
// a page at a time, with the snapshots where tracks started and their clips) and a summary of the last
// seconds whose statements cite their events.
//
// Live: /ws/stream?session_id=<id> (common.js sessionStream) sends a `snapshot` (the session), then the
// session's events, from the first on, so a page opened late still has the whole transcript; a reconnection
// resumes after the last seq seen. The webcam page uses the same view and socket to send its frames.

import { api, apiBlob, query } from '/console/api.js';
import { formatClock, formatTime, h } from '/console/dom.js';
import {
  ENDED, EVENT_TYPES, PROFILES, SESSIONS_PAGE, canEdit, describe, errorText, eventMedia, fixed, ms, objectUrls, sessionPath,
  sessionStream, setState, stateBadge,
} from './common.js';
import { createStage } from './stage.js';
import { normaliseShapes } from './zone_editor.js';

const PAGE = 100;
const EVENTS_REFRESH_MS = 5000;
const POLL_MS = 2000;  // without the stream
const FEED = 40;  // live events kept in the feed
const TRANSCRIPT_LINES = 500;

// Mounts the view of session `id` into `container`. Options: stage (a stage of the caller's, a webcam's
// video under it), onOpen(socket) on every (re)connection, onSession(session) whenever its state changes,
// crumbs (false: none). Returns { stream, session(), release() }.
export function mountSessionView(container, id, { stage = null, onOpen = () => {}, onSession = () => {}, crumbs = true } = {}) {
  const v = view(id, crumbs);
  const ownStage = !stage;
  const picture = stage ?? createStage({ testid: 'live-stage' });
  // A caller's stage stays where the caller put it (a webcam's video keeps playing): the view's picture card goes.
  if (ownStage) v.picture.append(picture.el);
  else v.picture.closest('section').hidden = true;
  container.append(v.root);

  let session = null;
  let lineCounts = {};
  let stopped = false;
  const objects = objectUrls();
  const events = eventList(id, v, objects);
  // The first page of stored events is read again every few seconds while the session runs (unless the
  // reader went on to further pages), and once more when it has ended.
  let lastReload = 0;
  const refreshTimer = setInterval(() => {
    if (!session || ENDED.has(session.state) || events.paged()) return;
    if (Date.now() - lastReload >= EVENTS_REFRESH_MS) { lastReload = Date.now(); events.reload(); }
  }, 1000);
  // The picture of an RTSP, HTTP or file session: the server's latest analysed frame, twice a second while it
  // runs (GET …/preview.jpg answers from the instance that runs it; before the first frame and elsewhere 204,
  // and the canvas stays blank).
  let previewBusy = false;
  const previewTimer = setInterval(async () => {
    if (!ownStage || previewBusy || !session || session.source_kind === 'webcam' || session.state !== 'running') return;
    previewBusy = true;
    try {
      const blob = await apiBlob(`/api/v1/sessions/${encodeURIComponent(id)}/preview.jpg`);
      if (!blob || blob.size === 0) return; // 204: running, but no frame analysed here yet
      const bitmap = await createImageBitmap(blob);
      if (stopped) bitmap.close(); else picture.setBackground(bitmap);
    } catch {
      // no preview here (yet): the boxes are drawn on the blank picture
    } finally {
      previewBusy = false;
    }
  }, 500);
  let endedSeen = false;
  const onEnded = () => { if (!endedSeen) { endedSeen = true; events.reload(); } };

  function applySession(s) {
    session = { ...session, ...s };
    setState(v.state, session.state);
    v.profile.textContent = session.profile ?? '–';
    v.kind.textContent = session.source_kind ?? '–';
    v.pipelines.textContent = (session.pipelines ?? []).join(', ') || '–';
    v.started.textContent = formatTime(session.started_at ?? session.created_at);
    v.ended.textContent = session.ended_at ? formatTime(session.ended_at) : '–';
    v.error.hidden = !session.error;
    v.error.textContent = session.error ?? '';
    const ended = ENDED.has(session.state);
    v.stop.hidden = ended || !canEdit();
    v.profileSelect.hidden = ended || session.source_kind !== 'webcam' || !canEdit();
    if (!v.profileSelect.matches(':focus')) v.profileSelect.value = session.profile ?? 'fast';
    if (session.stats) applyMetric(session.stats);
    if (session.stats?.source) applySourceHealth(session.stats.source);
    picture.setShapes(withCounts(normaliseShapes(session)));
    if (ENDED.has(session.state)) onEnded();
    onSession(session);
  }

  const withCounts = (shapes) => ({ ...shapes, lines: shapes.lines.map((l) => ({ ...l, counts: lineCounts[l.name] })) });

  function applyMetric(d) {
    v.fpsIn.textContent = fixed(d.fps_in);
    v.fpsOut.textContent = fixed(d.fps_out);
    v.p50.textContent = ms(d.latency_ms?.p50);
    v.p95.textContent = ms(d.latency_ms?.p95);
    v.queue.textContent = d.queue_depth ?? '–';
    v.dropped.textContent = `${d.dropped ?? 0} / ${d.dropped_total ?? 0}`;
    if (d.profile) v.profile.textContent = d.profile;
  }

  function applySourceHealth(s) {
    if (!s?.state) return;
    v.health.textContent = s.state;
    v.health.className = `badge live-health-${s.state}`;
    if (s.reconnects !== undefined) v.reconnects.textContent = String(s.reconnects);
  }

  // The transcript: finals as lines, the current partial hypothesis last (replaced as it grows).
  function applyTranscript(d) {
    const nearBottom = v.transcript.scrollHeight - v.transcript.scrollTop - v.transcript.clientHeight < 40;
    if (d.final) {
      v.partial.textContent = '';
      if (d.text) {
        v.transcript.insertBefore(h('p', { class: 'live-final', 'data-testid': 'live-transcript-line' },
          h('time', {}, `${fixed(d.start_s, 1)} s`), ' ', d.text), v.partial);
      }
      while (v.transcript.children.length > TRANSCRIPT_LINES) v.transcript.firstElementChild.remove();
    } else {
      v.partial.textContent = d.text ?? '';
    }
    v.transcriptEmpty.hidden = true;
    if (nearBottom) v.transcript.scrollTop = v.transcript.scrollHeight;
  }

  function feed(e) {
    if (e.type === 'metric') return;
    v.feed.prepend(h('li', { 'data-testid': 'live-feed-event', 'data-type': e.type },
      h('time', {}, formatClock(e.time ?? new Date().toISOString())), h('span', { class: `live-ev live-ev-${e.type}` }, e.type),
      h('span', {}, describe(e), eventMedia(e, objects))));
    while (v.feed.children.length > FEED) v.feed.lastElementChild.remove();
    v.feedEmpty.hidden = true;
  }

  // A webcam session turns running when a browser attaches, which no `session` event tells: the first
  // source or metric event of a queued session has the page read its state again.
  let reading = false;
  function readAgain() {
    if (reading) return;
    reading = true;
    api(sessionPath(id)).then((s) => { if (!stopped) applySession(s); }).catch(() => {}).finally(() => { reading = false; });
  }

  function onEvent(e) {
    const d = e.data ?? {};
    if (session?.state === 'queued' && (e.type === 'source' || e.type === 'metric')) readAgain();
    switch (e.type) {
      case 'metric': applyMetric(d); break;
      case 'summary': picture.setFrameSize(d.width, d.height); break;  // a session's totals: the analysed frames' size
      case 'detection': picture.setDetections(d); break;
      case 'transcript': applyTranscript(d); break;
      case 'source': applySourceHealth(d); break;
      case 'profile': applySession({ profile: d.to }); break;
      case 'session':
        applySession({ state: d.state, error: d.error ?? session?.error, ended_at: ENDED.has(d.state) ? e.time : session?.ended_at });
        break;
      case 'line':
        if (d.counts) {
          lineCounts[d.name ?? d.line] = d.counts;
          picture.setShapes(withCounts(normaliseShapes(session)));
        }
        break;
      default: break;
    }
    feed(e);
  }

  let poll = null;
  async function pollSession() {
    try {
      const s = await api(sessionPath(id));
      if (stopped) return;
      applySession(s);
      if (ENDED.has(s.state)) clearInterval(poll);
    } catch { /* the next poll tries again */ }
  }

  const stream = sessionStream(id, {
    onSnapshot: (s) => { lineCounts = {}; applySession(s); },
    onEvent,
    onOpen,
    onStatus: (status, message) => {
      v.stream.textContent = status === 'error' ? `stream refused: ${message}` : status;
      v.stream.className = `small live-stream-${status}`;
      // A finished session's stream ends: read its final facts once more.
      if (status === 'ended') api(sessionPath(id)).then((s) => { if (!stopped) applySession(s); }).catch(() => {});
      // Without the stream (a role that may not open it, too many streams open), the session's facts are
      // read every few seconds instead: its state and the numbers of its latest metric.
      if (status === 'error' && !poll) poll = setInterval(pollSession, POLL_MS);
    },
  });

  v.stop.addEventListener('click', async () => {
    v.stop.disabled = true;
    try {
      applySession(await api(`${sessionPath(id)}/stop`, { method: 'POST' }));
    } catch (err) {
      v.error.hidden = false;
      v.error.textContent = `Cannot stop: ${errorText(err)}`;
    } finally {
      v.stop.disabled = false;
    }
  });
  v.profileSelect.addEventListener('change', () => {
    stream.send(JSON.stringify({ type: 'profile', profile: v.profileSelect.value }));
  });

  summaryForm(id, v);
  api(sessionPath(id)).then((s) => { if (!stopped && !session) applySession(s); }).catch((err) => {
    if (stopped) return;
    v.error.hidden = false;
    v.error.textContent = `Cannot read the session: ${errorText(err)}`;
  });

  return {
    stream,
    stage: picture,
    session: () => session,
    refreshEvents: () => events.reload(),
    release() {
      stopped = true;
      clearInterval(refreshTimer);
      clearInterval(previewTimer);
      clearInterval(poll);
      objects.release();
      stream.close();
      if (ownStage) picture.release();
    },
  };
}

// The stored events: a type filter, a page at a time ("Load more" follows next_cursor).
function eventList(id, v, objects) {
  let cursor = null;
  let generation = 0;
  async function load(more) {
    const gen = ++generation;
    if (!more) cursor = null;
    v.eventsError.hidden = true;
    try {
      const page = await api(`${sessionPath(id)}/events${query({ type: v.type.value, cursor: more ? cursor : undefined, limit: PAGE })}`);
      if (gen !== generation) return;
      const rows = page.items.map((e) => eventRow(e, objects));
      if (more) v.events.append(...rows);
      else v.events.replaceChildren(...rows);
      cursor = page.next_cursor;
      v.more.hidden = !cursor;
      v.eventsEmpty.hidden = v.events.children.length > 0;
    } catch (err) {
      if (gen !== generation) return;
      v.eventsError.hidden = false;
      v.eventsError.textContent = `Cannot list events: ${errorText(err)}`;
    }
  }
  v.type.addEventListener('change', () => load(false));
  v.more.addEventListener('click', () => load(true));
  v.reload.addEventListener('click', () => load(false));
  load(false);
  return { reload: () => load(false), paged: () => v.events.children.length > PAGE };
}

function eventRow(e, objects) {
  return h('tr', { 'data-testid': 'live-event-row', 'data-seq': e.seq, 'data-type': e.type, id: `live-event-${e.seq}` },
    h('td', { class: 'num' }, String(e.seq)),
    h('td', {}, formatClock(e.time)),
    h('td', {}, h('span', { class: `live-ev live-ev-${e.type}` }, e.type)),
    h('td', { class: 'details' }, describe(e), eventMedia(e, objects)));
}

// The summary of the last seconds: its statements, each with the ids of the events it cites.
function summaryForm(id, v) {
  v.summaryForm.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    v.summarize.disabled = true;
    v.summaryError.hidden = true;
    try {
      const s = await api(`${sessionPath(id)}/summary`, { method: 'POST', body: { last_s: Number(v.lastS.value) || 60 } });
      v.summaryMeta.textContent = `${s.source ?? 'template'} summary of the last ${s.last_s ?? v.lastS.value} s`
        + `${s.event_count !== undefined ? `, ${s.event_count} events` : ''}${s.warning ? ` (${s.warning})` : ''}`;
      v.statements.replaceChildren(...(s.statements ?? []).map((st) => h('li', { 'data-testid': 'live-statement' },
        h('span', {}, st.text), ' ',
        ...(st.event_ids ?? []).map((eid) => citation(eid, v)))));
    } catch (err) {
      v.summaryError.hidden = false;
      v.summaryError.textContent = `Cannot summarise: ${errorText(err)}`;
    } finally {
      v.summarize.disabled = false;
    }
  });
}

// A cited event id: shows that event in the list when it is loaded there.
function citation(eid, v) {
  const b = h('button', { type: 'button', class: 'link live-cite', 'data-testid': 'live-cite' }, `#${eid}`);
  b.addEventListener('click', () => {
    const row = document.getElementById(`live-event-${eid}`);
    if (!row) return;
    for (const r of v.events.querySelectorAll('.live-cited')) r.classList.remove('live-cited');
    row.classList.add('live-cited');
    row.scrollIntoView({ block: 'center' });
  });
  return b;
}

function view(id, crumbs) {
  const state = stateBadge('queued', { 'data-testid': 'live-session-state' });
  const stop = h('button', { type: 'button', class: 'danger small-button', 'data-testid': 'live-session-stop', hidden: true }, 'Stop');
  const profileSelect = h('select', { 'aria-label': 'Profile', 'data-testid': 'live-session-profile', hidden: true },
    PROFILES.map((p) => h('option', { value: p }, p)));
  const stream = h('span', { class: 'small', 'data-testid': 'live-stream-status' }, 'connecting');
  const fact = (label, testid) => {
    const dd = h('dd', { 'data-testid': testid }, '–');
    return [h('div', {}, h('dt', {}, label), dd), dd];
  };
  const [fpsInF, fpsIn] = fact('fps in', 'live-fps-in');
  const [fpsOutF, fpsOut] = fact('fps out', 'live-fps-out');
  const [p50F, p50] = fact('latency p50', 'live-latency-p50');
  const [p95F, p95] = fact('latency p95', 'live-latency-p95');
  const [queueF, queue] = fact('queue depth', 'live-queue');
  const [droppedF, dropped] = fact('dropped (last s / total)', 'live-dropped');
  const [profileF, profile] = fact('profile', 'live-profile');
  const [kindF, kind] = fact('source', 'live-source-kind');
  const [pipelinesF, pipelines] = fact('pipelines', 'live-pipelines');
  const [startedF, started] = fact('started', 'live-started');
  const [endedF, ended] = fact('ended', 'live-ended');
  const [reconnectsF, reconnects] = fact('reconnects', 'live-reconnects');
  const health = h('span', { class: 'badge', 'data-testid': 'live-source-health' }, 'unknown');
  const error = h('p', { class: 'bad', role: 'alert', hidden: true, 'data-testid': 'live-session-error' });
  const picture = h('div', { class: 'live-picture' });
  const partial = h('p', { class: 'live-partial muted', 'data-testid': 'live-transcript-partial' });
  const transcriptEmpty = h('p', { class: 'muted small' }, 'Nothing said yet (the asr pipeline transcribes speech).');
  const transcript = h('div', { class: 'live-transcript', 'data-testid': 'live-transcript', 'aria-live': 'polite' }, partial);
  const feedList = h('ul', { class: 'event-log live-feed', 'data-testid': 'live-feed' });
  const feedEmpty = h('p', { class: 'muted small' }, 'No events yet.');
  const type = h('select', { 'aria-label': 'Event type', 'data-testid': 'live-event-type' },
    h('option', { value: '' }, 'all types'), EVENT_TYPES.map((t) => h('option', { value: t }, t)));
  const reload = h('button', { type: 'button', class: 'small-button', 'data-testid': 'live-events-reload' }, 'Refresh');
  const events = h('tbody', { 'data-testid': 'live-events' });
  const more = h('button', { type: 'button', class: 'small-button', hidden: true, 'data-testid': 'live-events-more' }, 'Load more');
  const eventsEmpty = h('p', { class: 'muted small', hidden: true }, 'No stored events of this type.');
  const eventsError = h('p', { class: 'bad', role: 'alert', hidden: true });
  const lastS = h('input', { type: 'number', min: 1, max: 86400, value: 60, name: 'last_s', 'aria-label': 'Seconds to summarise',
    'data-testid': 'live-summary-seconds' });
  const summarize = h('button', { type: 'submit', class: 'primary small-button', 'data-testid': 'live-summary' }, 'Summarise');
  const summaryFormEl = h('form', { class: 'live-summary-form' }, h('label', {}, 'Last ', lastS, ' seconds'), summarize);
  const summaryMeta = h('p', { class: 'muted small', 'data-testid': 'live-summary-meta' });
  const statements = h('ul', { class: 'live-statements', 'data-testid': 'live-statements' });
  const summaryError = h('p', { class: 'bad', role: 'alert', hidden: true });

  const root = h('div', { class: 'page live-session', 'data-testid': 'live-session', 'data-id': id },
    crumbs ? h('p', { class: 'crumbs' }, h('a', { href: SESSIONS_PAGE }, 'Sessions'), ` › ${id.slice(-8)}`) : null,
    h('section', { class: 'card' },
      h('div', { class: 'card-head' }, h('h2', {}, 'Session'), state, h('span', { class: 'muted small' }, 'stream: '), stream,
        h('span', { class: 'live-head-actions' }, profileSelect, stop)),
      error,
      h('dl', { class: 'facts live-numbers' }, fpsInF, fpsOutF, p50F, p95F, queueF, droppedF),
      h('dl', { class: 'facts live-more-facts' }, profileF, kindF, h('div', {}, h('dt', {}, 'source health'), h('dd', {}, health)),
        reconnectsF, pipelinesF, startedF, endedF)),
    h('div', { class: 'live-cols' },
      h('section', { class: 'card' }, h('h2', {}, 'Picture'), picture),
      h('section', { class: 'card' }, h('h2', {}, 'Transcript'), transcriptEmpty, transcript)),
    h('div', { class: 'live-cols' },
      h('section', { class: 'card' }, h('h2', {}, 'As they happen'), feedEmpty, feedList),
      h('section', { class: 'card' }, h('h2', {}, 'Summary'), summaryFormEl, summaryError, summaryMeta, statements)),
    h('section', { class: 'card' },
      h('div', { class: 'card-head' }, h('h2', {}, 'Stored events'), h('div', { class: 'filters' }, h('label', {}, 'Type', type), reload)),
      eventsError,
      h('div', { class: 'table-wrap' }, h('table', { class: 'table' },
        h('thead', {}, h('tr', {}, h('th', { class: 'num' }, 'Seq'), h('th', {}, 'Time'), h('th', {}, 'Type'), h('th', {}, 'What'))),
        events)),
      eventsEmpty, h('div', { class: 'list-foot' }, more)));

  return { root, state, stop, profileSelect, stream, fpsIn, fpsOut, p50, p95, queue, dropped, profile, kind, pipelines, started,
    ended, reconnects, health, error, picture, partial, transcript, transcriptEmpty, feed: feedList, feedEmpty, type, reload,
    events, more, eventsEmpty, eventsError, lastS, summarize, summaryForm: summaryFormEl, summaryMeta, statements, summaryError };
}
