// Two scans compared (#/accessibility.scans?scan=<id>&compare=<other id>): the issues new in the scan, those
// fixed since the other (the baseline) and those unchanged, keyed by rule and selector
// (GET /api/v1/scans/{id}/compare/{other_id}).

import { api } from '/console/api.js';
import { formatTime, h } from '/console/dom.js';
import { errorText, impactBadge, scanPath, scansHash, scoreBadge } from './common.js';

const KINDS = [
  ['new', 'New', 'in this scan, not in the baseline'],
  ['fixed', 'Fixed', 'in the baseline only'],
  ['unchanged', 'Unchanged', 'in both'],
];

export function mountCompare(container, scanId, otherId) {
  const root = h('div', { class: 'page' }, h('section', { class: 'card' }, h('p', { class: 'muted' }, 'Comparing…')));
  container.append(root);
  let stopped = false;
  Promise.all([api(scanPath(scanId)), api(scanPath(otherId)), api(`${scanPath(scanId)}/compare/${encodeURIComponent(otherId)}`)])
    .then(([scan, other, diff]) => {
      if (stopped) return;
      const label = (s) => h('span', {}, h('a', { href: scansHash({ scan: s.id }) }, formatTime(s.created_at)), ' · ', s.url, ' · score ', scoreBadge(s.score));
      const head = h('section', { class: 'card' },
        h('p', { class: 'crumbs small' }, h('a', { href: scansHash() }, 'Scans'), ' › ', h('a', { href: scansHash({ scan: scanId }) }, scanId.slice(-8)), ' › compare'),
        h('h2', {}, 'Comparison'),
        h('dl', { class: 'facts a11y-compare-facts' },
          h('div', {}, h('dt', {}, 'This scan'), h('dd', {}, label(scan))),
          h('div', {}, h('dt', {}, 'Baseline'), h('dd', {}, label(other)))),
        diff.same_url ? null : h('p', { class: 'bad small', 'data-testid': 'a11y-compare-other-url' }, 'The two scans are of different pages.'),
        h('ul', { class: 'a11y-counts', 'data-testid': 'a11y-compare-counts' },
          ...KINDS.map(([k, title]) => h('li', { 'data-testid': `a11y-compare-count-${k}` }, h('span', { class: `badge a11y-diff-${k}` }, title), h('strong', {}, String(diff.counts?.[k] ?? diff[k].length))))));
      const sections = KINDS.map(([k, title, meaning]) => h('section', { class: 'card', 'data-testid': `a11y-compare-${k}` },
        h('div', { class: 'card-head' }, h('h2', {}, `${title} (${diff[k].length})`), h('span', { class: 'muted small' }, meaning)),
        diff[k].length ? h('div', { class: 'table-wrap' }, h('table', { class: 'table' },
          h('thead', {}, h('tr', {}, h('th', {}, 'Impact'), h('th', {}, 'Rule'), h('th', {}, 'Selector'), h('th', {}, 'Status'))),
          h('tbody', {}, ...diff[k].map((i) => h('tr', { 'data-testid': 'a11y-compare-issue', 'data-rule': i.rule },
            h('td', {}, impactBadge(i.impact)), h('td', {}, i.rule), h('td', {}, h('code', {}, i.selector)), h('td', {}, i.status.replace('_', ' ')))))))
          : h('p', { class: 'muted' }, 'None.')));
      root.replaceChildren(head, ...sections);
    })
    .catch((err) => {
      if (stopped) return;
      root.replaceChildren(h('section', { class: 'card', role: 'alert' }, h('h2', {}, 'Comparison'),
        h('p', {}, `Cannot compare these scans: ${errorText(err)}. `, h('a', { href: scansHash({ scan: scanId }) }, 'Back to the scan'), '.')));
    });
  return () => { stopped = true; };
}
