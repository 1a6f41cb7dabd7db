// What the brand-protection pages share: their style sheet, the caller's role, pictures that need the token
// (blob URLs), uploads through the platform's upload flow, word lists, and saving a download.

import { api, apiBlob, ApiError } from '/console/api.js';
import { h } from '/console/dom.js';
import { roleAllows } from '/console/roles.js';
import { current } from '/console/session.js';

export const BASE = '/console/products/brand_protection';
export const BRANDS_PAGE = '#/brand_protection.brands';
export const SCANS_PAGE = '#/brand_protection.scans';

// The product's style sheet, added to the page once (the platform's style.css stays underneath).
export function useStyles() {
  if (document.querySelector('link[data-bp-styles]')) return;
  document.head.append(h('link', { rel: 'stylesheet', href: `${BASE}/style.css`, 'data-bp-styles': true }));
}

// Whether the signed-in role may change things (create, upload, scan, review): the API's role user.
export const canEdit = () => roleAllows(current()?.role ?? 'viewer', 'user');

// The Scans page of a brand, or of one of its scans.
export const scanHash = (brandId, scanId) =>
  `${SCANS_PAGE}?${new URLSearchParams({ brand: brandId, ...(scanId ? { scan: scanId } : {}) })}`;

export const brandPath = (id) => `/api/v1/brands/${encodeURIComponent(id)}`;
export const objectContent = (id) => `/api/v1/objects/${encodeURIComponent(id)}/content`;

// Pictures the API serves only with a bearer token: fetched with the console's session and shown through
// blob URLs (an <img src> cannot carry the token). One cache per view; release() revokes every URL when
// the view goes. At most 6 fetches run at once.
export function pictures() {
  const urls = new Map();  // path → Promise<blob URL>
  const waiting = [];
  let running = 0;
  let released = false;

  const pump = () => {
    while (running < 6 && waiting.length) {
      const { path, resolve, reject } = waiting.shift();
      running++;
      apiBlob(path).then((blob) => resolve(URL.createObjectURL(blob)), reject).finally(() => { running--; pump(); });
    }
  };
  const url = (path) => {
    if (!urls.has(path)) urls.set(path, new Promise((resolve, reject) => { waiting.push({ path, resolve, reject }); pump(); }));
    return urls.get(path);
  };
  return {
    // Points img at the picture behind `path` once it arrives; a picture that cannot be read marks it broken.
    show(img, path) {
      img.dataset.src = path;
      url(path).then((u) => {
        if (!released && img.dataset.src === path) img.src = u;
      }).catch((err) => {
        if (img.dataset.src !== path) return;
        img.classList.add('bp-broken');
        img.alt = `${img.alt} (not available: ${err.message})`;
      });
    },
    release() {
      released = true;
      for (const p of urls.values()) p.then((u) => URL.revokeObjectURL(u), () => {});
      urls.clear();
    },
  };
}

const TYPES = { jpg: 'image/jpeg', jpeg: 'image/jpeg', png: 'image/png', webp: 'image/webp', csv: 'text/csv', json: 'application/json' };

// Uploads a File through the upload flow (declare, send the bytes to the signed URL, complete) and resolves
// to the object. The declared type is the browser's, or the file name's extension's.
export async function uploadFile(file, purpose) {
  const ext = file.name.split('.').pop().toLowerCase();
  const contentType = file.type || TYPES[ext] || 'application/octet-stream';
  const declared = await api('/api/v1/uploads', {
    method: 'POST',
    body: { filename: file.name, content_type: contentType, size: file.size, purpose },
  });
  const res = await fetch(declared.url, { method: declared.method || 'PUT', headers: declared.headers ?? {}, body: file });
  if (!res.ok) throw new ApiError(res.status, await res.json().catch(() => null));
  return api(`/api/v1/uploads/${encodeURIComponent(declared.upload_id)}/complete`, { method: 'POST' });
}

// A word list as a textarea holds it, one per line; blank lines and repeats (in any letter case) left out.
export function parseWords(text) {
  const seen = new Set();
  const out = [];
  for (const line of text.split('\n')) {
    const w = line.trim();
    if (!w || seen.has(w.toLowerCase())) continue;
    seen.add(w.toLowerCase());
    out.push(w);
  }
  return out;
}

export const formatWords = (list) => (list ?? []).join('\n');

// Saves a Blob as a file through a temporary link.
export function saveBlob(blob, filename) {
  const href = URL.createObjectURL(blob);
  const a = h('a', { href, download: filename, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(href), 60_000);
}

export const percent = (p) => (p === null || p === undefined ? '–' : `${(p * 100).toFixed(1)}%`);

export function money(price, currency) {
  if (price === null || price === undefined) return '–';
  return `${Number(price).toFixed(2)} ${currency ?? ''}`.trim();
}

// A message line for an error (ApiError or a network failure).
export const errorText = (err) => (err?.status ? err.message : `the server did not answer (${err?.message ?? err})`);

// Marks the inputs named in an ApiError's details.fields (name attribute = the member's path) as invalid.
export function markFields(form, err) {
  for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
  for (const name of Object.keys(err?.fields ?? {})) {
    for (const el of form.querySelectorAll(`[name="${CSS.escape(name)}"]`)) el.setAttribute('aria-invalid', 'true');
  }
}
