// Captures › Labelling (#/captures.label, labelers): every capture of the tenant (GET /api/v1/admin/captures),
// by default only those that need review, and one capture (#/captures.label?id=<capture>) with its results and
// a form for the labeler's ground truth: a figure per measurement taken by hand, flags, a note
// (POST /api/v1/admin/label/{capture_id} {labels: {metrics_cm, flags, note}}).

import { api, query } from '/console/api.js';
import { formatTime, h, shortId, showFormError } from '/console/dom.js';
import {
  LABEL_PAGE, STATUSES, checkbox, cm, confidenceMeter, errorText, field, labelHash, labelOf, markFields, statusBadge, useStyles,
} from './common.js';
import { mountResults } from './results_view.js';

const PAGE = 50;
// What a labeler may say is wrong with a capture's photos.
const FLAGS = ['card_missing', 'card_covered', 'bad_pose', 'loose_clothing', 'cropped_body', 'several_people', 'poor_light', 'wrong_person'];

export function mount(container, params = new URLSearchParams()) {
  useStyles();
  const id = params.get('id');
  return id ? mountCapture(container, id) : mountList(container);
}

function mountList(container) {
  const rows = h('tbody', { 'data-testid': 'cap-label-list' });
  const empty = h('p', { class: 'muted', hidden: true, 'data-testid': 'cap-label-empty' }, 'No captures to label.');
  const error = h('p', { class: 'bad', role: 'alert', hidden: true, 'data-testid': 'cap-label-list-error' });
  const more = h('button', { type: 'button', hidden: true, 'data-testid': 'cap-label-more' }, 'Load more');
  const [review, reviewLabel] = checkbox('Only captures that need review', { checked: true, 'data-testid': 'cap-label-needs-review' });
  const status = h('select', { 'data-testid': 'cap-label-status' }, h('option', { value: '' }, 'all'),
    STATUSES.map((s) => h('option', { value: s }, s)));
  container.append(h('div', { class: 'page' }, h('section', { class: 'card' },
    h('div', { class: 'card-head' }, h('h2', {}, 'Captures to label'),
      h('div', { class: 'filters' }, reviewLabel, field('Status', status))),
    error,
    h('div', { class: 'table-wrap' }, h('table', { class: 'table' },
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Taken'), h('th', { scope: 'col' }, 'User'), h('th', { scope: 'col' }, 'Status'),
        h('th', { scope: 'col' }, 'Confidence'), h('th', { scope: 'col' }, 'Review'))),
      rows)),
    empty, h('div', { class: 'list-foot' }, more))));

  let cursor = null;
  let released = false;
  async function load(after) {
    try {
      const got = await api(`/api/v1/admin/captures${query({ limit: PAGE, cursor: after, status: status.value,
        needs_review: review.checked ? 'true' : undefined })}`);
      if (released) return;
      if (!after) rows.replaceChildren();
      rows.append(...got.items.map(row));
      cursor = got.next_cursor;
      more.hidden = !cursor;
      empty.hidden = rows.children.length > 0;
      error.hidden = true;
    } catch (err) {
      if (released) return;
      error.hidden = false;
      error.textContent = `Cannot list captures: ${errorText(err)}`;
    }
  }
  more.addEventListener('click', () => load(cursor));
  review.addEventListener('change', () => load());
  status.addEventListener('change', () => load());
  load();
  return () => { released = true; };
}

function row(c) {
  const id = c.capture_id ?? c.id;
  return h('tr', { 'data-testid': 'cap-label-row', 'data-id': id, 'data-status': c.status },
    h('td', {}, h('a', { href: labelHash(id), 'data-testid': 'cap-label-open' }, formatTime(c.created_at)),
      h('span', { class: 'muted small' }, ` ${shortId(id)}`)),
    h('td', {}, h('code', {}, shortId(c.user_id))),
    h('td', {}, statusBadge(c.status)),
    h('td', {}, confidenceMeter(c.overall_confidence, `capture ${shortId(id)}`)),
    h('td', {}, c.needs_review ? h('span', { class: 'badge cap-needs-review' }, 'needs review') : ''));
}

// One capture: the label form above its results (the form's figures are the results' measurements).
function mountCapture(container, id) {
  const formBox = h('section', { class: 'card', 'data-testid': 'cap-label-card' }, h('h2', {}, 'Label'),
    h('p', { class: 'muted' }, 'Reading the capture…'));
  container.append(h('div', { class: 'page' },
    h('p', { class: 'crumbs' }, h('a', { href: LABEL_PAGE }, 'Captures to label'), ` › ${shortId(id)}`), formBox));
  const view = mountResults(container, id, {
    crumbs: false,
    onLoad: (results) => formBox.replaceChildren(h('h2', {}, 'Label'), labelForm(id, results)),
  });
  return () => view.release();
}

function labelForm(id, results) {
  const metrics = results?.metrics_json?.current ?? results?.metrics ?? {};
  const inputs = Object.entries(metrics).filter(([, m]) => m && typeof m === 'object').map(([name, m]) =>
    [name, h('input', { type: 'number', name: `labels.metrics_cm.${name}`, min: 1, max: 300, step: 0.1, inputmode: 'decimal',
      placeholder: Number.isFinite(Number(m.value_cm)) ? String(m.value_cm) : '', 'data-testid': 'cap-label-metric', 'data-name': name })]);
  const flags = FLAGS.map((f) => checkbox(f.replaceAll('_', ' '), { name: 'labels.flags', value: f, 'data-testid': 'cap-label-flag' }));
  const note = h('textarea', { name: 'labels.note', rows: 3, maxlength: 4000, 'data-testid': 'cap-label-note' });
  const error = h('div', { class: 'form-error', role: 'alert', hidden: true, 'data-testid': 'cap-label-error' });
  const status = h('p', { class: 'small', 'aria-live': 'polite', 'data-testid': 'cap-label-status' });
  const submit = h('button', { type: 'submit', class: 'primary', 'data-testid': 'cap-label-submit' }, 'Save the label');
  const form = h('form', { novalidate: true, 'data-testid': 'cap-label-form' }, error,
    inputs.length ? h('fieldset', { class: 'cap-fieldset' }, h('legend', {}, 'Measured by hand (cm; leave empty what you did not measure)'),
      h('div', { class: 'cap-label-grid' }, inputs.map(([name, input]) => field(`${labelOf(name)} (measured ${cm(metrics[name].value_cm)})`, input))))
      : h('p', { class: 'muted' }, results ? 'The capture has no measurements.' : 'The capture is not measured: flags and a note only.'),
    h('fieldset', { class: 'cap-fieldset' }, h('legend', {}, 'Flags'), h('div', { class: 'cap-flags' }, flags.map(([, label]) => label))),
    field('Note', note), status, submit);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    showFormError(error, null);
    markFields(form, null);
    const metricsCm = {};
    const bad = {};
    for (const [name, input] of inputs) {
      if (input.value === '') continue;
      const v = Number(input.value);
      if (Number.isFinite(v) && v > 0) metricsCm[name] = Math.round(v * 10) / 10;
      else bad[`labels.metrics_cm.${name}`] = 'a positive number of cm';
    }
    if (Object.keys(bad).length) {
      const err = { status: -1, message: 'Some figures are not numbers.', fields: bad };
      showFormError(error, err);
      markFields(form, err);
      return;
    }
    const labels = { metrics_cm: metricsCm, flags: flags.filter(([box]) => box.checked).map(([box]) => box.value) };
    if (note.value.trim()) labels.note = note.value.trim();
    submit.disabled = true;
    try {
      const saved = await api(`/api/v1/admin/label/${encodeURIComponent(id)}`, { method: 'POST', body: { labels } });
      status.textContent = `Label saved (${shortId(saved.id)}, ${formatTime(saved.created_at)}).`;
      status.dataset.labelId = saved.id;
    } catch (err) {
      showFormError(error, err);
      markFields(form, err);
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}
