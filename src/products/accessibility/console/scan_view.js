// One scan (#/accessibility.scans?scan=<id>): its status, score and counts; the full-page screenshot with
// every issue's box drawn over it; the issues as they are found, filtered by impact, rule and status; an
// issue's details; the CSV and JSON exports; and the choice of a scan to compare with.
//
// Live: the WebSocket /ws/scans/{id} sends a `snapshot` (the scan), then `scan.running`, `issue.found` (one
// issue), `check.finished`, `scan.summary` and `scan.finished` (the scan). On every snapshot the page reads
// GET /api/v1/scans/{id} (the issues so far) and merges by seq, so nothing between the read and the socket is
// lost. When the socket cannot be had, it polls GET /api/v1/scans/{id} every second instead.

import { api, apiBlob, followStream, query } from '/console/api.js';
import { formatTime, h, setBadge } from '/console/dom.js';
import { IMPACTS, STATUSES, TERMINAL, errorText, impactBadge, objectContent, pictures, saveBlob, scanPath, scansHash, scoreBadge } from './common.js';
import { issueBox, issueDetails, issueRow, placeBox } from './issues.js';

const POLL_MS = 1000;

export function mountScan(container, scanId) {
  const pics = pictures();
  const path = scanPath(scanId);
  const v = view(scanId);
  container.append(v.root);

  let scan = null;
  let stopped = false;
  let selected = null;
  let page = null;  // the screenshot's size in CSS px, once it shows
  let shownShot = null;
  let lastSeq = -1;  // the highest seq listed
  const issues = new Map();  // seq → issue
  const rows = new Map();    // seq → list item
  const boxes = new Map();   // seq → box over the screenshot

  function applyScan(s) {
    scan = { ...scan, ...s };
    setBadge(v.status, scan.status);
    v.url.replaceChildren(scan.url?.startsWith('http') ? h('a', { href: scan.url, target: '_blank', rel: 'noopener noreferrer' }, scan.url) : scan.url ?? '');
    v.started.textContent = formatTime(scan.created_at);
    v.finished.textContent = scan.finished_at ? formatTime(scan.finished_at) : '–';
    v.score.replaceChildren(scoreBadge(scan.score));
    v.error.hidden = !scan.error;
    v.error.textContent = scan.error ?? '';
    if (scan.job_id) v.job.replaceChildren(h('a', { href: `#/jobs/${encodeURIComponent(scan.job_id)}` }, scan.job_id.slice(-8)));
    const sum = scan.summary ?? {};
    v.title.textContent = sum.page?.title || '–';
    v.refused.hidden = !sum.refused?.length;
    v.refused.replaceChildren(h('summary', {}, `${sum.refused?.length ?? 0} requests refused by the outbound guard`),
      h('ul', { class: 'small' }, ...(sum.refused ?? []).map((r) => h('li', {}, `${r.url}: ${r.reason}`))));
    if (sum.axe) v.axe.textContent = `axe ${sum.axe.version}: ${sum.axe.rules_run} rules run, ${sum.axe.passed_rules} passed`;
    showScreenshot();
    counts();
  }

  // Counts by impact and status: the summary's once there, else those of the issues so far.
  function counts() {
    const sum = scan?.summary;
    const byImpact = { ...(sum?.by_impact ?? {}) };
    const byStatus = { ...(sum?.by_status ?? {}) };
    if (!sum?.by_impact) {
      for (const i of issues.values()) {
        byImpact[i.impact] = (byImpact[i.impact] ?? 0) + 1;
        byStatus[i.status] = (byStatus[i.status] ?? 0) + 1;
      }
    }
    v.counts.replaceChildren(...IMPACTS.map((k) => h('li', { 'data-testid': `a11y-count-${k}` }, impactBadge(k), h('strong', {}, String(byImpact[k] ?? 0)))),
      ...STATUSES.map((k) => h('li', { 'data-testid': `a11y-count-${k}` }, h('span', { class: 'muted' }, k.replace('_', ' ')), h('strong', {}, String(byStatus[k] ?? 0)))));
    v.total.textContent = `${sum?.issues ?? issues.size} issues`;
  }

  // The screenshot, once the scan has one; the boxes are placed when its size is known.
  function showScreenshot() {
    const id = scan?.screenshot_object_id;
    if (!id || id === shownShot) return;
    shownShot = id;
    v.shotEmpty.hidden = true;
    pics.show(v.shot, objectContent(id)).then(() => {
      if (stopped || !v.shot.naturalWidth) return;
      const upload = scan.url?.startsWith('upload:');
      const dsf = upload ? 1 : Number(scan.request?.viewport?.device_scale_factor ?? 1) || 1;
      page = { width: v.shot.naturalWidth / dsf, height: v.shot.naturalHeight / dsf };
      for (const [seq, box] of boxes) placeBox(box, issues.get(seq).bbox, page);
      v.overlay.hidden = false;
      v.shotWrap.dataset.ready = 'true';
    }).catch((err) => {
      v.shotEmpty.hidden = false;
      v.shotEmpty.textContent = `Cannot show the screenshot: ${errorText(err)}`;
    });
  }

  // Issues, merged by seq: a new one gets its row (in seq order), its box and a place among the rules.
  function addIssue(i) {
    if (!i || i.seq === undefined || issues.has(i.seq)) return;
    issues.set(i.seq, i);
    const row = issueRow(i);
    rows.set(i.seq, row);
    // Issues come in seq order but for a read that overlaps the stream: the rare late one goes in its place.
    const next = i.seq > lastSeq ? undefined : [...rows.keys()].filter((s) => s > i.seq).sort((a, b) => a - b)[0];
    if (next !== undefined) v.list.insertBefore(row, rows.get(next)); else v.list.append(row);
    lastSeq = Math.max(lastSeq, i.seq);
    const box = issueBox(i);
    if (box) {
      boxes.set(i.seq, box);
      v.overlay.append(box);
      if (page) placeBox(box, i.bbox, page);
    }
    if (![...v.rule.options].some((o) => o.value === i.rule)) {
      const opts = [...v.rule.options].slice(1).map((o) => o.value).concat(i.rule).sort();
      const keep = v.rule.value;
      v.rule.replaceChildren(h('option', { value: '' }, 'any'), ...opts.map((r) => h('option', { value: r }, r)));
      v.rule.value = keep;
    }
    filterOne(i.seq);
    v.empty.hidden = issues.size > 0;
  }

  const passes = (i) => (!v.impact.value || i.impact === v.impact.value) && (!v.rule.value || i.rule === v.rule.value)
    && (!v.state.value || i.status === v.state.value);
  function filterOne(seq) {
    const show = passes(issues.get(seq));
    rows.get(seq).hidden = !show;
    const box = boxes.get(seq);
    if (box) box.hidden = !show;
  }
  function refilter() {
    for (const seq of issues.keys()) filterOne(seq);
    const shown = [...rows.values()].filter((r) => !r.hidden).length;
    v.shown.textContent = `${shown} of ${issues.size} shown`;
  }

  // Hovering an issue lights its box (scrolled into the screenshot's view); hovering a box lights its issue.
  function highlight(seq, on, from) {
    rows.get(seq)?.classList.toggle('a11y-hot', on);
    const box = boxes.get(seq);
    box?.classList.toggle('a11y-hot', on);
    if (!on) return;
    if (from === 'row' && box) {
      const w = v.shotWrap;
      const top = box.offsetTop;
      if (top < w.scrollTop || top + box.offsetHeight > w.scrollTop + w.clientHeight) w.scrollTop = Math.max(0, top - w.clientHeight / 3);
    } else if (from === 'box') {
      const row = rows.get(seq);
      const l = v.list;
      const top = row ? row.offsetTop - l.offsetTop : 0;  // the list is no offset parent: both measure from the same one
      if (row && (top < l.scrollTop || top + row.offsetHeight > l.scrollTop + l.clientHeight)) l.scrollTop = Math.max(0, top - 8);
    }
  }
  function select(seq) {
    if (selected !== null) { rows.get(selected)?.classList.remove('a11y-selected'); boxes.get(selected)?.classList.remove('a11y-selected'); }
    selected = seq;
    rows.get(seq)?.classList.add('a11y-selected');
    boxes.get(seq)?.classList.add('a11y-selected');
    v.details.replaceChildren(issueDetails(issues.get(seq), pics));
  }
  const seqOf = (e) => { const el = e.target.closest?.('[data-seq]'); return el ? Number(el.dataset.seq) : null; };
  for (const [el, from] of [[v.list, 'row'], [v.overlay, 'box']]) {
    el.addEventListener('mouseover', (e) => { const s = seqOf(e); if (s !== null) highlight(s, true, from); });
    el.addEventListener('mouseout', (e) => { const s = seqOf(e); if (s !== null) highlight(s, false, from); });
    el.addEventListener('click', (e) => { const s = seqOf(e); if (s !== null) select(s); });
  }
  v.list.addEventListener('focusin', (e) => { const s = seqOf(e); if (s !== null) highlight(s, true, 'row'); });
  v.list.addEventListener('focusout', (e) => { const s = seqOf(e); if (s !== null) highlight(s, false, 'row'); });
  v.list.addEventListener('keydown', (e) => { const s = seqOf(e); if (s !== null && (e.key === 'Enter' || e.key === ' ')) { e.preventDefault(); select(s); } });
  for (const f of [v.impact, v.rule, v.state]) f.addEventListener('change', refilter);

  // The scan with its issues (the first 1,000; the rest a page at a time).
  async function load() {
    const s = await api(path);
    if (stopped) return s;
    const { issues: list = [], issues_truncated: truncated, ...rest } = s;
    applyScan(rest);
    for (const i of list) addIssue(i);
    let cursor = truncated && list.length ? String(list[list.length - 1].seq) : null;
    while (cursor && !stopped) {
      const got = await api(`${path}/issues${query({ limit: 500, cursor })}`);
      for (const i of got.items) addIssue(i);
      cursor = got.next_cursor;
    }
    counts();
    refilter();
    return s;
  }

  // Live updates: the scan's stream, or polling when it cannot be had.
  let stopStream = null;
  let pollTimer = null;
  let everLive = false;
  let live = false;
  let refreshing = null;
  let refreshAgain = false;
  // One load at a time; a refresh asked for while one runs loads again after it, so an answer read before the
  // scan finished never has the last word (the finished scan's own refresh would otherwise join it).
  const refresh = () => {
    if (refreshing) {
      refreshAgain = true;
      return refreshing;
    }
    refreshing = load().catch(() => {}).finally(() => {
      refreshing = null;
      if (refreshAgain) {
        refreshAgain = false;
        refresh();
      }
    });
    return refreshing;
  };

  function onFinished(s) {
    stopStream?.();
    stopStream = null;
    clearTimeout(pollTimer);
    v.live.textContent = 'finished';
    v.live.className = 'muted';
    applyScan(s);
    refresh();
  }

  function follow() {
    stopStream = followStream(`/ws/scans/${encodeURIComponent(scanId)}`, {
      onSnapshot: (s) => {
        applyScan(s);
        if (TERMINAL.has(s.status)) onFinished(s); else refresh();
      },
      onEvent: (m) => {
        const d = m.data ?? {};
        if (m.type === 'issue.found') {
          addIssue(d);
          counts();
          refilter();
          if (!scan?.screenshot_object_id) refresh();
        } else if (m.type === 'scan.running') {
          applyScan({ status: d.status ?? 'running' });
          refresh();
        } else if (m.type === 'check.finished') {
          v.checks.append(h('li', {}, `${d.check}: ${d.issues} issues, ${d.passes} passes`));
          if (!scan?.screenshot_object_id) refresh();
        } else if (m.type === 'scan.summary') {
          applyScan({ summary: d, score: d.score ?? scan?.score });
        } else if (m.type === 'scan.finished') {
          onFinished(d);
        }
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
        if (!everLive || status === 'error') { stopStream?.(); stopStream = null; }
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
      const s = await load();
      if (stopped) return;
      if (TERMINAL.has(s.status)) { onFinished(s); return; }
    } catch (err) {
      v.live.textContent = `polling: ${errorText(err)}`;
    }
    if (!stopped && !live) pollTimer = setTimeout(poll, POLL_MS);
  }

  // Exports, authorised downloads.
  const exporter = (button, ext) => button.addEventListener('click', async () => {
    button.disabled = true;
    try {
      saveBlob(await apiBlob(`${path}/issues.${ext}`), `a11y-scan-${scanId}.${ext}`);
      v.exportError.hidden = true;
    } catch (err) {
      v.exportError.hidden = false;
      v.exportError.textContent = `Cannot export: ${errorText(err)}`;
    } finally {
      button.disabled = false;
    }
  });
  exporter(v.csv, 'csv');
  exporter(v.json, 'json');

  // Compare: the tenant's other scans, those of the same page first.
  v.compareGo.addEventListener('click', () => {
    if (v.compareWith.value) location.hash = scansHash({ scan: scanId, compare: v.compareWith.value });
  });

  load().then((s) => {
    if (stopped) return;
    if (TERMINAL.has(s.status)) onFinished(s); else follow();
    return api(`/api/v1/scans${query({ limit: 200 })}`).then((got) => {
      const others = got.items.filter((o) => o.id !== scanId);
      others.sort((a, b) => (b.url === scan.url) - (a.url === scan.url));
      v.compareWith.append(...others.map((o) => h('option', { value: o.id },
        `${o.url === scan.url ? '' : `${o.url} · `}${formatTime(o.created_at)} · ${o.issue_count} issues${o.score === null ? '' : ` · score ${o.score}`}`)));
      v.compareGo.disabled = others.length === 0;
    });
  }).catch((err) => {
    if (stopped) return;
    v.root.replaceChildren(h('section', { class: 'card', role: 'alert' }, h('h2', {}, 'Scan'),
      h('p', {}, `Cannot open this scan: ${errorText(err)}. `, h('a', { href: scansHash() }, 'All scans'), '.')));
  });

  return () => {
    stopped = true;
    stopStream?.();
    clearTimeout(pollTimer);
    pics.release();
  };
}

// The page's elements.
function view(scanId) {
  const v = {};
  v.status = h('span', { class: 'badge', 'data-testid': 'a11y-scan-status' }, '…');
  v.live = h('span', { class: 'muted', 'data-testid': 'a11y-scan-live' }, 'connecting…');
  v.url = h('span', { class: 'a11y-url' });
  v.started = h('dd', {});
  v.finished = h('dd', {});
  v.job = h('dd', {}, '–');
  v.title = h('dd', {});
  v.score = h('dd', { 'data-testid': 'a11y-scan-score' });
  v.error = h('p', { class: 'bad', role: 'alert', hidden: true, 'data-testid': 'a11y-scan-error' });
  v.counts = h('ul', { class: 'a11y-counts', 'data-testid': 'a11y-counts' });
  v.total = h('span', { class: 'muted', 'data-testid': 'a11y-total' });
  v.axe = h('p', { class: 'muted small' });
  v.checks = h('ul', { class: 'muted small a11y-checks' });
  v.refused = h('details', { class: 'small', hidden: true });
  v.csv = h('button', { type: 'button', 'data-testid': 'a11y-export-csv' }, 'Export CSV');
  v.json = h('button', { type: 'button', 'data-testid': 'a11y-export-json' }, 'Export JSON');
  v.exportError = h('p', { class: 'bad small', role: 'alert', hidden: true });
  v.compareWith = h('select', { 'aria-label': 'Scan to compare with', 'data-testid': 'a11y-compare-with' });
  v.compareGo = h('button', { type: 'button', disabled: true, 'data-testid': 'a11y-compare-go' }, 'Compare');
  const fact = (label, dd) => h('div', {}, h('dt', {}, label), dd);
  const head = h('section', { class: 'card' },
    h('p', { class: 'crumbs small' }, h('a', { href: scansHash() }, 'Scans'), ' › ', scanId.slice(-8)),
    h('div', { class: 'card-head' }, h('h2', {}, 'Scan of ', v.url), v.status, h('div', { class: 'actions' }, v.live)),
    v.error,
    h('dl', { class: 'facts' }, fact('Score', v.score), fact('Page title', v.title), fact('Started', v.started),
      fact('Finished', v.finished), fact('Job', v.job)),
    h('div', { class: 'a11y-summary' }, v.counts, v.total), v.axe, v.checks, v.refused,
    h('div', { class: 'a11y-toolbar' }, v.csv, v.json,
      h('label', { class: 'a11y-compare' }, 'Compare with', v.compareWith), v.compareGo),
    v.exportError);

  v.shot = h('img', { class: 'a11y-shot', alt: 'Full-page screenshot of the scanned page', 'data-testid': 'a11y-screenshot' });
  // The boxes repeat the list for the eye (hover and click); assistive technology reads the list.
  v.overlay = h('div', { class: 'a11y-overlay', hidden: true, 'aria-hidden': 'true', 'data-testid': 'a11y-overlay' });
  v.shotEmpty = h('p', { class: 'muted' }, 'The screenshot shows once the page has rendered.');
  v.shotWrap = h('div', { class: 'a11y-shot-wrap', 'data-testid': 'a11y-shot-wrap' }, h('div', { class: 'a11y-shot-inner' }, v.shot, v.overlay));
  const shot = h('section', { class: 'card a11y-shot-card' }, h('h2', {}, 'Screenshot'), v.shotEmpty, v.shotWrap);

  const select = (testid, values) => h('select', { 'data-testid': testid }, h('option', { value: '' }, 'any'),
    ...values.map((x) => h('option', { value: x }, x.replace('_', ' '))));
  v.impact = select('a11y-filter-impact', IMPACTS);
  v.rule = select('a11y-filter-rule', []);
  v.state = select('a11y-filter-status', STATUSES);
  v.list = h('ul', { class: 'a11y-issues', 'data-testid': 'a11y-issues' });
  v.empty = h('p', { class: 'muted' }, 'No issues (yet).');
  v.shown = h('span', { class: 'muted small', 'data-testid': 'a11y-shown' });
  v.details = h('div', { class: 'a11y-details-wrap' }, h('p', { class: 'muted small' }, 'Choose an issue (or its box) to see its details.'));
  const list = h('section', { class: 'card a11y-list-card' },
    h('div', { class: 'card-head' }, h('h2', {}, 'Issues'), v.shown),
    h('div', { class: 'filters a11y-filters' }, h('label', {}, 'Impact', v.impact), h('label', {}, 'Rule', v.rule), h('label', {}, 'Status', v.state)),
    v.list, v.empty, v.details);
  v.root = h('div', { class: 'page' }, head, h('div', { class: 'a11y-cols' }, shot, list));
  return v;
}
