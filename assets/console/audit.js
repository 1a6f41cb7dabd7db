// Audit log (admins): newest entries first, filtered by action and actor, "Load more" follows
// next_cursor.

import { api, query } from './api.js';
import { formatTime, fromTemplate, h, shortId } from './dom.js';

const PAGE = 50;

// Filters outlive the view, like the jobs page's.
const filters = { action: '', actor: '' };

// The server matches an action exactly, or every action under a prefix that ends in '.'; a bare
// word ("auth") is taken as such a prefix, since no action is a single word.
export function actionFilter(text) {
  const t = text.trim();
  return t && !t.includes('.') ? `${t}.` : t;
}

export function mountAudit(container) {
  const [root, refs] = fromTemplate('audit');
  container.append(root);
  const el = refs.filters.elements;
  el.action.value = filters.action;
  el.actor.value = filters.actor;
  let items = [];
  let nextCursor = null;
  let generation = 0;  // bumped by a new filter: answers to older requests are dropped

  async function load(cursor) {
    const gen = cursor ? generation : ++generation;
    refs.more.disabled = true;
    try {
      const page = await api(`/api/v1/audit${query({
        action: actionFilter(filters.action), actor: filters.actor.trim(), limit: PAGE, cursor })}`);
      if (gen !== generation) return;
      items = cursor ? items.concat(page.items) : page.items;
      nextCursor = page.next_cursor;
      refs.listError.hidden = true;
      render(cursor ? page.items : items, Boolean(cursor));
    } catch (err) {
      if (gen !== generation) return;
      refs.listError.textContent = `Cannot read the audit log: ${err.message}`;
      refs.listError.hidden = false;
    } finally {
      refs.more.disabled = false;
    }
  }

  function render(rows, append) {
    const trs = rows.map(row);
    if (append) refs.rows.append(...trs);
    else refs.rows.replaceChildren(...trs);
    refs.empty.hidden = items.length > 0;
    refs.more.hidden = !nextCursor;
    refs.count.textContent = `${items.length} shown`;
  }

  refs.filters.addEventListener('submit', (event) => {
    event.preventDefault();
    filters.action = el.action.value;
    filters.actor = el.actor.value;
    load();
  });
  refs.more.addEventListener('click', () => load(nextCursor));
  // An actor in the table filters by that actor.
  refs.rows.addEventListener('click', (event) => {
    const actor = event.target.closest('[data-actor]')?.dataset.actor;
    if (!actor) return;
    el.actor.value = actor;
    refs.filters.requestSubmit();
  });

  load();
  return () => { generation++; };
}

// An actor or resource ("user:<uuid>") with its id cut to the last 8 characters; the full name in its title.
function shortRef(name) {
  const colon = name.indexOf(':');
  const id = name.slice(colon + 1);
  return id.length > 12 ? `${name.slice(0, colon + 1)}…${shortId(id)}` : name;
}

function row(entry) {
  const metadata = entry.metadata && Object.keys(entry.metadata).length ? JSON.stringify(entry.metadata) : '';
  return h('tr', { 'data-testid': 'audit-row', 'data-action': entry.action, 'data-entry-id': entry.id },
    h('td', { title: entry.created_at }, formatTime(entry.created_at)),
    h('td', {}, h('code', {}, entry.action)),
    h('td', {}, h('button', { type: 'button', class: 'link mono', 'data-actor': entry.actor,
      title: `${entry.actor}: show only this actor's entries` }, shortRef(entry.actor))),
    h('td', { class: 'mono', title: entry.resource ?? '' }, entry.resource ? shortRef(entry.resource) : ''),
    h('td', {}, entry.ip ?? ''),
    h('td', { class: 'details', title: entry.request_id ? `request ${entry.request_id}` : '' },
      metadata ? h('code', {}, metadata) : ''));
}

// The console imports this module when the page first opens (GET /api/v1/console/pages names it).
export { mountAudit as mount };
