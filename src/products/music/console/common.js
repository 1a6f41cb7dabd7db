// What the music pages share: their style sheet, addresses, labelled form fields, error lines, the upload flow
// for recordings, the following of a job, and the words for notifications and karma.

import { ApiError, api, followJob } from '/console/api.js';
import { h } from '/console/dom.js';
import { roleAllows } from '/console/roles.js';
import { current } from '/console/session.js';

export const BASE = '/console/products/music';
export const SONGS_PAGE = '#/music.songs';
export const QUEUE_PAGE = '#/music.queue';

// The product's style sheet, added to the page once (the platform's style.css stays underneath).
export function useStyles() {
  if (document.querySelector('link[data-music-styles]')) return;
  document.head.append(h('link', { rel: 'stylesheet', href: `${BASE}/style.css`, 'data-music-styles': true }));
}

export const myId = () => current()?.user?.id ?? null;
// Uploading, adding songs, generating maps and writing fixes: the API's role user (a viewer only looks).
export const canContribute = () => roleAllows(current()?.role ?? 'viewer', 'user');
// Admins see every member's uploads.
export const isAdmin = () => roleAllows(current()?.role ?? 'viewer', 'admin');

const enc = encodeURIComponent;
export const songPath = (id) => `/api/v1/songs/${enc(id)}`;
export const mapPath = (id) => `/api/v1/maps/${enc(id)}`;
export const editPath = (id) => `/api/v1/edits/${enc(id)}`;
export const songHash = (id) => `${SONGS_PAGE}?${new URLSearchParams({ song: id })}`;
// A map in the viewer; `extra` may name a difficulty or the lookup whose upload the map is ported onto.
export function mapHash(id, extra = {}) {
  const q = new URLSearchParams({ map: id });
  for (const [k, v] of Object.entries(extra)) if (v) q.set(k, v);
  return `${SONGS_PAGE}?${q}`;
}
export const editHash = (id) => `${QUEUE_PAGE}?${new URLSearchParams({ edit: id })}`;

// A message line for an error (ApiError or a network failure).
export const errorText = (err) => (err?.status ? err.message : `the server did not answer (${err?.message ?? err})`);

// A form field: a label tied to its control by id, and an optional hint the control is described by.
let nextId = 0;
export function field(label, control, hint) {
  control.id ||= `mu-f${++nextId}`;
  const hintEl = hint ? h('p', { class: 'muted small', id: `${control.id}-hint` }, hint) : null;
  if (hintEl) control.setAttribute('aria-describedby', hintEl.id);
  return h('div', { class: 'field' }, h('label', { for: control.id }, label), control, hintEl);
}

// A checkbox with its label beside it.
export function checkbox(label, attrs = {}) {
  const box = h('input', { type: 'checkbox', ...attrs });
  return [box, h('label', { class: 'mu-check' }, box, ` ${label}`)];
}

// A table that scrolls sideways on a narrow screen: a named region the keyboard can reach and scroll (named
// apart from the section around it, which is a region too).
export const scrollBox = (label, table, attrs = {}) => h('div', { class: 'table-wrap', tabindex: 0, role: 'region', 'aria-label': `${label}, table`, ...attrs }, table);

// Marks the inputs named in an ApiError's details.fields (name attribute = the member's path) as invalid.
export function markFields(form, err) {
  for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
  for (const name of Object.keys(err?.fields ?? {})) {
    for (const el of form.querySelectorAll(`[name="${CSS.escape(name)}"]`)) el.setAttribute('aria-invalid', 'true');
  }
}

export const fixed = (n, digits = 1) => (n === null || n === undefined || !Number.isFinite(Number(n)) ? '–' : Number(n).toFixed(digits));
// "1 operation", "3 operations".
export const count = (n, word) => `${n} ${word}${n === 1 ? '' : 's'}`;
export const percent = (n) => (n === null || n === undefined || !Number.isFinite(Number(n)) ? '–' : `${Math.round(Number(n) * 100)} %`);
// Seconds as m:ss.mmm (a drum map's notes are milliseconds apart).
export function clock(s) {
  if (!Number.isFinite(Number(s))) return '–';
  const t = Math.max(0, Number(s));
  const m = Math.floor(t / 60);
  return `${m}:${(t - m * 60).toFixed(3).padStart(6, '0')}`;
}

export function stateBadge(state, attrs = {}) {
  return h('span', { class: `badge mu-state-${state}`, 'data-state': state, ...attrs }, state);
}

const TYPES = { wav: 'audio/wav', mp3: 'audio/mpeg', ogg: 'audio/ogg', oga: 'audio/ogg', flac: 'audio/flac' };

// Uploads a recording through the upload flow (declare with the purpose "audio", send the bytes to the signed
// URL, complete) and resolves to the object.
export async function uploadAudio(file) {
  const ext = file.name.split('.').pop().toLowerCase();
  const contentType = file.type || TYPES[ext] || 'application/octet-stream';
  const declared = await api('/api/v1/uploads', {
    method: 'POST',
    body: { filename: file.name, content_type: contentType, size: file.size, purpose: 'audio' },
  });
  const res = await fetch(declared.url, { method: declared.method || 'PUT', headers: declared.headers ?? {}, body: file });
  if (!res.ok) throw new ApiError(res.status, await res.json().catch(() => null));
  return api(`/api/v1/uploads/${enc(declared.upload_id)}/complete`, { method: 'POST' });
}

// Follows a job to its end: onProgress(fraction, message) as the progress grows, then resolves to the job's
// final state ('succeeded', 'failed' or 'cancelled') and its error. The job's WebSocket gives the progress (it
// replays the job's events from the start, after a snapshot that may be ahead of them: progress never goes
// back); a read every few seconds catches an end the socket missed.
export function watchJob(jobId, onProgressRaw) {
  let stop = () => {};
  let best = -1;
  const onProgress = (fraction, message) => {
    if (fraction < best) return;
    best = fraction;
    onProgressRaw(fraction, message);
  };
  const done = new Promise((resolve) => {
    let finished = false;
    let timer = null;
    const end = (job) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      unfollow();
      resolve({ state: job.state, error: job.error ?? null });
    };
    const take = (job) => {
      if (typeof job.progress === 'number') onProgress(job.progress, null);
      if (['succeeded', 'failed', 'cancelled'].includes(job.state)) end(job);
    };
    const unfollow = followJob(jobId, {
      onSnapshot: take,
      onEvent: (e) => {
        const d = e.data ?? {};
        if (e.type === 'progress') onProgress(d.progress ?? 0, d.message ?? d.stage ?? null);
        else if (e.type === 'succeeded') end({ state: 'succeeded' });
        else if (e.type === 'failed' || e.type === 'cancelled') end({ state: e.type, error: d.error });
      },
    });
    const poll = async () => {
      try {
        take(await api(`/api/v1/jobs/${enc(jobId)}`));
      } catch { /* the socket keeps watching; the next read tries again */ }
      if (!finished) timer = setTimeout(poll, 3000);
    };
    timer = setTimeout(poll, 3000);
    stop = () => { finished = true; clearTimeout(timer); unfollow(); };
  });
  return { done, stop: () => stop() };
}

// One line about a notification (GET /api/v1/notifications' items; kinds as community.cpp writes them).
export function describeNotification(n) {
  const d = n.data ?? {};
  switch (n.kind) {
    case 'map.ready': return `Your drum map for "${d.title ?? 'a song'}" is ready (${d.notes ?? '?'} notes).`;
    case 'map.failed': return `Your drum map for "${d.title ?? 'a song'}" failed${d.error?.message ? `: ${d.error.message}` : ''}.`;
    case 'edit.decided': {
      const word = { approved: 'approved', rejected: 'rejected', conflict: 'in conflict with a newer version', reverted: 'reverted' }[d.status] ?? d.status;
      return `Your fix was ${word}${d.comment ? `: "${d.comment}"` : '.'}`;
    }
    case 'karma.changed': return `Your karma is now ${d.karma} (${d.delta > 0 ? '+' : ''}${d.delta}, ${reasonText(d.reason)}).`;
    case 'role.changed': return `You ${d.granted ? 'earned' : 'lost'} the ${d.role} role (karma ${d.karma}).`;
    case 'subscription.changed': return 'Your subscription changed.';
    default: return n.kind;
  }
}

// Why karma moved (community.hpp's reasons).
export function reasonText(reason) {
  return {
    fix_approved: 'a fix of yours was approved',
    fix_rejected: 'a fix of yours was rejected',
    verification: 'you reviewed a fix or a map',
    generation_verified: 'a map you generated was verified',
    reversal: 'a reverted fix',
  }[reason] ?? String(reason ?? '').replaceAll('_', ' ');
}
