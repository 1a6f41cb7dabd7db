// The signed-in session: who is signed in, and the tokens that prove it.
//
// The access token is kept in memory only: it is what every request carries, and nothing else in
// the page (or a script slipped into it) can read it from storage. The refresh token is kept in
// sessionStorage because that
//   - survives a reload, so reloading the console does not sign you out;
//   - is not shared across tabs: each tab signs in on its own, so two tabs never rotate the same
//     refresh token and trip the server's reuse detection (which revokes the session). A tab the
//     browser duplicates gets a copy; the first of the two to refresh keeps the session;
//   - is gone with the tab, so a closed console leaves no credential on the machine.
// The access token is refreshed after four fifths of its lifetime and on a 401, one refresh at a time.

import { api, ApiError, useSession } from './api.js';

const STORE_KEY = 'tyto.refresh_token';
const RETRY_MS = 10_000;

let access = null;    // { token, renewAt (ms since epoch) }
let who = null;       // { user: {id, email, display_name, superadmin}, tenant: {id, name, display_name}, role }
let inFlight = null;  // the refresh under way
let timer = null;
let epoch = 0;        // bumped when the session is cleared: a refresh answered after that is dropped
const listeners = new Set();

// Who is signed in, or null.
export const current = () => who;

// Calls fn(reason) when the session changes: 'signin', 'refresh', 'signout' or 'expired' (the
// server no longer accepts it). Returns a function that stops calling it.
export function onChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

function emit(reason) {
  for (const fn of listeners) fn(reason);
}

function take(answer) {
  const ttlMs = Number(answer.expires_in) * 1000;
  access = { token: answer.access_token, renewAt: Date.now() + ttlMs * 0.8 };
  who = { user: answer.user, tenant: answer.tenant, role: answer.role };
  sessionStorage.setItem(STORE_KEY, answer.refresh_token);  // rotated: the old one is spent
  schedule(access.renewAt - Date.now());
}

function schedule(ms) {
  clearTimeout(timer);
  timer = setTimeout(() => refresh().catch(() => schedule(RETRY_MS)), Math.max(ms, 0));
}

function clear() {
  clearTimeout(timer);
  epoch++;
  access = null;
  who = null;
  sessionStorage.removeItem(STORE_KEY);
}

function end(reason) {
  const had = who !== null || sessionStorage.getItem(STORE_KEY) !== null;
  clear();
  if (had) emit(reason);
}

// Signs in; rejects with the server's ApiError (401 wrong credentials, 429 locked out for a while).
export async function login(email, password, tenant) {
  const body = { email, password };
  if (tenant) body.tenant = tenant;
  epoch++;  // a refresh still under way belongs to the session this one replaces
  take(await api('/api/v1/auth/login', { method: 'POST', body, bearer: null }));
  emit('signin');
}

// Trades the refresh token for new tokens. Resolves true when it did, false when there is no
// session or the server refused it (then the session ends with 'expired'). Rejects on network
// errors, 5xx and 429, keeping the session: the server may answer later.
export function refresh() {
  inFlight ??= (async () => {
    const token = sessionStorage.getItem(STORE_KEY);
    if (!token) {
      end('expired');
      return false;
    }
    const started = epoch;
    let answer;
    try {
      answer = await api('/api/v1/auth/refresh', { method: 'POST', body: { refresh_token: token }, bearer: null });
    } catch (err) {
      if (started !== epoch) return false;
      if (err instanceof ApiError && err.status >= 400 && err.status < 500 && err.status !== 429) {
        end('expired');
        return false;
      }
      throw err;
    }
    if (started !== epoch) return false;  // signed out meanwhile
    take(answer);
    emit('refresh');
    return true;
  })().finally(() => { inFlight = null; });
  return inFlight;
}

// Signs out: the tab forgets the session at once, and the server is told to revoke it.
export async function logout() {
  const token = sessionStorage.getItem(STORE_KEY);
  const bearer = access?.token ?? null;
  clear();
  emit('signout');
  if (!token) return;
  try {
    await api('/api/v1/auth/logout', { method: 'POST', body: { refresh_token: token }, bearer });
  } catch { /* the refresh token is forgotten here; it expires on its own */ }
}

// An access token that stays valid a while longer, refreshed first if it is due; null when signed out.
async function fresh() {
  if (access && Date.now() < access.renewAt) return access.token;
  if (sessionStorage.getItem(STORE_KEY)) await refresh();
  return access?.token ?? null;
}

useSession({
  token: () => access?.token ?? null,
  fresh,
  renew: refresh,
  ended: () => end('expired'),
});

// A tab that slept past the refresh time wakes up with a stale token: renew it before anything asks.
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible' && access && Date.now() >= access.renewAt) {
    refresh().catch(() => schedule(RETRY_MS));
  }
});

// Resolves once a session kept from before a reload is restored (or found missing or refused).
export const restored = sessionStorage.getItem(STORE_KEY) ? refresh().catch(() => false) : Promise.resolve(false);
