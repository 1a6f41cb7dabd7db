// The console's access to the JSON API and to a job's WebSocket event stream. Credentials come from
// the session (session.js), which plugs itself in through useSession(), so this module needs no
// import of it.

// A non-2xx answer; carries the error envelope's code, message and details, and Retry-After (s).
export class ApiError extends Error {
  constructor(status, body, retryAfter = null) {
    const error = body?.error;
    super(error?.message ?? `HTTP ${status}`);
    this.status = status;
    this.code = error?.code ?? null;
    this.details = error?.details ?? {};
    this.fields = this.details.fields ?? {};
    this.retryAfter = retryAfter;
  }
}

// token(): the access token or null; fresh(): resolves to one that stays valid a while longer,
// refreshing first if needed (for WebSockets, which cannot retry after a 401); renew(): refreshes,
// resolves false when the session is over; ended(): the server refused the session.
let session = { token: () => null, fresh: async () => null, renew: async () => false, ended: () => {} };

export function useSession(hooks) {
  session = hooks;
}

// A body is JSON, except a FormData (sent as multipart/form-data: the browser writes the boundary) and a Blob
// or File (sent as it is, with the Content-Type `type`, else the Blob's own type).
async function send(path, { method = 'GET', body, type, token }) {
  const init = { method, headers: { Accept: 'application/json' } };
  if (token) init.headers.Authorization = `Bearer ${token}`;
  if (body instanceof FormData) {
    init.body = body;
  } else if (body instanceof Blob) {
    init.headers['Content-Type'] = type || body.type || 'application/octet-stream';
    init.body = body;
  } else if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  return fetch(path, init);
}

async function read(res) {
  let data = null;
  try { data = await res.json(); } catch { /* empty or not JSON */ }
  if (res.ok) return data;
  const retryAfter = Number.parseInt(res.headers.get('Retry-After') ?? '', 10);
  throw new ApiError(res.status, data, Number.isFinite(retryAfter) ? retryAfter : null);
}

// Fetches `path` with the session's bearer token; resolves to the JSON body (null for 204), rejects
// with ApiError (or a network TypeError). A 401 refreshes the session once and repeats the request;
// a second 401, or a session that cannot be refreshed, ends it. With `bearer` (a token, or null for
// none) the session is left out and a 401 is an ordinary answer (login, refresh, logout). `body`: see send();
// `type` names a Blob body's Content-Type.
export async function api(path, { method = 'GET', body, type, bearer } = {}) {
  if (bearer !== undefined) return read(await send(path, { method, body, type, token: bearer }));
  return read(await sendAuthorized(path, { method, body, type }));
}

async function sendAuthorized(path, { method = 'GET', body, type } = {}) {
  const used = session.token();
  let res = await send(path, { method, body, type, token: used });
  if (res.status === 401) {
    // Another request may have refreshed meanwhile: then its token is tried without a refresh of our own.
    const again = session.token() !== used || await session.renew();
    if (again) res = await send(path, { method, body, type, token: session.token() });
    if (res.status === 401) session.ended();
  }
  return res;
}

// Fetches `path` (GET) with the session's bearer token, as api() does, and resolves to its body as a Blob
// (pictures, CSV files: what needs the token and so cannot be a plain link); rejects with ApiError.
export async function apiBlob(path) {
  const res = await sendAuthorized(path);
  if (!res.ok) return read(res);
  return res.blob();
}

export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : '';
}

// The URL of a WebSocket at `path` (/ws/…) with the query `params` and a fresh access token as
// ?access_token= (browsers cannot set headers on a WebSocket), for pages that open sockets of their own
// (a bidirectional stream). Take a new one for every (re)connection.
export async function socketUrl(path, params = {}) {
  let token = null;
  try { token = await session.fresh(); } catch { /* the server is down: the socket fails and the caller retries */ }
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  return `${scheme}://${location.host}${path}${query({ ...params, access_token: token })}`;
}

// Follows /ws/jobs/<id>. Calls onSnapshot(job) on every (re)connection, onEvent(event) once per
// event in seq order (a reconnect resumes with ?after=<last seq> and skips what was seen), and
// onStatus('live' | 'reconnecting' | 'error', message). Browsers cannot set headers on a WebSocket,
// so the access token travels as ?access_token=; every (re)connection takes a fresh one (a token that
// expired while the tab slept is renewed first).
// Returns a function that stops following.
export function followJob(id, handlers) {
  return followStream(`/ws/jobs/${encodeURIComponent(id)}`, handlers);
}

// Follows any event stream of the API's shape ({type, seq, data} messages, a `snapshot` first on every
// connection), as followJob does for a job: `path` is the WebSocket's path, /ws/….
export function followStream(path, { onSnapshot, onEvent, onStatus = () => {} }) {
  let lastSeq = 0;
  let socket = null;
  let stopped = false;
  let retry = null;
  let delay = 500;

  const connect = async () => {
    let token = null;
    try { token = await session.fresh(); } catch { /* the server is down: the socket fails and we retry */ }
    if (stopped) return;
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    const q = query({ after: lastSeq > 0 ? lastSeq : undefined, access_token: token });
    socket = new WebSocket(`${scheme}://${location.host}${path}${q}`);
    socket.addEventListener('open', () => { delay = 500; onStatus('live'); });
    socket.addEventListener('message', (msg) => {
      let m;
      try { m = JSON.parse(msg.data); } catch { return; }
      if (m.type === 'snapshot') {
        onSnapshot(m.data);
      } else if (m.type === 'error') {
        stopped = true;  // the server refused this job: asking again would not help
        onStatus('error', m.data?.error?.message ?? 'stream refused');
      } else if (m.seq > lastSeq) {
        lastSeq = m.seq;
        onEvent(m);
      }
    });
    socket.addEventListener('close', () => {
      if (stopped) return;
      onStatus('reconnecting');
      retry = setTimeout(connect, delay);
      delay = Math.min(delay * 2, 10000);
    });
  };

  connect();
  return () => {
    stopped = true;
    clearTimeout(retry);
    socket?.close();
  };
}
