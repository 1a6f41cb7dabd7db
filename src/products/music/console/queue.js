// Music › Fix queue (#/music.queue, verifiers): the pending fixes (GET /api/v1/edits?status=pending), newest
// first, and the generated maps nobody verified yet, found through the songs (GET /api/v1/songs, then each song's
// maps), each with "Verify as is" (POST /api/v1/maps/{id}/verify).
//
// One fix (#/music.queue?edit=<id>): its diff (GET /api/v1/edits/{id}: notes added and removed, fields changed)
// drawn over the version it was written against, added notes green and removed ones red, and approve or reject
// with a comment (POST /api/v1/edits/{id}/decision). An approval written against an older version is rebased;
// when it cannot be, the fix ends in conflict and the conflicts are shown.

import { api, query } from '/console/api.js';
import { formatTime, h, shortId, showFormError } from '/console/dom.js';
import {
  QUEUE_PAGE, clock, count, editHash, editPath, errorText, field, fixed, mapHash, mapPath, myId, scrollBox, songHash, songPath, stateBadge,
  useStyles,
} from './common.js';
import { durationOf, lanesOf, noteKey } from './map_model.js';
import { initialZoom, timeline } from './timeline.js';

const PAGE = 25;
const SONGS_SCANNED = 50;

export function mount(container, params = new URLSearchParams()) {
  useStyles();
  if (params.get('edit')) return mountReview(container, params.get('edit'));
  const pending = pendingCard();
  const unverified = unverifiedCard();
  container.append(h('div', { class: 'page' }, pending.el, unverified.el));
  return () => { pending.release(); unverified.release(); };
}

function pendingCard() {
  const rows = h('tbody', { 'data-testid': 'mu-queue' });
  const empty = h('p', { class: 'muted', hidden: true, 'data-testid': 'mu-queue-empty' }, 'No fixes wait for review.');
  const error = h('p', { class: 'bad', role: 'alert', hidden: true });
  const more = h('button', { type: 'button', hidden: true, 'data-testid': 'mu-queue-more' }, 'Load more');
  const el = h('section', { class: 'card', 'aria-labelledby': 'mu-queue-title' },
    h('h2', { id: 'mu-queue-title' }, 'Fixes to review'), error,
    scrollBox('Fixes to review', h('table', { class: 'table' }, h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Submitted'),
      h('th', { scope: 'col' }, 'Map'), h('th', { scope: 'col' }, 'Against'), h('th', { scope: 'col' }, 'Changes'), h('th', { scope: 'col' }, 'Comment'),
      h('th', { scope: 'col' }, 'Review'))), rows)),
    empty, h('div', { class: 'list-foot' }, more));
  let cursor = null;
  let released = false;
  async function load(append = false) {
    try {
      const got = await api(`/api/v1/edits${query({ status: 'pending', limit: PAGE, cursor: append ? cursor : undefined })}`);
      if (released) return;
      if (!append) rows.replaceChildren();
      rows.append(...got.items.map((e) => h('tr', { 'data-testid': 'mu-queue-row', 'data-id': e.id, 'data-map': e.map_id },
        h('td', {}, formatTime(e.created_at)), h('td', {}, h('a', { href: mapHash(e.map_id) }, `Map ${shortId(e.map_id)}`)),
        h('td', {}, `v${e.base_version}`), h('td', {}, count((e.patch ?? []).length, 'operation')),
        h('td', { class: 'details' }, e.comment || '–'),
        h('td', {}, e.user_id === myId() ? h('span', { class: 'muted' }, 'your own fix')
          : h('a', { href: editHash(e.id), 'data-testid': 'mu-queue-review' }, 'Review')))));
      cursor = got.next_cursor;
      more.hidden = !cursor;
      empty.hidden = rows.children.length > 0;
      error.hidden = true;
    } catch (err) {
      if (released) return;
      error.hidden = false;
      error.textContent = `Cannot read the queue: ${errorText(err)}`;
    }
  }
  more.addEventListener('click', () => load(true));
  load();
  return { el, release() { released = true; } };
}

// The unverified maps of the newest songs: each song's maps are read (the songs list does not carry them).
function unverifiedCard() {
  const rows = h('tbody', { 'data-testid': 'mu-unverified' });
  const status = h('p', { class: 'muted small', 'aria-live': 'polite', 'data-testid': 'mu-unverified-status' }, 'Looking for unverified maps…');
  const more = h('button', { type: 'button', hidden: true, 'data-testid': 'mu-unverified-more' }, 'Look at older songs');
  const el = h('section', { class: 'card', 'aria-labelledby': 'mu-unverified-title' },
    h('h2', { id: 'mu-unverified-title' }, 'Generated maps to verify'),
    h('p', { class: 'small muted' }, 'Open a map to check it against the recording; verify it as it is when it needs no fix.'),
    scrollBox('Generated maps to verify', h('table', { class: 'table' }, h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Song'),
      h('th', { scope: 'col' }, 'Map'), h('th', { scope: 'col', class: 'num' }, 'Notes'), h('th', { scope: 'col', class: 'num' }, 'Uncertain'),
      h('th', { scope: 'col' }, 'Generated'), h('th', { scope: 'col' }, 'Verify'))), rows)),
    status, h('div', { class: 'list-foot' }, more));
  let cursor = null;
  let released = false;
  let found = 0;
  async function load() {
    more.disabled = true;
    try {
      const songs = await api(`/api/v1/songs${query({ limit: SONGS_SCANNED, cursor })}`);
      const details = await Promise.all(songs.items.map((s) => api(songPath(s.id)).catch(() => null)));
      if (released) return;
      for (const song of details.filter(Boolean)) {
        for (const m of (song.maps ?? []).filter((x) => x.state === 'unverified')) {
          rows.append(unverifiedRow(song, m));
          found++;
        }
      }
      cursor = songs.next_cursor;
      more.hidden = !cursor;
      status.textContent = found ? `${found} map${found === 1 ? '' : 's'} to verify.` : 'No unverified maps in these songs.';
    } catch (err) {
      if (!released) status.textContent = `Cannot look for maps: ${errorText(err)}`;
    } finally {
      more.disabled = false;
    }
  }
  more.addEventListener('click', load);
  load();
  return { el, release() { released = true; } };
}

function unverifiedRow(song, m) {
  const own = m.created_by && m.created_by === myId();
  const comment = h('input', { type: 'text', maxlength: 2000, 'aria-label': `Comment on verifying the map of ${song.title}`, placeholder: 'comment (optional)',
    'data-testid': 'mu-verify-comment' });
  const verify = h('button', { type: 'button', class: 'small-button', disabled: own, 'data-testid': 'mu-verify' }, 'Verify as is');
  const result = h('span', { class: 'small', 'aria-live': 'polite', 'data-testid': 'mu-verify-status' }, own ? ' your own map' : '');
  const row = h('tr', { 'data-testid': 'mu-unverified-row', 'data-id': m.id },
    h('td', {}, h('a', { href: songHash(song.id) }, `${song.title} — ${song.artist}`)),
    h('td', {}, h('a', { href: mapHash(m.id), 'data-testid': 'mu-unverified-open' }, `v${m.version} ${shortId(m.id)}`)),
    h('td', { class: 'num' }, String(m.notes ?? 0)), h('td', { class: 'num' }, String(m.metadata?.uncertain_notes ?? '–')),
    h('td', {}, formatTime(m.created_at)), h('td', { class: 'mu-verify-cell' }, comment, verify, result));
  verify.addEventListener('click', async () => {
    verify.disabled = true;
    result.textContent = ' verifying…';
    try {
      const done = await api(`${mapPath(m.id)}/verify`, { method: 'POST', body: comment.value.trim() ? { comment: comment.value.trim() } : {} });
      row.dataset.state = done.state;
      result.replaceChildren(' ', stateBadge(done.state));
      comment.disabled = true;
    } catch (err) {
      result.textContent = ` ${errorText(err)}`;
      verify.disabled = false;
    }
  });
  return row;
}

// One fix: its diff over the base version, and the decision.
function mountReview(container, id) {
  const root = h('div', { class: 'page', 'data-testid': 'mu-review', 'data-id': id });
  const status = h('p', { class: 'muted', 'aria-live': 'polite' }, 'Reading the fix…');
  root.append(h('p', { class: 'crumbs' }, h('a', { href: QUEUE_PAGE }, '← Fix queue')), status);
  container.append(root);
  let released = false;

  (async () => {
    let edit;
    let map;
    let file;
    try {
      edit = await api(editPath(id));
      map = await api(mapPath(edit.map_id));
      file = await api(`${mapPath(edit.map_id)}/content`);
    } catch (err) {
      if (released) return;
      status.className = 'bad';
      status.setAttribute('role', 'alert');
      status.textContent = `Cannot read the fix: ${errorText(err)}`;
      return;
    }
    if (released) return;
    status.remove();
    const song = await api(songPath(map.song_id)).catch(() => null);
    if (released) return;
    showReview(root, { edit, map, file, song });
  })();
  return () => { released = true; };
}

function showReview(root, { edit, map, file, song }) {
  const diff = edit.diff;
  const removedKeys = new Set((diff?.removed ?? []).map(noteKey));
  const base = (file.notes ?? []).map((n, i) => ({ ...n, index: i, kind: removedKeys.has(noteKey(n)) ? 'removed' : 'base' }));
  const added = (diff?.added ?? []).map((n, k) => ({ ...n, index: k, kind: 'added' }));
  const shown = [...base, ...added];
  const tl = timeline({ label: `Fix ${shortId(edit.id)} over v${edit.base_version}`, testid: 'mu-diff', withPlayhead: false });
  tl.setZoom(initialZoom(durationOf(file)));
  tl.draw({ notes: shown, beats: file.beats ?? [], beatsPerBar: file.time_signature?.[0] ?? 4, duration: durationOf(file), lanes: lanesOf(shown) });
  const firstChange = [...added, ...base.filter((n) => n.kind === 'removed')].sort((a, b) => a.t - b.t)[0];
  if (firstChange) requestAnimationFrame(() => tl.show(firstChange.t));

  const noteItem = (n, kind) => h('li', { 'data-testid': `mu-diff-${kind}`, 'data-lane': n.lane, 'data-t': n.t, class: `mu-diff-${kind}` },
    `${kind === 'added' ? '+' : '−'} ${n.lane} at ${clock(n.t)}, velocity ${fixed(n.velocity, 2)}`);
  const moved = edit.latest_version > edit.base_version;
  let badge = stateBadge(edit.status, { 'data-testid': 'mu-review-status' });
  root.append(h('section', { class: 'card' },
    h('div', { class: 'card-head' }, h('h2', {}, `Fix of ${song ? `${song.title} — ${song.artist}` : `map ${shortId(edit.map_id)}`}`), badge),
    h('dl', { class: 'facts' },
      h('div', {}, h('dt', {}, 'Against'), h('dd', {}, h('a', { href: mapHash(edit.map_id) }, `v${edit.base_version}`))),
      h('div', {}, h('dt', {}, 'Latest version'), h('dd', {}, `v${edit.latest_version}`)),
      h('div', {}, h('dt', {}, 'Submitted'), h('dd', {}, formatTime(edit.created_at))),
      h('div', {}, h('dt', {}, 'Operations'), h('dd', {}, String((edit.patch ?? []).length)))),
    edit.comment ? h('blockquote', { class: 'mu-comment', 'data-testid': 'mu-review-comment' }, edit.comment) : null,
    moved ? h('p', { class: 'mu-warn', 'data-testid': 'mu-review-moved' },
      `The map moved on to v${edit.latest_version} since: approving rebases the fix onto it, or ends in conflict if it touches what changed.`) : null));

  const summary = diff
    ? `${diff.added.length} note${diff.added.length === 1 ? '' : 's'} added, ${diff.removed.length} removed${diff.fields.length ? `; changed: ${diff.fields.join(', ')}` : ''}.`
    : 'The diff is not available (the fix was rebased onto a newer version).';
  root.append(h('section', { class: 'card', 'aria-labelledby': 'mu-diff-title' },
    h('h2', { id: 'mu-diff-title' }, 'What the fix changes'),
    h('p', { 'data-testid': 'mu-diff-summary' }, summary),
    tl.el,
    h('p', { class: 'small mu-legend' }, h('span', { class: 'mu-key mu-key-note' }, 'unchanged'), h('span', { class: 'mu-key mu-key-uncertain' }, 'uncertain'),
      h('span', { class: 'mu-key mu-key-added' }, 'added'),
      h('span', { class: 'mu-key mu-key-removed' }, 'removed')),
    diff ? h('ul', { class: 'mu-diff-list', 'data-testid': 'mu-diff-list' }, [...diff.added.map((n) => noteItem(n, 'added')),
      ...diff.removed.map((n) => noteItem(n, 'removed')), ...fieldChanges(edit.patch, file)]) : null,
    h('details', {}, h('summary', {}, 'The JSON Patch'), h('pre', {}, JSON.stringify(edit.patch, null, 2)))));

  root.append(decisionCard(edit, (decided) => {
    const next = stateBadge(decided.status, { 'data-testid': 'mu-review-status' });
    badge.replaceWith(next);
    badge = next;
  }));
}

// The patch's changes of the map's own fields (bpm, offset_s…), with the value before.
function fieldChanges(patch, file) {
  return (patch ?? []).filter((op) => /^\/[^/]+$/.test(op.path) && op.path !== '/notes' && op.op !== 'remove').map((op) => {
    const name = op.path.slice(1);
    return h('li', { 'data-testid': 'mu-diff-field', 'data-field': name, class: 'mu-diff-field' },
      `~ ${name}: ${JSON.stringify(file[name] ?? null)} → ${JSON.stringify(op.value)}`);
  });
}

function decisionCard(edit, onDecided) {
  const comment = h('textarea', { rows: 3, name: 'comment', maxlength: 4000, 'data-testid': 'mu-decision-comment' });
  const approve = h('button', { type: 'button', class: 'primary', 'data-testid': 'mu-approve' }, 'Approve');
  const reject = h('button', { type: 'button', class: 'danger', 'data-testid': 'mu-reject' }, 'Reject');
  const error = h('div', { class: 'form-error', role: 'alert', hidden: true, 'data-testid': 'mu-decision-error' });
  const result = h('div', { 'aria-live': 'polite', 'data-testid': 'mu-decision-result' });
  const own = edit.user_id && edit.user_id === myId();
  const open = edit.status === 'pending' && !own;
  const el = h('section', { class: 'card', 'aria-labelledby': 'mu-decide-title' }, h('h2', { id: 'mu-decide-title' }, 'Decision'));
  if (!open) {
    el.append(h('p', { class: 'muted' }, own ? 'This is your own fix: another verifier decides it.' : `This fix is ${edit.status}.`));
    if (edit.status !== 'pending') el.append(outcome(edit));
    return el;
  }
  const buttons = h('div', { class: 'mu-buttons' }, approve, reject);
  el.append(field('Comment for the author', comment), error, buttons, result);
  const decide = async (decision) => {
    approve.disabled = true;
    reject.disabled = true;
    showFormError(error, null);
    try {
      const decided = await api(`${editPath(edit.id)}/decision`, { method: 'POST', body: { decision, comment: comment.value.trim() } });
      comment.disabled = true;
      buttons.hidden = true;
      result.replaceChildren(outcome(decided));
      onDecided(decided);
    } catch (err) {
      showFormError(error, err);
      approve.disabled = false;
      reject.disabled = false;
    }
  };
  approve.addEventListener('click', () => decide('approve'));
  reject.addEventListener('click', () => decide('reject'));
  return el;
}

// What a decision made of a fix: approved (the new version), rejected, or in conflict (with why).
function outcome(e) {
  const conflicts = e.conflicts ?? [];
  return h('div', { class: 'mu-outcome', 'data-testid': 'mu-outcome', 'data-status': e.status },
    h('p', {}, 'The fix is ', stateBadge(e.status), e.status === 'approved' && e.result_map_id
      ? h('span', {}, ': ', h('a', { href: mapHash(e.result_map_id), 'data-testid': 'mu-outcome-map' }, 'the new version'), ' is published.')
      : e.status === 'conflict' ? ': it touches notes that changed since it was written.' : '.'),
    conflicts.length ? h('ul', { 'data-testid': 'mu-conflicts' }, conflicts.map((c) => h('li', {}, h('code', {}, c.path), ` ${c.reason}`))) : null,
    h('p', {}, h('a', { href: QUEUE_PAGE }, 'Back to the queue')));
}
