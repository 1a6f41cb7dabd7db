// The console's access to the JSON API and to a job's WebSocket event stream.

// A non-2xx answer; carries the error envelope's code, message and details.
export class ApiError extends Error {
  constructor(status, body) {
    const error = body?.error;
    super(error?.message ?? `HTTP ${status}`);
    this.status = status;
    this.code = error?.code ?? null;
    this.details = error?.details ?? {};
    this.fields = this.details.fields ?? {};
  }
}

// Fetches `path`; resolves to the JSON body, rejects with ApiError (or a network TypeError).
export async function api(path, { method = 'GET', body } = {}) {
  const init = { method, headers: { Accept: 'application/json' } };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const res = await fetch(path, init);
  let data = null;
  try { data = await res.json(); } catch { /* empty or not JSON */ }
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : '';
}

// Follows /ws/jobs/<id>. Calls onSnapshot(job) on every (re)connection, onEvent(event) once per
// event in seq order (a reconnect resumes with ?after=<last seq> and skips what was seen), and
// onStatus('live' | 'reconnecting' | 'error', message). Returns a function that stops following.
export function followJob(id, { onSnapshot, onEvent, onStatus = () => {} }) {
  let lastSeq = 0;
  let socket = null;
  let stopped = false;
  let retry = null;
  let delay = 500;

  const connect = () => {
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    const after = lastSeq > 0 ? `?after=${lastSeq}` : '';
    socket = new WebSocket(`${scheme}://${location.host}/ws/jobs/${encodeURIComponent(id)}${after}`);
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
