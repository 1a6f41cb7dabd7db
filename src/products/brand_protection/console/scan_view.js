// One scan, live (#/brand_protection.scans?brand=<id>&scan=<scan id>): its state, progress and counts as
// the scan's stream reports them, and its listings, most probable copies first, filtered by probability and
// review status, a page at a time, with the CSV export.
//
// Live: the WebSocket /ws/brands/{id}/scans/{scan_id} sends a `snapshot` (the scan), then `scan.progress`
// ({status, progress, counts}), `listing.scored` (a listing) and `scan.finished` (the scan). When the socket
// cannot be had (or drops), the page polls GET …/scans/{scan_id} every second instead and reads the
// listings again as they grow.

import { apiBlob, api, followStream, query } from '/console/api.js';
import { formatTime, h, progressBar, setBadge, setProgress } from '/console/dom.js';
import { SCANS_PAGE, brandPath, errorText, pictures, saveBlob, scanHash } from './common.js';
import { listingCard, update } from './listings.js';

const PAGE = 50;
const POLL_MS = 1000;
const RELOAD_MS = 2000;  // while polling, the listings are read again at most this often
const TERMINAL = new Set(['succeeded', 'failed']);
const COUNTS = ['listings_found', 'listings_done', 'listings_failed', 'flagged'];

// Highest probability first, failed listings (no probability) last, then by id: the API's order.
const rank = (l) => l.probability ?? -1;
const byRank = (a, b) => (rank(a) !== rank(b) ? rank(b) - rank(a) : (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));

export function mountScan(container, brandId, scanId) {
  const pics = pictures();
  const scanPath = `${brandPath(brandId)}/scans/${encodeURIComponent(scanId)}`;
  const v = view(brandId, scanId);
  container.append(v.root);

  let scan = null;
  let items = [];
  let wanted = PAGE;     // how many listings the page shows: "Load more" adds a page
  let hasMore = false;   // the scan has listings past those shown
  let generation = 0;
  let stopped = false;
  let lastReload = 0;
  let reloadTimer = null;
  let renderQueued = false;
  let arrived = null;  // listings that came live while a read of the listings was under way, to apply after it
  const cards = new Map();  // listing id → element
  const ctx = { pics, references: new Map(), thresholds: null, onChange: (l) => upsert(l, true) };

  // The scan's facts.
  function applyScan(s) {
    scan = { ...scan, ...s };
    setBadge(v.state, scan.state);
    setProgress(v.bar, scan.progress);
    v.counts.textContent = `${scan.listings_done ?? 0} of ${scan.listings_found ?? 0} listings scored`
      + `${scan.listings_failed ? `, ${scan.listings_failed} failed` : ''} · ${scan.flagged ?? 0} flagged`;
    v.provider.textContent = `${scan.provider ?? ''}${scan.query ? ` · "${scan.query}"` : ''}`;
    v.started.textContent = formatTime(scan.created_at);
    v.finished.textContent = scan.finished_at ? formatTime(scan.finished_at) : '–';
    v.error.hidden = !scan.error;
    v.error.textContent = scan.error ?? '';
    if (scan.job_id) v.job.replaceChildren(h('a', { href: `#/jobs/${encodeURIComponent(scan.job_id)}` }, scan.job_id.slice(-8)));
  }

  // scan.progress carries the scan ({state, progress, listings_done, …}) or {status, progress, counts}.
  function applyProgress(d) {
    if (d.id && d.state) {
      applyScan(d);
      return;
    }
    const s = { state: d.status ?? d.state ?? scan?.state, progress: d.progress ?? scan?.progress };
    for (const [k, n] of Object.entries({ ...d, ...(d.counts ?? {}) })) {
      if (COUNTS.includes(k)) s[k] = n;
      else if (COUNTS.includes(`listings_${k}`)) s[`listings_${k}`] = n;
    }
    applyScan(s);
  }

  // The listings.
  const filters = () => ({ min: v.minProbability.value, status: v.status.value });
  const passes = (l) => {
    const f = filters();
    return (f.min === '' || rank(l) >= Number(f.min)) && (!f.status || (l.review?.status ?? 'pending') === f.status);
  };

  // Reads the first `wanted` listings from the top (200 a request), so every shown row is fresh.
  async function loadListings() {
    const gen = ++generation;
    const f = filters();
    arrived = arrived ?? [];
    try {
      const got = [];
      let cursor;
      do {
        const page = await api(`${scanPath}/listings${query({ sort: '-probability', min_probability: f.min, status: f.status, limit: Math.min(200, wanted - got.length), cursor })}`);
        if (gen !== generation || stopped) return;
        got.push(...page.items);
        cursor = page.next_cursor;
      } while (cursor && got.length < wanted);
      items = got;
      hasMore = Boolean(cursor);
      lastReload = Date.now();
      const late = arrived;
      arrived = null;
      for (const l of late) upsert(l.listing, l.keep);
      v.listError.hidden = true;
      render();
    } catch (err) {
      if (gen !== generation || stopped) return;
      arrived = null;  // they are in the rows shown already
      v.listError.hidden = false;
      v.listError.textContent = `Cannot list the listings: ${errorText(err)}`;
    }
  }

  // A listing that arrived live (or was reviewed here): in place when shown, else inserted where it sorts;
  // what then falls below the shown count is left for "Load more".
  function upsert(l, keep = false) {
    arrived?.push({ listing: l, keep });
    const i = items.findIndex((x) => x.id === l.id);
    if (i >= 0) {
      items[i] = l;
    } else {
      if (!keep && !passes(l)) return;
      items.push(l);
    }
    items.sort(byRank);
    if (items.length > wanted) {
      items.length = wanted;
      hasMore = true;
    }
    queueRender();
  }

  function queueRender() {
    if (renderQueued) return;
    renderQueued = true;
    requestAnimationFrame(() => { renderQueued = false; render(); });
  }

  function render() {
    if (stopped) return;
    const keep = new Set(items.map((l) => l.id));
    for (const [id, el] of cards) if (!keep.has(id)) { el.remove(); cards.delete(id); }
    for (const l of items) {
      let el = cards.get(l.id);
      if (!el) {
        el = listingCard(l, ctx);
        cards.set(l.id, el);
      } else if (el.dataset.updated !== `${l.updated_at} ${l.review?.reviewed_at ?? ''}`) {
        update(el, l, ctx);
      }
      v.list.append(el);  // moves it to its place in the order
    }
    v.empty.hidden = items.length > 0;
    v.more.hidden = !hasMore;
    v.shown.textContent = `${items.length} shown${hasMore ? ', more below' : ''}`;
  }

  // Live updates: the scan's stream, or polling when it cannot be had.
  let stopStream = null;
  let pollTimer = null;
  let everLive = false;
  let live = false;  // the socket is open: no polling

  function onFinished(s) {
    applyScan(s);
    stopStream?.();
    stopStream = null;
    clearTimeout(pollTimer);
    v.live.textContent = 'finished';
    v.live.className = 'muted';
    loadListings();
  }

  function follow() {
    stopStream = followStream(`/ws/brands/${encodeURIComponent(brandId)}/scans/${encodeURIComponent(scanId)}`, {
      onSnapshot: (s) => {
        if (TERMINAL.has(s.state)) onFinished(s);
        else { applyScan(s); loadListings(); }
      },
      onEvent: (m) => {
        if (m.type === 'scan.progress') applyProgress(m.data ?? {});
        else if (m.type === 'listing.scored' && m.data?.id) upsert(m.data);
        else if (m.type === 'scan.finished') onFinished(m.data ?? {});
      },
      onStatus: (status, message) => {
        live = status === 'live';
        if (live) {
          everLive = true;
          clearTimeout(pollTimer);
          v.live.textContent = 'live';
          v.live.className = 'stream-live';
          return;
        }
        // A socket that never opened (or a stream the server refuses) will not come: poll instead. One that
        // dropped is reconnecting: poll meanwhile.
        if (!everLive || status === 'error') {
          stopStream?.();
          stopStream = null;
        }
        v.live.textContent = status === 'error' ? `polling (${message})` : 'polling';
        v.live.className = 'stream-reconnecting';
        poll();
      },
    });
  }

  async function poll() {
    clearTimeout(pollTimer);
    if (stopped || live) return;
    try {
      const s = await api(scanPath);
      if (stopped) return;
      const grew = s.listings_done !== scan?.listings_done;
      if (TERMINAL.has(s.state)) {
        onFinished(s);
        return;
      }
      applyScan(s);
      if (grew && Date.now() - lastReload >= RELOAD_MS) loadListings();
      else if (grew) { clearTimeout(reloadTimer); reloadTimer = setTimeout(loadListings, RELOAD_MS); }
    } catch (err) {
      v.live.textContent = `polling: ${errorText(err)}`;
    }
    if (!stopped && !live && !(scan && TERMINAL.has(scan.state))) pollTimer = setTimeout(poll, POLL_MS);
  }

  // Wiring.
  const refilter = () => { items = []; wanted = PAGE; loadListings(); };
  v.minProbability.addEventListener('change', refilter);
  v.status.addEventListener('change', refilter);
  v.more.addEventListener('click', () => { wanted += PAGE; loadListings(); });
  v.csv.addEventListener('click', async () => {
    v.csv.disabled = true;
    try {
      saveBlob(await apiBlob(`${scanPath}/listings.csv`), `scan-${scanId}.csv`);
      v.csvError.hidden = true;
    } catch (err) {
      v.csvError.hidden = false;
      v.csvError.textContent = `Cannot export: ${errorText(err)}`;
    } finally {
      v.csv.disabled = false;
    }
  });

  Promise.all([api(brandPath(brandId)), api(`${brandPath(brandId)}/images${query({ limit: 200 })}`)]).then(([brand, images]) => {
    v.brand.replaceChildren(h('a', { href: scanHash(brandId) }, brand.name));
    ctx.thresholds = brand.thresholds ?? null;
    for (const i of images.items) ctx.references.set(i.id, i.object_id);
    for (const l of items) { const el = cards.get(l.id); if (el) update(el, l, ctx); }
  }).catch(() => {});
  api(scanPath).then((s) => {
    if (stopped) return;
    applyScan(s);
    if (TERMINAL.has(s.state)) onFinished(s);
    else follow();
  }).catch((err) => {
    v.root.replaceChildren(h('section', { class: 'card', role: 'alert' }, h('h2', {}, 'Scan'),
      h('p', {}, `Cannot open this scan: ${errorText(err)}. `, h('a', { href: SCANS_PAGE }, 'All scans'), '.')));
  });

  return () => {
    stopped = true;
    stopStream?.();
    clearTimeout(pollTimer);
    clearTimeout(reloadTimer);
    pics.release();
  };
}

// The page's elements.
function view(brandId, scanId) {
  const v = {};
  v.state = h('span', { class: 'badge', 'data-testid': 'bp-scan-state' }, '…');
  v.bar = progressBar({ class: 'progress large', 'data-testid': 'bp-scan-progress' });
  v.counts = h('p', { class: 'muted', 'data-testid': 'bp-scan-counts' });
  v.live = h('span', { class: 'muted', 'data-testid': 'bp-scan-live' }, 'connecting…');
  v.brand = h('span', {}, h('a', { href: scanHash(brandId) }, 'brand'));
  v.provider = h('dd', {});
  v.started = h('dd', {});
  v.finished = h('dd', {});
  v.job = h('dd', {}, '–');
  v.error = h('p', { class: 'bad', role: 'alert', hidden: true, 'data-testid': 'bp-scan-error' });
  const fact = (label, dd) => h('div', {}, h('dt', {}, label), dd);
  const head = h('section', { class: 'card' },
    h('p', { class: 'crumbs small' }, h('a', { href: SCANS_PAGE }, 'Scans'), ' › ', v.brand, ' › ', scanId.slice(-8)),
    h('div', { class: 'card-head' }, h('h2', {}, 'Scan'), v.state, h('div', { class: 'actions' }, v.live)),
    v.bar, v.counts, v.error,
    h('dl', { class: 'facts' }, fact('Provider', v.provider), fact('Started', v.started), fact('Finished', v.finished), fact('Job', v.job)));

  v.minProbability = h('select', { 'data-testid': 'bp-filter-probability' },
    h('option', { value: '' }, 'any'), ...[0.5, 0.8, 0.9, 0.99].map((p) => h('option', { value: p }, `≥ ${p * 100}%`)));
  v.status = h('select', { 'data-testid': 'bp-filter-status' },
    h('option', { value: '' }, 'any'), ...['pending', 'confirmed', 'dismissed'].map((s) => h('option', { value: s }, s)));
  v.csv = h('button', { type: 'button', 'data-testid': 'bp-export-csv' }, 'Export CSV');
  v.csvError = h('p', { class: 'bad small', role: 'alert', hidden: true });
  v.list = h('div', { class: 'bp-listings', 'data-testid': 'bp-listings' });
  v.empty = h('p', { class: 'muted', hidden: true }, 'No listings (yet) that pass the filters.');
  v.listError = h('p', { class: 'bad', role: 'alert', hidden: true });
  v.more = h('button', { type: 'button', hidden: true, 'data-testid': 'bp-listings-more' }, 'Load more');
  v.shown = h('span', { class: 'muted' });
  const listings = h('section', { class: 'card' },
    h('div', { class: 'card-head' }, h('h2', {}, 'Listings'),
      h('div', { class: 'filters' },
        h('label', {}, 'Probability', v.minProbability), h('label', {}, 'Review', v.status), v.csv)),
    v.csvError, v.listError, v.list, v.empty, h('div', { class: 'list-foot' }, v.more, v.shown));
  v.root = h('div', { class: 'page' }, head, listings);
  return v;
}
