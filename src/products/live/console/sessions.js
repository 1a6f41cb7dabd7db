// Live › Sessions (#/live.sessions): the tenant's sources (register an RTSP camera, an HTTP stream, an
// uploaded file or a webcam; delete one no session used) and sessions (state, profile, fps in and out,
// latency and drops from their stats; stop one), and a form that starts a session on a source with its
// pipelines, profile, zones and lines (drawn on the picture with the zone editor). One session, live:
// #/live.sessions?session=<id> (session_view.js).

import { api, query } from '/console/api.js';
import { confirmDialog, formatTime, h, showFormError } from '/console/dom.js';
import {
  ENDED, PIPELINES, PROFILES, WEBCAM_PAGE, canEdit, errorText, fixed, markFields, ms, sessionHash, sessionPath, sourcePath,
  stateBadge, uploadMedia, useStyles,
} from './common.js';
import { mountSessionView } from './session_view.js';
import { createStage } from './stage.js';
import { createZoneEditor } from './zone_editor.js';

const REFRESH_MS = 2000;

export function mount(container, params = new URLSearchParams()) {
  useStyles();
  const sessionId = params.get('session');
  if (sessionId) {
    const view = mountSessionView(container, sessionId);
    return () => view.release();
  }
  const page = h('div', { class: 'page live-page' });
  container.append(page);
  const sources = sourcesCard();
  const sessions = sessionsCard();
  const start = canEdit() ? startCard(sources) : null;
  page.append(sessions.el);
  if (canEdit()) page.append(h('div', { class: 'page split-page' }, start.el, registerCard(sources)));
  page.append(sources.el);
  sources.onChange = () => start?.setSources(sources.items());
  sources.load();
  sessions.load();
  return () => {
    sessions.release();
    start?.release();
  };
}

// The sources: a table with a delete button each.
function sourcesCard() {
  const rows = h('tbody', { 'data-testid': 'live-sources' });
  const empty = h('p', { class: 'muted', hidden: true }, 'No sources yet: register one.');
  const error = h('p', { class: 'bad', role: 'alert', hidden: true, 'data-testid': 'live-sources-error' });
  const el = h('section', { class: 'card' }, h('div', { class: 'card-head' }, h('h2', {}, 'Sources')), error,
    h('div', { class: 'table-wrap' }, h('table', { class: 'table' },
      h('thead', {}, h('tr', {}, h('th', {}, 'Name'), h('th', {}, 'Kind'), h('th', {}, 'Where'), h('th', {}, 'Registered'), h('th', {}))),
      rows)), empty);
  let items = [];
  const card = {
    el,
    onChange: () => {},
    items: () => items,
    async load() {
      try {
        const page = await api(`/api/v1/sources${query({ limit: 200 })}`);
        items = page.items;
        rows.replaceChildren(...items.map(row));
        empty.hidden = items.length > 0;
        error.hidden = true;
        card.onChange();
      } catch (err) {
        error.hidden = false;
        error.textContent = `Cannot list sources: ${errorText(err)}`;
      }
    },
  };
  function row(s) {
    const del = h('button', { type: 'button', class: 'link', 'data-testid': 'live-source-delete', 'aria-label': `Delete ${s.name}` },
      'delete');
    del.hidden = !canEdit();
    del.addEventListener('click', async () => {
      if (!await confirmDialog({ title: 'Delete source', text: `Delete the source "${s.name}"?`, confirm: 'Delete' })) return;
      try {
        await api(sourcePath(s.id), { method: 'DELETE' });
        card.load();
      } catch (err) {
        error.hidden = false;
        error.textContent = `Cannot delete "${s.name}": ${errorText(err)}`;
      }
    });
    const where = s.url ?? (s.object_id ? `object ${s.object_id.slice(-8)}` : s.kind === 'webcam' ? 'a browser' : '');
    return h('tr', { 'data-testid': 'live-source-row', 'data-id': s.id, 'data-kind': s.kind },
      h('td', {}, s.name), h('td', {}, s.kind),
      h('td', { class: 'details' }, where, s.options?.transport ? ` (${s.options.transport})` : ''),
      h('td', {}, formatTime(s.created_at)), h('td', {}, del));
  }
  return card;
}

// Registers a source: the fields its kind needs (a URL, a file to upload, nothing for a webcam).
function registerCard(sources) {
  const kind = h('select', { name: 'kind', 'data-testid': 'live-source-kind' },
    ['rtsp', 'http', 'upload', 'webcam'].map((k) => h('option', { value: k }, k)));
  const name = h('input', { name: 'name', maxlength: 200, required: true, 'data-testid': 'live-source-name' });
  const url = h('input', { name: 'url', maxlength: 2048, placeholder: 'rtsp://camera.example/stream', 'data-testid': 'live-source-url' });
  const transport = h('select', { name: 'transport', 'data-testid': 'live-source-transport' },
    h('option', { value: 'tcp' }, 'tcp'), h('option', { value: 'udp' }, 'udp'));
  const file = h('input', { type: 'file', name: 'object_id', accept: 'video/*,audio/*', 'data-testid': 'live-source-file' });
  const urlField = h('div', { class: 'field' }, h('label', {}, 'URL'), url);
  const transportField = h('div', { class: 'field' }, h('label', {}, 'RTSP transport'), transport);
  const fileField = h('div', { class: 'field' }, h('label', {}, 'Video or audio file (MP4, WAV, MP3, Ogg, FLAC)'), file);
  const error = h('div', { class: 'form-error', role: 'alert', hidden: true, 'data-testid': 'live-source-error' });
  const status = h('p', { class: 'muted small', 'aria-live': 'polite', 'data-testid': 'live-source-status' });
  const submit = h('button', { type: 'submit', class: 'primary', 'data-testid': 'live-source-submit' }, 'Register');
  const form = h('form', { novalidate: true }, error,
    h('div', { class: 'field' }, h('label', {}, 'Kind'), kind), h('div', { class: 'field' }, h('label', {}, 'Name'), name),
    urlField, transportField, fileField, status, submit);
  const showFields = () => {
    urlField.hidden = !['rtsp', 'http'].includes(kind.value);
    url.placeholder = kind.value === 'http' ? 'https://example.com/stream.m3u8' : 'rtsp://camera.example/stream';
    transportField.hidden = kind.value !== 'rtsp';
    fileField.hidden = kind.value !== 'upload';
  };
  kind.addEventListener('change', showFields);
  showFields();
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    showFormError(error, null);
    markFields(form, null);
    const body = { kind: kind.value, name: name.value.trim() };
    if (!body.name) {
      showFormError(error, { status: -1, message: 'A source needs a name.', fields: { name: 'required' } });
      markFields(form, { fields: { name: 'required' } });
      return;
    }
    if (kind.value === 'rtsp' || kind.value === 'http') body.url = url.value.trim();
    if (kind.value === 'rtsp') body.transport = transport.value;
    submit.disabled = true;
    try {
      if (kind.value === 'upload') {
        const f = file.files[0];
        if (!f) throw Object.assign(new Error('Choose a file to upload.'), { status: -1, fields: { object_id: 'required' } });
        status.textContent = `Uploading ${f.name} (${Math.ceil(f.size / 1024)} KiB)…`;
        const object = await uploadMedia(f);
        body.object_id = object.id ?? object.object_id;
      }
      const created = await api('/api/v1/sources', { method: 'POST', body });
      status.textContent = `Registered ${created.name}.`;
      name.value = '';
      url.value = '';
      file.value = '';
      sources.load();
    } catch (err) {
      status.textContent = '';
      showFormError(error, err);
      markFields(form, err);
    } finally {
      submit.disabled = false;
    }
  });
  return h('section', { class: 'card' }, h('h2', {}, 'Register a source'), form);
}

// The sessions, newest first; read again every two seconds while one is queued or running.
function sessionsCard() {
  const rows = h('tbody', { 'data-testid': 'live-sessions' });
  const empty = h('p', { class: 'muted', hidden: true }, 'No sessions yet.');
  const error = h('p', { class: 'bad', role: 'alert', hidden: true, 'data-testid': 'live-sessions-error' });
  const stateFilter = h('select', { 'aria-label': 'State', 'data-testid': 'live-sessions-state' }, h('option', { value: '' }, 'all'),
    ['queued', 'running', 'finished', 'stopped', 'failed'].map((s) => h('option', { value: s }, s)));
  const el = h('section', { class: 'card' },
    h('div', { class: 'card-head' }, h('h2', {}, 'Sessions'),
      h('div', { class: 'filters' }, h('label', {}, 'State', stateFilter), h('a', { href: WEBCAM_PAGE }, 'Start from the webcam'))),
    error,
    h('div', { class: 'table-wrap' }, h('table', { class: 'table' },
      h('thead', {}, h('tr', {}, h('th', {}, 'Started'), h('th', {}, 'Source'), h('th', {}, 'State'), h('th', {}, 'Profile'),
        h('th', { class: 'num' }, 'fps in / out'), h('th', { class: 'num' }, 'Latency p50 / p95'), h('th', { class: 'num' }, 'Dropped'),
        h('th', {}))),
      rows)), empty);
  let timer = null;
  let released = false;
  async function load() {
    clearTimeout(timer);
    try {
      const page = await api(`/api/v1/sessions${query({ limit: 50, state: stateFilter.value })}`);
      if (released) return;
      rows.replaceChildren(...page.items.map((s) => row(s)));
      empty.hidden = page.items.length > 0;
      error.hidden = true;
      if (page.items.some((s) => !ENDED.has(s.state))) timer = setTimeout(load, REFRESH_MS);
    } catch (err) {
      if (released) return;
      error.hidden = false;
      error.textContent = `Cannot list sessions: ${errorText(err)}`;
      timer = setTimeout(load, REFRESH_MS * 5);
    }
  }
  function row(s) {
    const st = s.stats ?? {};
    const stop = h('button', { type: 'button', class: 'link', 'data-testid': 'live-session-row-stop' }, 'stop');
    stop.hidden = ENDED.has(s.state) || !canEdit();
    stop.addEventListener('click', async () => {
      stop.disabled = true;
      try {
        await api(`${sessionPath(s.id)}/stop`, { method: 'POST' });
        load();
      } catch (err) {
        error.hidden = false;
        error.textContent = `Cannot stop: ${errorText(err)}`;
      }
    });
    return h('tr', { 'data-testid': 'live-session-row', 'data-id': s.id, 'data-state': s.state },
      h('td', {}, h('a', { href: sessionHash(s.id), 'data-testid': 'live-session-link' }, formatTime(s.started_at ?? s.created_at))),
      h('td', {}, s.source_kind),
      h('td', {}, stateBadge(s.state)),
      h('td', {}, s.profile),
      h('td', { class: 'num' }, `${fixed(st.fps_in)} / ${fixed(st.fps_out)}`),
      h('td', { class: 'num' }, `${ms(st.latency_ms?.p50)} / ${ms(st.latency_ms?.p95)}`),
      h('td', { class: 'num' }, String(st.dropped_total ?? 0)),
      h('td', {}, stop));
  }
  stateFilter.addEventListener('change', load);
  return { el, load, release() { released = true; clearTimeout(timer); } };
}

// Pipelines and profile, as both start forms (this one and the webcam page's) ask them.
export function settingsFields({ withAsr = true } = {}) {
  const boxes = PIPELINES.filter((p) => withAsr || p !== 'asr').map((p) => h('input', {
    type: 'checkbox', name: 'pipelines', value: p, checked: p === 'detect' || p === 'track', 'data-testid': `live-pipeline-${p}`,
  }));
  const profile = h('select', { name: 'profile', 'data-testid': 'live-start-profile' }, PROFILES.map((p) => h('option', { value: p }, p)));
  const detectModel = h('input', { name: 'models.detect', maxlength: 100, placeholder: 'people', 'data-testid': 'live-model-detect' });
  const faceModel = h('input', { name: 'models.faces', maxlength: 100, placeholder: 'faces', 'data-testid': 'live-model-faces' });
  const el = h('div', {},
    h('fieldset', { class: 'live-pipelines' }, h('legend', {}, 'Pipelines'),
      boxes.map((b) => h('label', {}, b, ` ${b.value}`))),
    h('div', { class: 'field' }, h('label', {}, 'Profile'), profile),
    h('details', { class: 'live-models' }, h('summary', {}, 'Models (registry names)'),
      h('div', { class: 'field' }, h('label', {}, 'Detector'), detectModel),
      h('div', { class: 'field' }, h('label', {}, 'Faces'), faceModel)));
  return {
    el,
    pipelines: () => boxes.filter((b) => b.checked).map((b) => b.value),
    profile: () => profile.value,
    // The members of POST /api/v1/sessions these fields fill.
    body() {
      const body = { pipelines: this.pipelines(), profile: profile.value };
      const models = {};
      if (detectModel.value.trim()) models.detect = detectModel.value.trim();
      if (faceModel.value.trim()) models.faces = faceModel.value.trim();
      if (Object.keys(models).length) body.models = models;
      return body;
    },
  };
}

// Starts a session on a registered source, with zones and lines drawn on a blank picture (the server
// sends no pictures of RTSP, HTTP or file sources: shapes are placed in normalised coordinates).
function startCard() {
  const source = h('select', { name: 'source_id', 'data-testid': 'live-start-source' }, h('option', { value: '' }, 'choose a source…'));
  const settings = settingsFields();
  const stage = createStage({ testid: 'live-editor-stage' });
  const editor = createZoneEditor(stage);
  const error = h('div', { class: 'form-error', role: 'alert', hidden: true, 'data-testid': 'live-start-error' });
  const submit = h('button', { type: 'submit', class: 'primary', 'data-testid': 'live-start-submit' }, 'Start session');
  const form = h('form', { novalidate: true }, error, h('div', { class: 'field' }, h('label', {}, 'Source'), source), settings.el,
    h('fieldset', { class: 'live-zones' }, h('legend', {}, 'Zones and lines'), stage.el, editor.el), submit);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    showFormError(error, null);
    markFields(form, null);
    if (!source.value) {
      showFormError(error, { status: -1, message: 'Choose a source.' });
      return;
    }
    const body = { source_id: source.value, ...settings.body() };
    if (!body.pipelines.length) {
      showFormError(error, { status: -1, message: 'Choose at least one pipeline.' });
      return;
    }
    const shapes = editor.value();
    if (shapes.zones.length) body.zones = shapes.zones;
    if (shapes.lines.length) body.lines = shapes.lines;
    submit.disabled = true;
    try {
      const started = await api('/api/v1/sessions', { method: 'POST', body });
      location.hash = sessionHash(started.session_id ?? started.id);
    } catch (err) {
      const quota = err?.code === 'quota_exceeded';
      showFormError(error, quota ? { status: err.status, message: `${err.message} (limit ${err.details.limit}).` } : err);
      markFields(form, err);
    } finally {
      submit.disabled = false;
    }
  });
  return {
    el: h('section', { class: 'card' }, h('h2', {}, 'Start a session'), form),
    setSources(list) {
      const keep = source.value;
      source.replaceChildren(h('option', { value: '' }, 'choose a source…'),
        ...list.filter((s) => s.kind !== 'webcam').map((s) => h('option', { value: s.id }, `${s.name} (${s.kind})`)));
      if ([...source.options].some((o) => o.value === keep)) source.value = keep;
    },
    release() {
      editor.release();
      stage.release();
    },
  };
}
