// Music › Karma & billing (#/music.me): the caller's karma (GET /api/v1/users/me/karma: karma, roles, the
// thresholds of the roles it earns, and the ledger with each entry's reason), their notifications (GET
// /api/v1/notifications with the unread count; mark read; new ones arrive live over /ws/notifications), the
// e-mail toggle (PUT /api/v1/notifications/settings), and billing (GET /api/v1/billing: plan, entitlements,
// usage, subscriptions, orders).

import { api, followStream, query } from '/console/api.js';
import { formatTime, h, shortId } from '/console/dom.js';
import { checkbox, describeNotification, errorText, mapHash, reasonText, scrollBox, useStyles } from './common.js';

const PAGE = 25;

export function mount(container) {
  useStyles();
  const karma = karmaCard();
  const notes = notificationsCard({ onKarma: () => karma.reload() });
  const billing = billingCard();
  container.append(h('div', { class: 'page mu-me' }, h('div', { class: 'mu-me-top' }, karma.el, notes.el), billing.el));
  return () => { karma.release(); notes.release(); };
}

function karmaCard() {
  const value = h('strong', { class: 'mu-karma', 'data-testid': 'mu-karma' }, '…');
  const roles = h('p', { class: 'small', 'data-testid': 'mu-roles' });
  const ladder = h('ul', { class: 'mu-ladder', 'data-testid': 'mu-thresholds' });
  const rows = h('tbody', { 'data-testid': 'mu-ledger' });
  const empty = h('p', { class: 'muted', hidden: true }, 'No karma yet: fixes that verifiers approve earn it.');
  const error = h('p', { class: 'bad', role: 'alert', hidden: true });
  const more = h('button', { type: 'button', hidden: true }, 'Load more');
  const el = h('section', { class: 'card', 'aria-labelledby': 'mu-karma-title' },
    h('div', { class: 'card-head' }, h('h2', { id: 'mu-karma-title' }, 'Karma'), value), roles, ladder, error,
    scrollBox('Karma ledger', h('table', { class: 'table' }, h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'When'),
      h('th', { scope: 'col', class: 'num' }, 'Change'), h('th', { scope: 'col' }, 'Why'), h('th', { scope: 'col' }, 'Of'))), rows)),
    empty, h('div', { class: 'list-foot' }, more));
  let cursor = null;
  let released = false;
  async function load(append = false) {
    try {
      const got = await api(`/api/v1/users/me/karma${query({ limit: PAGE, cursor: append ? cursor : undefined })}`);
      if (released) return;
      value.textContent = String(got.karma);
      value.dataset.karma = got.karma;
      const held = got.roles ?? [];
      roles.textContent = held.length ? `Your roles: ${held.join(', ')}${got.earned_roles?.length ? ` (earned by karma: ${got.earned_roles.join(', ')})` : ''}.`
        : 'No music roles yet.';
      ladder.replaceChildren(...Object.entries(got.thresholds ?? {}).map(([role, at]) => h('li', { 'data-role': role },
        held.includes(role) ? `${role}: yours` : `${role}: at karma ${at} (${Math.max(0, at - got.karma)} to go)`)));
      if (!append) rows.replaceChildren();
      rows.append(...got.items.map((k) => h('tr', { 'data-testid': 'mu-ledger-row', 'data-reason': k.reason, 'data-delta': k.delta },
        h('td', {}, formatTime(k.created_at)), h('td', { class: `num ${k.delta >= 0 ? 'good' : 'bad'}` }, `${k.delta > 0 ? '+' : ''}${k.delta}`),
        h('td', {}, reasonText(k.reason)),
        h('td', {}, k.map_id ? h('a', { href: mapHash(k.map_id) }, `map ${shortId(k.map_id)}`) : k.edit_id ? `fix ${shortId(k.edit_id)}` : '–'))));
      cursor = got.next_cursor;
      more.hidden = !cursor;
      empty.hidden = rows.children.length > 0;
      error.hidden = true;
    } catch (err) {
      if (released) return;
      error.hidden = false;
      error.textContent = `Cannot read your karma: ${errorText(err)}`;
    }
  }
  more.addEventListener('click', () => load(true));
  load();
  return { el, reload: () => load(), release() { released = true; } };
}

function notificationsCard({ onKarma }) {
  const unread = h('span', { class: 'badge', 'data-testid': 'mu-unread' }, '…');
  const list = h('ol', { class: 'mu-notifications', 'data-testid': 'mu-notifications' });
  const empty = h('p', { class: 'muted', hidden: true }, 'No notifications.');
  const live = h('span', { class: 'muted small', 'data-testid': 'mu-live' });
  const announce = h('p', { class: 'visually-hidden', 'aria-live': 'polite', 'data-testid': 'mu-announce' });
  const error = h('p', { class: 'bad', role: 'alert', hidden: true });
  const markAll = h('button', { type: 'button', class: 'small-button', 'data-testid': 'mu-mark-all' }, 'Mark all read');
  const more = h('button', { type: 'button', hidden: true }, 'Load more');
  const email = emailToggle();
  const el = h('section', { class: 'card', 'aria-labelledby': 'mu-notes-title' },
    h('div', { class: 'card-head' }, h('h2', { id: 'mu-notes-title' }, 'Notifications'), unread, live, markAll),
    error, list, empty, h('div', { class: 'list-foot' }, more), announce,
    email.el);
  let cursor = null;
  let released = false;
  const seen = new Set();

  const setUnread = (n) => {
    unread.textContent = `${n} unread`;
    unread.dataset.unread = n;
    unread.className = `badge ${n ? 'mu-unread' : ''}`;
  };

  const item = (n) => {
    seen.add(n.id);
    return notificationItem(n, setUnread, (err) => {
      error.hidden = false;
      error.textContent = `Not marked: ${errorText(err)}`;
    });
  };

  async function load(append = false) {
    try {
      const got = await api(`/api/v1/notifications${query({ limit: PAGE, cursor: append ? cursor : undefined })}`);
      if (released) return;
      if (!append) { list.replaceChildren(); seen.clear(); }
      list.append(...got.items.filter((n) => !seen.has(n.id)).map(item));
      cursor = got.next_cursor;
      more.hidden = !cursor;
      empty.hidden = list.children.length > 0;
      setUnread(got.unread);
      email.set(got.email);
      error.hidden = true;
    } catch (err) {
      if (released) return;
      error.hidden = false;
      error.textContent = `Cannot read your notifications: ${errorText(err)}`;
    }
  }

  // New notifications, as they are written: first in the list, counted unread, and announced. The stream
  // replays the topic from its start: what is older than the newest notification read is history (shown, or
  // on a later page), and what was read is known by its id. (Two written in one transaction share a
  // millisecond, and UUIDv7s of one millisecond are not in order: times decide, not ids.)
  let newestAt = -Infinity;
  let stop = () => {};
  const follow = () => followStream('/ws/notifications', {
    onSnapshot: () => {},
    onEvent: (e) => {
      const n = e.data;
      if (e.type !== 'notification' || !n?.id || seen.has(n.id) || Date.parse(n.created_at) < newestAt) return;
      list.prepend(item(n));
      empty.hidden = true;
      setUnread(Number(unread.dataset.unread || 0) + (n.read ? 0 : 1));
      announce.textContent = describeNotification(n);
      if (n.kind === 'karma.changed' || n.kind === 'role.changed') onKarma();
    },
    onStatus: (status, message) => {
      live.textContent = { live: '● live', reconnecting: 'reconnecting…' }[status] ?? message ?? status;
      live.dataset.status = status;
      // Back after a gap: what was written meanwhile is read again.
      if (status === 'live' && live.dataset.was === 'reconnecting') load();
      live.dataset.was = status;
    },
  });

  markAll.addEventListener('click', async () => {
    markAll.disabled = true;
    try {
      await api('/api/v1/notifications/read', { method: 'POST', body: {} });
      await load();
    } catch (err) {
      error.hidden = false;
      error.textContent = `Not marked: ${errorText(err)}`;
    } finally {
      markAll.disabled = false;
    }
  });
  more.addEventListener('click', () => load(true));
  load().then(() => {
    if (released) return;
    newestAt = Math.max(-Infinity, ...[...list.children].map((li) => Date.parse(li.querySelector('time')?.getAttribute('datetime'))).filter(Number.isFinite));
    stop = follow();
  });
  return { el, release() { released = true; stop(); } };
}

// One notification: when, what (with a link to the map it is about), and "Mark read", which calls
// setUnread(count) once the server marked it, or onError(err).
function notificationItem(n, setUnread, onError) {
  const read = h('button', { type: 'button', class: 'small-button', hidden: n.read, 'data-testid': 'mu-mark-read',
    'aria-label': `Mark read: ${describeNotification(n)}` }, 'Mark read');
  const li = h('li', { 'data-testid': 'mu-notification', 'data-id': n.id, 'data-kind': n.kind, 'data-read': String(Boolean(n.read)),
    class: n.read ? 'mu-read' : 'mu-unread-item' },
  h('time', { datetime: n.created_at }, formatTime(n.created_at)), ' ', h('span', { class: 'mu-note-text' }, describeNotification(n)),
  n.data?.result_map_id ? h('span', {}, ' ', h('a', { href: mapHash(n.data.result_map_id) }, 'the new version')) : null,
  n.data?.map_id && n.kind.startsWith('map.') ? h('span', {}, ' ', h('a', { href: mapHash(n.data.map_id) }, 'open the map')) : null,
  ' ', read);
  read.addEventListener('click', async () => {
    read.disabled = true;
    try {
      const got = await api('/api/v1/notifications/read', { method: 'POST', body: { ids: [n.id] } });
      li.dataset.read = 'true';
      li.className = 'mu-read';
      read.hidden = true;
      setUnread(got.unread);
    } catch (err) {
      read.disabled = false;
      onError(err);
    }
  });
  return li;
}

// Whether notifications also come by e-mail, saved as soon as it changes; set(value) shows the server's.
function emailToggle() {
  const [box, label] = checkbox('Also send me notifications by e-mail', { 'data-testid': 'mu-email', disabled: true });
  const status = h('span', { class: 'muted small', 'aria-live': 'polite', 'data-testid': 'mu-email-status' });
  box.addEventListener('change', async () => {
    box.disabled = true;
    try {
      const got = await api('/api/v1/notifications/settings', { method: 'PUT', body: { email: box.checked } });
      box.checked = got.email;
      status.textContent = got.email ? ' Saved: e-mails on.' : ' Saved: e-mails off.';
    } catch (err) {
      box.checked = !box.checked;
      status.textContent = ` Not saved: ${errorText(err)}`;
    } finally {
      box.disabled = false;
    }
  });
  return {
    el: h('div', { class: 'mu-email' }, label, status),
    set(value) { box.checked = Boolean(value); box.disabled = false; },
  };
}

function billingCard() {
  const body = h('div', { 'data-testid': 'mu-billing' }, h('p', { class: 'muted' }, 'Reading your plan…'));
  const el = h('section', { class: 'card', 'aria-labelledby': 'mu-billing-title' }, h('h2', { id: 'mu-billing-title' }, 'Plan and billing'), body);
  api('/api/v1/billing').then((b) => {
    const e = b.entitlements ?? {};
    const u = b.usage ?? {};
    const meter = (label, used, limit, testid) => h('div', { class: 'mu-usage', 'data-testid': testid, 'data-used': used, 'data-limit': limit },
      h('span', {}, `${label}: ${used} of ${limit}`),
      h('meter', { min: 0, max: Math.max(1, Number(limit) || 1), value: Math.min(Number(used) || 0, Number(limit) || 0), 'aria-label': label }));
    body.replaceChildren(
      h('p', {}, 'Plan: ', h('strong', { 'data-testid': 'mu-plan' }, b.plan ?? '–'),
        e.bundles?.length ? ` · bundles: ${e.bundles.join(', ')}` : ''),
      h('div', { class: 'mu-usages' }, meter('Map generations this month', u.generations_this_month ?? 0, e.generations_per_month ?? 0, 'mu-usage-generations'),
        meter('Lookups today', u.lookups_today ?? 0, e.lookups_per_day ?? 0, 'mu-usage-lookups')),
      h('h3', { class: 'mu-sub' }, 'Subscriptions'),
      (b.subscriptions ?? []).length ? scrollBox('Subscriptions', h('table', { class: 'table', 'data-testid': 'mu-subscriptions' },
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Subscription'), h('th', { scope: 'col' }, 'Plan'), h('th', { scope: 'col' }, 'Status'),
          h('th', { scope: 'col' }, 'Renews'))),
        h('tbody', {}, b.subscriptions.map((s) => h('tr', {}, h('td', {}, h('code', {}, s.id)), h('td', {}, s.plan ?? '–'), h('td', {}, s.status),
          h('td', {}, formatTime(s.current_period_end)))))))
        : h('p', { class: 'muted' }, 'No subscriptions.'),
      h('h3', { class: 'mu-sub' }, 'Orders'),
      (b.orders ?? []).length ? scrollBox('Orders', h('table', { class: 'table', 'data-testid': 'mu-orders' },
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Date'), h('th', { scope: 'col' }, 'Kind'), h('th', { scope: 'col' }, 'Status'),
          h('th', { scope: 'col', class: 'num' }, 'Amount'), h('th', { scope: 'col' }, 'Items'))),
        h('tbody', {}, b.orders.map((o) => h('tr', {}, h('td', {}, formatTime(o.created)), h('td', {}, o.kind), h('td', {}, o.status),
          h('td', { class: 'num' }, o.amount === null || o.amount === undefined ? '–' : `${(o.amount / 100).toFixed(2)} ${(o.currency ?? '').toUpperCase()}`),
          h('td', { class: 'details' }, (Array.isArray(o.items) ? o.items : []).map((i) => i.description ?? i.price ?? i.id ?? '').filter(Boolean).join(', ') || '–'))))))
        : h('p', { class: 'muted' }, 'No orders.'));
  }).catch((err) => {
    body.replaceChildren(h('p', { class: 'bad', role: 'alert' }, `Cannot read your plan: ${errorText(err)}`));
  });
  return { el };
}
