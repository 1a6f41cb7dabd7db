// Captures › My captures (#/captures.list): the caller's captures, newest first (staff see every user's), with
// their status, a status filter and "Load more" (GET /api/v1/captures, cursor pagination); one capture's
// results: #/captures.list?id=<capture> (results_view.js). Read again every few seconds while one is on its way.

import { api, query } from '/console/api.js';
import { formatTime, h, shortId } from '/console/dom.js';
import {
  CAPTURE_PAGE, STATUSES, TERMINAL, canCapture, confidenceMeter, errorText, field, isStaff, myId, resultsHash, statusBadge, useStyles,
} from './common.js';
import { mountResults } from './results_view.js';

const PAGE = 50;
const REFRESH_MS = 3000;

export function mount(container, params = new URLSearchParams()) {
  useStyles();
  const id = params.get('id');
  if (id) {
    const view = mountResults(container, id);
    return () => view.release();
  }
  return mountList(container);
}

function mountList(container) {
  const rows = h('tbody', { 'data-testid': 'cap-list' });
  const empty = h('p', { class: 'muted', hidden: true, 'data-testid': 'cap-list-empty' }, 'No captures yet.',
    canCapture() ? h('span', {}, ' ', h('a', { href: CAPTURE_PAGE }, 'Take one'), '.') : null);
  const error = h('p', { class: 'bad', role: 'alert', hidden: true, 'data-testid': 'cap-list-error' });
  const more = h('button', { type: 'button', hidden: true, 'data-testid': 'cap-list-more' }, 'Load more');
  const status = h('select', { 'data-testid': 'cap-list-status' }, h('option', { value: '' }, 'all'),
    STATUSES.map((s) => h('option', { value: s }, s)));
  const staff = isStaff();
  container.append(h('div', { class: 'page' }, h('section', { class: 'card' },
    h('div', { class: 'card-head' }, h('h2', {}, staff ? 'Captures' : 'My captures'),
      h('div', { class: 'filters' }, field('Status', status), canCapture() ? h('a', { href: CAPTURE_PAGE }, 'New capture') : null)),
    error,
    h('div', { class: 'table-wrap' }, h('table', { class: 'table' },
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Taken'), staff ? h('th', { scope: 'col' }, 'User') : null,
        h('th', { scope: 'col' }, 'Source'), h('th', { scope: 'col' }, 'Status'), h('th', { scope: 'col' }, 'Confidence'),
        h('th', { scope: 'col' }, 'Review'))),
      rows)),
    empty, h('div', { class: 'list-foot' }, more))));

  let cursor = null;
  let shown = PAGE;  // how many rows the page shows: a refresh reads them all again from the top
  let timer = null;
  let released = false;

  async function load({ append = false } = {}) {
    clearTimeout(timer);
    try {
      const got = await api(`/api/v1/captures${query({ limit: append ? PAGE : Math.min(shown, 200), cursor: append ? cursor : undefined, status: status.value })}`);
      if (released) return;
      if (!append) rows.replaceChildren();
      rows.append(...got.items.map((c) => row(c, staff)));
      cursor = got.next_cursor;
      shown = Math.max(PAGE, rows.children.length);
      more.hidden = !cursor;
      empty.hidden = rows.children.length > 0;
      error.hidden = true;
      if (got.items.some((c) => !TERMINAL.has(c.status))) timer = setTimeout(load, REFRESH_MS);
    } catch (err) {
      if (released) return;
      error.hidden = false;
      error.textContent = `Cannot list captures: ${errorText(err)}`;
    }
  }
  more.addEventListener('click', () => load({ append: true }));
  status.addEventListener('change', () => { shown = PAGE; load(); });
  load();
  return () => {
    released = true;
    clearTimeout(timer);
  };
}

function row(c, staff) {
  const id = c.capture_id ?? c.id;
  return h('tr', { 'data-testid': 'cap-row', 'data-id': id, 'data-status': c.status },
    h('td', {}, h('a', { href: resultsHash(id), 'data-testid': 'cap-row-link' }, formatTime(c.created_at)),
      h('span', { class: 'muted small' }, ` ${shortId(id)}`)),
    staff ? h('td', {}, c.user_id === myId() ? 'you' : h('code', {}, shortId(c.user_id))) : null,
    h('td', {}, c.source === 'client' ? 'device' : 'photos'),
    h('td', {}, statusBadge(c.status)),
    h('td', {}, confidenceMeter(c.overall_confidence, `capture ${shortId(id)}`)),
    h('td', {}, c.needs_review ? h('span', { class: 'badge cap-needs-review' }, 'needs review') : ''));
}
