// Captures › Review (#/captures.review, partners: tailors): the review queue (GET /api/v1/admin/adjustments),
// each edited capture with its pending edits — the measured figure, the one before the edit and the user's,
// and the user's note — and the decision: approve or reject with a note, and, on approval, the record queued
// for training data when its user consented (POST …/adjustments/approve). "PDF" makes the measurement sheet.

import { api, query } from '/console/api.js';
import { formatTime, h, shortId, showFormError } from '/console/dom.js';
import {
  capturePath, checkbox, cm, errorText, scrollBox, exportLink, exportSheet, field, labelOf, resultsHash, statusBadge, useStyles,
} from './common.js';

const PAGE = 20;

export function mount(container) {
  useStyles();
  const list = h('div', { class: 'page', 'data-testid': 'cap-review-list' });
  const empty = h('p', { class: 'muted', hidden: true, 'data-testid': 'cap-review-empty' }, 'No edits wait for a decision.');
  const error = h('p', { class: 'bad', role: 'alert', hidden: true, 'data-testid': 'cap-review-error' });
  const done = h('p', { class: 'small', 'aria-live': 'polite', 'data-testid': 'cap-review-done' });
  const more = h('button', { type: 'button', hidden: true, 'data-testid': 'cap-review-more' }, 'Load more');
  const reload = h('button', { type: 'button', class: 'small-button', 'data-testid': 'cap-review-reload' }, 'Reload');
  container.append(h('div', { class: 'page' },
    h('section', { class: 'card' }, h('div', { class: 'card-head' }, h('h2', {}, 'Edits to review'), reload),
      h('p', { class: 'small' }, 'Users corrected these figures with a tape measure. Approve the edits to make them the figures of '
        + 'record (the sheet shows them as edited), or reject them to keep the measured ones.'), error, done, empty),
    list, h('div', { class: 'list-foot' }, more)));

  let cursor = null;
  let released = false;
  async function load(after) {
    try {
      const got = await api(`/api/v1/admin/adjustments${query({ limit: PAGE, cursor: after })}`);
      if (released) return;
      if (!after) list.replaceChildren();
      list.append(...got.items.map((c) => captureCard(c, (message) => {
        done.textContent = message;
        empty.hidden = list.children.length > 0;
      })));
      cursor = got.next_cursor;
      more.hidden = !cursor;
      empty.hidden = list.children.length > 0;
      error.hidden = true;
    } catch (err) {
      if (released) return;
      error.hidden = false;
      error.textContent = `Cannot read the review queue: ${errorText(err)}`;
    }
  }
  more.addEventListener('click', () => load(cursor));
  reload.addEventListener('click', () => { done.textContent = ''; load(); });
  load();
  return () => { released = true; };
}

// One capture: its pending edits side by side with the figures, and the decision form.
function captureCard(c, onDecided) {
  const id = c.capture_id ?? c.id;
  const pending = c.pending_adjustments ?? [];
  const measured = {};  // name → the first run's figure, once the results are read
  const changes = h('tbody', {});
  const showChanges = () => changes.replaceChildren(...pending.flatMap((a) => Object.entries(a.changes ?? {}).map(([name, ch]) => {
    const original = measured[name];
    const d = Math.round((ch.to - (original ?? ch.from)) * 10) / 10;
    return h('tr', { 'data-testid': 'cap-review-change', 'data-name': name, 'data-adjustment': a.id },
      h('th', { scope: 'row' }, labelOf(name)),
      h('td', { class: 'num', 'data-testid': 'cap-review-original' }, cm(original ?? ch.from)),
      h('td', { class: 'num' }, original !== undefined && original !== ch.from ? cm(ch.from) : '–'),
      h('td', { class: 'num', 'data-testid': 'cap-review-edited' }, h('strong', {}, cm(ch.to))),
      h('td', { class: 'num' }, `${d > 0 ? '+' : ''}${d} cm`));
  })));
  showChanges();
  api(`${capturePath(id)}/results`).then((r) => {
    for (const [name, m] of Object.entries(r.metrics_json?.original ?? {})) if (m && Number.isFinite(Number(m.value_cm))) measured[name] = Number(m.value_cm);
    showChanges();
  }).catch(() => { /* the figures before each edit stay */ });

  const notes = pending.filter((a) => a.note).map((a) => h('blockquote', { class: 'cap-note', 'data-testid': 'cap-review-note' },
    h('p', {}, a.note), h('footer', { class: 'muted small' }, `${formatTime(a.created_at)}`)));
  const note = h('textarea', { name: 'note', rows: 2, maxlength: 2000, 'data-testid': 'cap-review-decision-note' });
  const [training, trainingLabel] = checkbox('Queue the approved record for training data (only if the user consented)',
    { name: 'training_export', 'data-testid': 'cap-review-training' });
  const error = h('div', { class: 'form-error', role: 'alert', hidden: true, 'data-testid': 'cap-review-form-error' });
  const approve = h('button', { type: 'button', class: 'primary', 'data-testid': 'cap-review-approve' }, 'Approve');
  const reject = h('button', { type: 'button', class: 'danger', 'data-testid': 'cap-review-reject' }, 'Reject');
  const pdf = h('button', { type: 'button', 'data-testid': 'cap-review-pdf' }, 'PDF');
  const pdfBox = h('span', { class: 'small', 'aria-live': 'polite' });
  const form = h('form', { novalidate: true }, error, field('Note on your decision', note), trainingLabel,
    h('div', { class: 'cap-buttons' }, approve, reject, pdf, pdfBox));
  const card = h('section', { class: 'card', 'data-testid': 'cap-review-item', 'data-id': id },
    h('div', { class: 'card-head' }, h('h2', {}, `Capture ${shortId(id)}`), statusBadge(c.status),
      h('a', { href: resultsHash(id), 'data-testid': 'cap-review-open' }, 'Open the results')),
    h('p', { class: 'muted small' }, `User ${shortId(c.user_id)} · taken ${formatTime(c.created_at)} · `,
      `${pending.length} pending edit${pending.length === 1 ? '' : 's'}`),
    scrollBox(`Edits of capture ${shortId(id)}`, h('table', { class: 'table' },
      h('caption', { class: 'visually-hidden' }, `Edits of capture ${shortId(id)}`),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Measurement'), h('th', { scope: 'col', class: 'num' }, 'Measured'),
        h('th', { scope: 'col', class: 'num' }, 'Before the edit'), h('th', { scope: 'col', class: 'num' }, 'Edited'),
        h('th', { scope: 'col', class: 'num' }, 'Change'))),
      changes)),
    notes.length ? h('div', {}, h('h3', { class: 'cap-sub' }, 'The user\'s note'), notes) : null,
    form);

  const decide = async (decision) => {
    showFormError(error, null);
    approve.disabled = true;
    reject.disabled = true;
    const body = { decision };
    if (note.value.trim()) body.note = note.value.trim();
    if (decision === 'approve' && training.checked) body.training_export = true;
    try {
      const r = await api(`${capturePath(id)}/adjustments/approve`, { method: 'POST', body });
      card.remove();
      onDecided(`Capture ${shortId(id)}: ${decision === 'approve' ? 'approved' : 'rejected'} (status ${r.status}).`);
    } catch (err) {
      showFormError(error, err);
      approve.disabled = false;
      reject.disabled = false;
    }
  };
  approve.addEventListener('click', () => decide('approve'));
  reject.addEventListener('click', () => decide('reject'));
  pdf.addEventListener('click', async () => {
    pdf.disabled = true;
    pdfBox.replaceChildren(' Making the PDF…');
    try {
      pdfBox.replaceChildren(' ', exportLink(await exportSheet(id, 'pdf'), 'Open the PDF'));
    } catch (err) {
      pdfBox.replaceChildren(h('span', { class: 'bad' }, ` Cannot export: ${errorText(err)}`));
    } finally {
      pdf.disabled = false;
    }
  });
  return card;
}
