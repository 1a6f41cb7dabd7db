// What the accessibility pages share: their style sheet, the caller's role, addresses, pictures that need the
// token (blob URLs), saving a download, and small formatters.

import { apiBlob } from '/console/api.js';
import { h } from '/console/dom.js';
import { roleAllows } from '/console/roles.js';
import { current } from '/console/session.js';

export const BASE = '/console/products/accessibility';
export const SCANS_PAGE = '#/accessibility.scans';
export const PROJECTS_PAGE = '#/accessibility.projects';
export const IMPACTS = ['critical', 'serious', 'moderate', 'minor'];
export const STATUSES = ['violation', 'needs_review'];
export const TERMINAL = new Set(['succeeded', 'failed']);
// The axe tags the start form offers (docs/products/accessibility.md); none ticked runs every rule axe has.
export const TAGS = ['wcag2a', 'wcag2aa', 'wcag21aa', 'wcag22aa', 'wcag2aaa', 'best-practice'];

// The product's style sheet, added to the page once (the platform's style.css stays underneath).
export function useStyles() {
  if (document.querySelector('link[data-a11y-styles]')) return;
  document.head.append(h('link', { rel: 'stylesheet', href: `${BASE}/style.css`, 'data-a11y-styles': true }));
}

// Whether the signed-in role may start scans and change projects: the API's role user.
export const canEdit = () => roleAllows(current()?.role ?? 'viewer', 'user');

export const scanPath = (id) => `/api/v1/scans/${encodeURIComponent(id)}`;
export const projectPath = (id) => `/api/v1/projects/${encodeURIComponent(id)}`;
export const objectContent = (id) => `/api/v1/objects/${encodeURIComponent(id)}/content`;

// The scans page with parameters: {scan, compare, project}.
export const scansHash = (params = {}) => {
  const q = new URLSearchParams(Object.entries(params).filter(([, v]) => v));
  const s = q.toString();
  return s ? `${SCANS_PAGE}?${s}` : SCANS_PAGE;
};

// Pictures the API serves only with a bearer token, fetched with the console's session and shown through blob
// URLs (an <img src> cannot carry the token). One cache per view; release() revokes every URL.
export function pictures() {
  const urls = new Map();  // path → Promise<blob URL>
  let released = false;
  const url = (path) => {
    if (!urls.has(path)) urls.set(path, apiBlob(path).then((blob) => URL.createObjectURL(blob)));
    return urls.get(path);
  };
  return {
    // Points img at the picture behind `path`; resolves once it shows (rejects when it cannot be read).
    show(img, path) {
      img.dataset.src = path;
      return url(path).then((u) => {
        if (released || img.dataset.src !== path) return;
        if (img.src !== u) img.src = u;
        return img.decode().catch(() => {});
      }).catch((err) => {
        if (img.dataset.src !== path) return;
        img.classList.add('a11y-broken');
        img.alt = `${img.alt} (not available: ${err.message})`;
        throw err;
      });
    },
    release() {
      released = true;
      for (const p of urls.values()) p.then((u) => URL.revokeObjectURL(u), () => {});
      urls.clear();
    },
  };
}

// Saves a Blob as a file through a temporary link.
export function saveBlob(blob, filename) {
  const href = URL.createObjectURL(blob);
  const a = h('a', { href, download: filename, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(href), 60_000);
}

// A message line for an error (ApiError or a network failure).
export const errorText = (err) => (err?.status ? err.message : `the server did not answer (${err?.message ?? err})`);

export const impactBadge = (impact) => h('span', { class: `badge a11y-impact-${impact}` }, impact);

export function scoreBadge(score) {
  if (score === null || score === undefined) return h('span', { class: 'muted' }, '–');
  const band = score >= 90 ? 'good' : score >= 50 ? 'fair' : 'poor';
  return h('span', { class: `a11y-score a11y-score-${band}` }, String(score));
}

// A link that leaves the console (help pages): a new tab, without the opener.
export const outLink = (href, text) => h('a', { href, target: '_blank', rel: 'noopener noreferrer' }, text);
