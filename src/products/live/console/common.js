// What the live pages share: their style sheet, the caller's role, uploads through the platform's upload
// flow, the session stream (/ws/stream) and the formatting of numbers and events.

import { api, apiBlob, ApiError, socketUrl } from '/console/api.js';
import { h } from '/console/dom.js';
import { roleAllows } from '/console/roles.js';
import { current } from '/console/session.js';

export const BASE = '/console/products/live';
export const SESSIONS_PAGE = '#/live.sessions';
export const WEBCAM_PAGE = '#/live.webcam';
export const ENDED = new Set(['finished', 'stopped', 'failed']);
export const PIPELINES = ['detect', 'track', 'motion', 'faces', 'asr'];
export const PROFILES = ['fast', 'accurate', 'cpu-only'];
export const EVENT_TYPES = ['detection', 'track', 'zone', 'line', 'motion', 'transcript', 'metric', 'source', 'summary',
  'profile', 'clip', 'error', 'session'];

// The product's style sheet, added to the page once (the platform's style.css stays underneath).
export function useStyles() {
  if (document.querySelector('link[data-live-styles]')) return;
  document.head.append(h('link', { rel: 'stylesheet', href: `${BASE}/style.css`, 'data-live-styles': true }));
}

// Whether the signed-in role may change things (register sources, start and stop sessions): role user.
export const canEdit = () => roleAllows(current()?.role ?? 'viewer', 'user');

export const sessionHash = (id) => `${SESSIONS_PAGE}?${new URLSearchParams({ session: id })}`;
export const sessionPath = (id) => `/api/v1/sessions/${encodeURIComponent(id)}`;
export const sourcePath = (id) => `/api/v1/sources/${encodeURIComponent(id)}`;

// A message line for an error (ApiError or a network failure).
export const errorText = (err) => (err?.status ? err.message : `the server did not answer (${err?.message ?? err})`);

const TYPES = { mp4: 'video/mp4', m4v: 'video/mp4', mkv: 'video/x-matroska', webm: 'video/webm', mov: 'video/quicktime',
  wav: 'audio/wav', mp3: 'audio/mpeg', ogg: 'audio/ogg', oga: 'audio/ogg', flac: 'audio/flac' };

// Uploads a media file through the upload flow (declare, send the bytes to the signed URL, complete) and
// resolves to the object. Video goes up with the purpose "video", audio with "audio".
export async function uploadMedia(file) {
  const ext = file.name.split('.').pop().toLowerCase();
  const contentType = file.type || TYPES[ext] || 'application/octet-stream';
  const purpose = contentType.startsWith('audio/') ? 'audio' : 'video';
  const declared = await api('/api/v1/uploads', {
    method: 'POST',
    body: { filename: file.name, content_type: contentType, size: file.size, purpose },
  });
  const res = await fetch(declared.url, { method: declared.method || 'PUT', headers: declared.headers ?? {}, body: file });
  if (!res.ok) throw new ApiError(res.status, await res.json().catch(() => null));
  return api(`/api/v1/uploads/${encodeURIComponent(declared.upload_id)}/complete`, { method: 'POST' });
}

// Marks the inputs named in an ApiError's details.fields (name attribute = the member's path) as invalid.
export function markFields(form, err) {
  for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
  for (const name of Object.keys(err?.fields ?? {})) {
    for (const el of form.querySelectorAll(`[name="${CSS.escape(name)}"]`)) el.setAttribute('aria-invalid', 'true');
  }
}

// Numbers as the live figures show them.
export const fixed = (n, digits = 1) => (n === null || n === undefined || !Number.isFinite(Number(n)) ? '–' : Number(n).toFixed(digits));
export const ms = (n) => (n === null || n === undefined ? '–' : `${Math.round(Number(n))} ms`);

// A colour per track id (or label), stable across frames.
export function colourFor(key) {
  let hash = 0;
  for (const c of String(key)) hash = (hash * 31 + c.charCodeAt(0)) | 0;
  return `hsl(${Math.abs(hash) % 360} 80% 45%)`;
}

// One line about an event, for the event lists.
export function describe(e) {
  const d = e.data ?? {};
  switch (e.type) {
    case 'detection': {
      const labels = (d.detections ?? []).map((x) => `${x.label}${x.track_id ? ` #${x.track_id}` : ''} ${fixed(x.score, 2)}`);
      return `frame ${d.frame_index} (${fixed(d.t_s, 2)} s): ${labels.join(', ') || 'nothing'}`;
    }
    case 'track': return `track #${d.track_id} ${d.label} ${d.state} at ${fixed(d.t_s, 2)} s`;
    case 'zone': return `${d.label ?? ''} #${d.track_id} ${d.type ?? d.kind ?? d.event ?? ''} zone ${d.name ?? d.zone}`;
    case 'line': {
      const counts = d.counts ? ` (in ${d.counts.in}, out ${d.counts.out})` : '';
      return `${d.label ?? ''} #${d.track_id} crossed line ${d.name ?? d.line} ${d.direction ?? ''}${counts}`;
    }
    case 'motion': return `motion ${d.state} (${fixed((d.fraction ?? 0) * 100)}% of the picture)`;
    case 'transcript': return `${d.final ? 'said' : '…'} "${d.text ?? ''}"`;
    case 'metric': return `fps ${fixed(d.fps_in)} in, ${fixed(d.fps_out)} out; latency p50 ${ms(d.latency_ms?.p50)}, `
      + `p95 ${ms(d.latency_ms?.p95)}; dropped ${d.dropped ?? 0}`;
    case 'source': return `source ${d.state}${d.reason ? `: ${d.reason}` : ''}`;
    case 'profile': return `profile ${d.from} → ${d.to} (${d.reason ?? ''})`;
    case 'error': return `${d.stage ?? 'error'}: ${d.message ?? ''}`;
    case 'session': return `session ${d.state}`;
    case 'clip': return `clip of track #${d.track_id}, ${fixed(d.from_s, 1)} s to ${fixed(d.to_s, 1)} s`;
    case 'summary': return `${d.frames ?? 0} frames analysed`;
    default: return JSON.stringify(d).slice(0, 200);
  }
}

// Follows a session over /ws/stream?session_id=…: a `snapshot` (the session) on every (re)connection, then
// its events once each in seq order (a reconnection resumes with ?after=<last seq>). Handlers: onSnapshot,
// onEvent, onStatus('connecting' | 'live' | 'reconnecting' | 'ended' | 'error', message), onOpen(socket).
// Returns { send(data), socket(), close() }: send() gives false when the socket is not open.
// A message {type: "error", seq: 0} is the server refusing the stream (or a message we sent): it is not
// retried. A session's own `error` events carry a seq and are ordinary events.
export function sessionStream(sessionId, { onSnapshot = () => {}, onEvent = () => {}, onStatus = () => {}, onOpen = () => {} }) {
  let lastSeq = 0;
  let ws = null;
  let stopped = false;
  let ended = false;
  let retry = null;
  let delay = 500;

  const connect = async () => {
    onStatus(lastSeq ? 'reconnecting' : 'connecting');
    const url = await socketUrl('/ws/stream', { session_id: sessionId, after: lastSeq > 0 ? lastSeq : undefined });
    if (stopped) return;
    const socket = new WebSocket(url);
    socket.binaryType = 'arraybuffer';
    ws = socket;
    socket.addEventListener('open', () => { delay = 500; onStatus('live'); onOpen(socket); });
    socket.addEventListener('message', (msg) => {
      if (typeof msg.data !== 'string') return;
      let m;
      try { m = JSON.parse(msg.data); } catch { return; }
      if (m.type === 'snapshot') {
        if (ENDED.has(m.data?.state)) ended = true;
        onSnapshot(m.data);
      } else if (m.type === 'error' && !m.seq) {
        stopped = true;
        onStatus('error', m.data?.error?.message ?? 'stream refused');
      } else if (m.seq > lastSeq) {
        lastSeq = m.seq;
        if (m.type === 'session' && ENDED.has(m.data?.state)) ended = true;
        onEvent(m);
      }
    });
    socket.addEventListener('close', () => {
      if (ws !== socket || stopped) return;
      if (ended) {
        onStatus('ended');
        return;
      }
      onStatus('reconnecting');
      retry = setTimeout(connect, delay);
      delay = Math.min(delay * 2, 10000);
    });
  };

  connect();
  return {
    send(data) {
      if (!ws || ws.readyState !== WebSocket.OPEN) return false;
      ws.send(data);
      return true;
    },
    socket: () => ws,
    close() {
      stopped = true;
      clearTimeout(retry);
      ws?.close();
    },
  };
}

// A badge for a session's state, the platform's state colours where they exist.
export function stateBadge(state, attrs = {}) {
  return h('span', { class: `badge state-${state} live-state-${state}`, ...attrs }, state);
}

export function setState(el, state) {
  el.className = `badge state-${state} live-state-${state}`;
  el.textContent = state;
}

export const objectContent = (id) => `/api/v1/objects/${encodeURIComponent(id)}/content`;

// Objects the API serves only with a bearer token (snapshots, clips): fetched with the console's session and
// shown through blob URLs (an <img src> cannot carry the token). release() revokes them all.
export function objectUrls() {
  const urls = new Map();  // object id → Promise<blob URL>
  let released = false;
  const url = (id) => {
    if (!urls.has(id)) urls.set(id, apiBlob(objectContent(id)).then((blob) => URL.createObjectURL(blob)));
    return urls.get(id);
  };
  return {
    // A thumbnail of the snapshot object `id`, a link to it at full size.
    snapshot(id, alt) {
      const img = h('img', { class: 'live-snapshot', alt, 'data-testid': 'live-snapshot', 'data-object': id });
      const a = h('a', { target: '_blank', rel: 'noopener' }, img);
      url(id).then((u) => { if (!released) { img.src = u; a.href = u; } })
        .catch((err) => { img.alt = `${alt} (not available: ${errorText(err)})`; });
      return a;
    },
    // A button that downloads the clip object `id` as an MP4 file.
    clip(id, filename) {
      const b = h('button', { type: 'button', class: 'link', 'data-testid': 'live-clip' }, 'download clip');
      b.addEventListener('click', async () => {
        try {
          const href = await url(id);
          const a = h('a', { href, download: filename, hidden: true });
          document.body.append(a);
          a.click();
          a.remove();
        } catch (err) {
          b.textContent = `clip not available: ${errorText(err)}`;
        }
      });
      return b;
    },
    release() {
      released = true;
      for (const p of urls.values()) p.then((u) => URL.revokeObjectURL(u), () => {});
      urls.clear();
    },
  };
}

// What an event shows besides its line: the snapshot where a track started, or its clip.
export function eventMedia(e, objects) {
  const d = e.data ?? {};
  if (e.type === 'track' && d.snapshot_object_id) return objects.snapshot(d.snapshot_object_id, `track #${d.track_id} ${d.label ?? ''}`);
  if (e.type === 'clip' && d.object_id) return h('span', {}, ' ', objects.clip(d.object_id, `track-${d.track_id}.mp4`));
  return null;
}
