// Brand protection › Scans: pick a brand (#/brand_protection.scans), see its scans and start one
// (…?brand=<id>), or follow one scan live with its listings (…?brand=<id>&scan=<scan id>, scan_view.js).

import { api, ApiError, query } from '/console/api.js';
import { formatTime, h, progressBar, setProgress, showFormError } from '/console/dom.js';
import { BRANDS_PAGE, brandPath, canEdit, errorText, scanHash, useStyles } from './common.js';
import { providerEditor } from './providers.js';
import { mountScan } from './scan_view.js';

const REFRESH_MS = 3000;

export function mount(container, params = new URLSearchParams()) {
  useStyles();
  const brand = params.get('brand');
  const scan = params.get('scan');
  if (brand && scan) return mountScan(container, brand, scan);
  const page = h('div', { class: 'page' });
  container.append(page);
  const picker = brandPicker(brand);
  page.append(h('section', { class: 'card' }, h('div', { class: 'card-head' }, h('h2', {}, 'Scans'), picker)));
  if (!brand) {
    page.append(h('section', { class: 'card' }, h('p', { class: 'muted' }, 'Choose a brand to see its scans, or ',
      h('a', { href: BRANDS_PAGE }, 'create one'), ' first.')));
    return undefined;
  }
  return mountBrandScans(page, brand);
}

// A select of the tenant's brands that opens the chosen brand's scans.
function brandPicker(selected) {
  const select = h('select', { 'data-testid': 'bp-scan-brand', 'aria-label': 'Brand' }, h('option', { value: '' }, 'choose a brand…'));
  api(`/api/v1/brands${query({ limit: 200 })}`).then((page) => {
    select.append(...page.items.map((b) => h('option', { value: b.id }, b.name)));
    if (selected) select.value = selected;
  }).catch(() => { select.disabled = true; });
  select.addEventListener('change', () => { if (select.value) location.hash = scanHash(select.value); });
  return h('div', { class: 'filters' }, h('label', {}, 'Brand', select));
}

function mountBrandScans(page, brandId) {
  const rows = h('tbody', { 'data-testid': 'bp-scans' });
  const empty = h('p', { class: 'muted', hidden: true }, 'No scans of this brand yet.');
  const listError = h('p', { class: 'bad', role: 'alert', hidden: true });
  const title = h('h2', {}, 'Scans');
  const list = h('section', { class: 'card' }, h('div', { class: 'card-head' }, title), listError,
    h('div', { class: 'table-wrap' }, h('table', { class: 'table' },
      h('thead', {}, h('tr', {}, h('th', {}, 'Started'), h('th', {}, 'Provider'), h('th', {}, 'Query'), h('th', {}, 'State'),
        h('th', {}, 'Progress'), h('th', { class: 'num' }, 'Listings'), h('th', { class: 'num' }, 'Flagged'))),
      rows)), empty);
  const cols = h('div', { class: 'page split-page' }, list);
  page.append(cols);
  if (canEdit()) cols.append(runForm(brandId));

  api(brandPath(brandId)).then((b) => {
    title.textContent = `Scans of ${b.name}`;
    title.replaceChildren(`Scans of `, h('a', { href: `${BRANDS_PAGE}?id=${encodeURIComponent(b.id)}` }, b.name));
  }).catch(() => {});

  let timer = null;
  let stopped = false;
  async function load() {
    clearTimeout(timer);
    try {
      const got = await api(`${brandPath(brandId)}/scans${query({ limit: 50 })}`);
      if (stopped) return;
      rows.replaceChildren(...got.items.map((s) => scanRow(brandId, s)));
      empty.hidden = got.items.length > 0;
      listError.hidden = true;
      // Unfinished scans move: read the list again while any is.
      if (got.items.some((s) => s.state === 'queued' || s.state === 'running')) timer = setTimeout(load, REFRESH_MS);
    } catch (err) {
      if (stopped) return;
      listError.hidden = false;
      listError.textContent = `Cannot list scans: ${errorText(err)}`;
    }
  }
  load();
  return () => { stopped = true; clearTimeout(timer); };
}

function scanRow(brandId, s) {
  const bar = progressBar({ class: 'progress small' });
  setProgress(bar, s.progress);
  return h('tr', { 'data-testid': 'bp-scan-row', 'data-id': s.id },
    h('td', {}, h('a', { href: scanHash(brandId, s.id) }, formatTime(s.created_at))),
    h('td', {}, s.provider),
    h('td', {}, s.query ?? ''),
    h('td', {}, h('span', { class: `badge state-${s.state}` }, s.state)),
    h('td', {}, bar),
    h('td', { class: 'num' }, `${s.listings_done} / ${s.listings_found}`),
    h('td', { class: 'num' }, String(s.flagged)));
}

function runForm(brandId) {
  const provider = providerEditor({ name: 'provider', testid: 'bp-scan-provider' });
  provider.set({ type: 'demo' });
  const q = h('input', { name: 'query', maxlength: 200, placeholder: "the brand's name", 'data-testid': 'bp-scan-query' });
  const error = h('div', { class: 'form-error', role: 'alert', hidden: true, 'data-testid': 'bp-scan-error' });
  const submit = h('button', { type: 'submit', class: 'primary', 'data-testid': 'bp-scan-start' }, 'Start scan');
  const form = h('form', { novalidate: true }, error, provider.el,
    h('div', { class: 'field' }, h('label', {}, 'Query (optional)'), q), submit);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    let spec;
    try {
      spec = provider.value();
    } catch (err) {
      showFormError(error, { status: -1, message: err.message });
      return;
    }
    submit.disabled = true;
    try {
      const body = { provider: spec };
      if (q.value.trim()) body.query = q.value.trim();
      const started = await api(`${brandPath(brandId)}/scans`, { method: 'POST', body });
      location.hash = scanHash(brandId, started.scan_id ?? started.id);
    } catch (err) {
      const quota = err instanceof ApiError && err.code === 'quota_exceeded';
      showFormError(error, quota ? { status: err.status, message: `${err.message} (limit ${err.details.limit}).` } : err);
    } finally {
      submit.disabled = false;
    }
  });
  return h('section', { class: 'card' }, h('h2', {}, 'Run a scan'), form);
}
