// An issue as the scan page shows it: its row in the list, its box on the screenshot, and its details (the
// evidence crop, the HTML snippet, the message, how to fix it, the WCAG criteria and what was measured).

import { h, prettyJson } from '/console/dom.js';
import { impactBadge, objectContent, outLink } from './common.js';

// The row of an issue in the list; data-seq ties it to its box.
export function issueRow(issue) {
  return h('li', { class: `a11y-issue a11y-impact-edge-${issue.impact}`, tabindex: 0, 'data-seq': issue.seq, 'data-testid': 'a11y-issue',
    'data-rule': issue.rule, 'data-impact': issue.impact, 'data-status': issue.status },
  h('span', { class: 'a11y-issue-head' }, impactBadge(issue.impact), h('strong', {}, issue.rule),
    issue.status === 'needs_review' ? h('span', { class: 'badge a11y-review' }, 'needs review') : null,
    issue.bbox ? null : h('span', { class: 'muted small' }, 'no box')),
  h('code', { class: 'a11y-selector' }, issue.selector));
}

// The box of an issue over the screenshot, placed in percent of the page's CSS size so that it follows the
// picture's displayed size. null for an issue without a box.
export function issueBox(issue) {
  if (!issue.bbox || !(issue.bbox.width > 0) || !(issue.bbox.height > 0)) return null;
  return h('div', { class: `a11y-box a11y-box-${issue.impact}`, 'data-seq': issue.seq, 'data-testid': 'a11y-box',
    title: `${issue.rule}: ${issue.selector}` });
}

export function placeBox(box, bbox, page) {
  box.style.left = `${(bbox.x / page.width) * 100}%`;
  box.style.top = `${(bbox.y / page.height) * 100}%`;
  box.style.width = `${(bbox.width / page.width) * 100}%`;
  box.style.height = `${(bbox.height / page.height) * 100}%`;
}

// What the checks measured, as label → value: axe's check data that are plain values (contrast: fgColor,
// bgColor, contrastRatio, expectedContrastRatio, fontSize, fontWeight…), and a Tyto check's data.
export function measured(issue) {
  const out = [];
  const add = (prefix, data) => {
    if (data === null || data === undefined) return;
    if (typeof data !== 'object') { out.push([prefix || 'value', String(data)]); return; }
    if (Array.isArray(data)) {
      if (data.every((d) => typeof d !== 'object')) out.push([prefix || 'values', data.join(', ')]);
      return;
    }
    for (const [k, v] of Object.entries(data)) {
      if (v === null || typeof v === 'object') continue;
      out.push([prefix ? `${prefix} · ${k}` : k, String(v)]);
    }
  };
  const d = issue.data ?? {};
  const checks = (d.checks ?? []).filter((c) => c.data !== null && c.data !== undefined);
  for (const c of checks) add(checks.length > 1 ? c.check : '', c.data);
  for (const [k, v] of Object.entries(d)) if (k !== 'checks' && k !== 'description') add(k, v);
  return out;
}

// The details of one issue. `pics` shows the evidence crop (an authorised blob URL).
export function issueDetails(issue, pics) {
  const evidence = issue.evidence_object_id
    ? h('img', { class: 'a11y-evidence', alt: `Evidence of ${issue.rule} at ${issue.selector}`, 'data-testid': 'a11y-evidence' })
    : h('p', { class: 'muted small' }, 'No evidence crop (no box, or past the scan\'s evidence limit).');
  if (issue.evidence_object_id) pics.show(evidence, objectContent(issue.evidence_object_id)).catch(() => {});
  const m = measured(issue);
  const fact = (label, ...dd) => h('div', {}, h('dt', {}, label), h('dd', {}, ...dd));
  const box = issue.bbox
    ? `${Math.round(issue.bbox.x)}, ${Math.round(issue.bbox.y)} · ${Math.round(issue.bbox.width)} × ${Math.round(issue.bbox.height)} px`
    : 'none';
  return h('article', { class: 'a11y-details', 'data-testid': 'a11y-details', 'data-seq': issue.seq },
    h('div', { class: 'card-head' }, h('h3', {}, issue.rule), impactBadge(issue.impact),
      h('span', { class: 'badge' }, issue.status.replace('_', ' ')), h('span', { class: 'muted small' }, `${issue.source} · #${issue.seq}`)),
    h('p', { class: 'a11y-message', 'data-testid': 'a11y-details-message' }, issue.message),
    issue.help_url ? h('p', {}, 'How to fix it: ', outLink(issue.help_url, issue.help_url.replace(/\?.*$/, ''))) : null,
    h('dl', { class: 'facts' },
      fact('WCAG', issue.wcag?.length ? issue.wcag.join(', ') : 'none (best practice)'),
      fact('Selector', h('code', {}, issue.selector)),
      fact('Box (CSS px)', box)),
    h('h4', {}, 'HTML'),
    h('pre', { class: 'a11y-html', 'data-testid': 'a11y-details-html' }, issue.html),
    h('h4', {}, 'Evidence'), evidence,
    m.length ? h('h4', {}, 'Measured') : null,
    m.length ? h('dl', { class: 'a11y-measured', 'data-testid': 'a11y-details-measured' },
      ...m.map(([k, v]) => h('div', {}, h('dt', {}, k), h('dd', {}, v)))) : null,
    issue.data?.description ? h('p', { class: 'muted small' }, issue.data.description) : null,
    h('details', {}, h('summary', {}, 'The data as JSON'), h('pre', {}, prettyJson(issue.data ?? {}))));
}
