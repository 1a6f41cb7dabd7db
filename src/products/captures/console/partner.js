// Captures › Partner batches (#/captures.partner, partners): a batch of customers' measurements taken by hand, a
// CSV (header: external_id, unit, measurement names) or a JSON array, sent as it is with its Content-Type
// (POST /api/v1/partner/upload-batch). The answer's rows show as a table, each refused row with its errors
// (row, external_id, field, code, message), the counts accepted and refused, and the link to the CSV report.
// Below, the partner's exports (sheets and batch reports, GET /api/v1/partner/me/exports) with their links.

import { api, query } from '/console/api.js';
import { formatTime, h, shortId, showFormError } from '/console/dom.js';
import { checkbox, errorText, exportLink, field, labelOf, resultsHash, scrollBox, useStyles } from './common.js';

const PAGE = 50;

export function mount(container) {
  useStyles();
  const exports = exportsCard();
  container.append(h('div', { class: 'page' }, uploadCard(() => exports.load()), exports.el));
  exports.load();
  return () => exports.release();
}

// The Content-Type of a batch file: JSON by its name or type, else CSV.
export function batchType(file) {
  const json = /\.json$/i.test(file.name) || file.type === 'application/json';
  return json ? 'application/json' : 'text/csv';
}

function uploadCard(onUploaded) {
  const file = h('input', { type: 'file', name: 'batch', accept: '.csv,.json,text/csv,application/json', 'data-testid': 'cap-batch-file' });
  const error = h('div', { class: 'form-error', role: 'alert', hidden: true, 'data-testid': 'cap-batch-error' });
  const status = h('p', { class: 'small', 'aria-live': 'polite', 'data-testid': 'cap-batch-status' });
  const submit = h('button', { type: 'submit', class: 'primary', 'data-testid': 'cap-batch-submit' }, 'Upload the batch');
  const result = h('div', { 'data-testid': 'cap-batch-result' });
  const form = h('form', { novalidate: true }, error,
    field('Batch file (CSV or JSON)', file, 'CSV: a header row external_id, unit (cm, mm or in), then one column per measurement '
      + '(height, chest, waist, hip, neck, inseam, shoulder_width, arm_length, thigh, weight_kg). JSON: an array of objects with the same keys.'),
    status, submit);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    showFormError(error, null);
    const f = file.files[0];
    if (!f) {
      showFormError(error, { status: -1, message: 'Choose a CSV or JSON file.' });
      return;
    }
    submit.disabled = true;
    status.textContent = `Sending ${f.name}…`;
    try {
      const batch = await api('/api/v1/partner/upload-batch', { method: 'POST', body: f, type: batchType(f) });
      status.textContent = '';
      result.replaceChildren(batchView(batch));
      onUploaded();
    } catch (err) {
      status.textContent = '';
      result.replaceChildren();
      showFormError(error, err);
    } finally {
      submit.disabled = false;
    }
  });
  return h('section', { class: 'card' }, h('h2', {}, 'Upload a batch'), form, result);
}

// A batch's answer: counts, the report, and every row (a refused row once per error, highlighted).
function batchView(b) {
  const [onlyRefused, onlyRefusedLabel] = checkbox('Only refused rows', { 'data-testid': 'cap-batch-only-refused' });
  const rows = h('tbody', { 'data-testid': 'cap-batch-rows' });
  for (const r of b.rows ?? []) {
    const errors = r.errors ?? [];
    if (r.accepted) {
      const figures = Object.entries(r.measurements ?? {}).map(([k, v]) => `${labelOf(k).toLowerCase()} ${v}`).join(', ');
      rows.append(h('tr', { class: 'cap-row-accepted', 'data-testid': 'cap-batch-row', 'data-row': r.row, 'data-accepted': 'true' },
        h('td', { class: 'num' }, String(r.row)), h('td', {}, r.external_id ?? ''), h('td', {}, h('span', { class: 'badge cap-accepted' }, 'accepted')),
        h('td', { class: 'details', colspan: 3 }, figures)));
      continue;
    }
    errors.forEach((e, i) => rows.append(h('tr', { class: 'cap-row-refused', 'data-testid': 'cap-batch-row', 'data-row': r.row, 'data-accepted': 'false',
      'data-field': e.field, 'data-code': e.code },
      h('td', { class: 'num' }, i ? '' : String(r.row)), h('td', {}, i ? '' : r.external_id ?? ''),
      h('td', {}, i ? '' : h('span', { class: 'badge cap-refused' }, 'refused')),
      h('td', {}, h('code', {}, e.field)), h('td', {}, h('code', {}, e.code)), h('td', { class: 'details' }, e.message))));
  }
  onlyRefused.addEventListener('change', () => {
    for (const tr of rows.querySelectorAll('.cap-row-accepted')) tr.hidden = onlyRefused.checked;
  });
  return h('div', { class: 'cap-batch', 'data-testid': 'cap-batch', 'data-id': b.id },
    h('p', { 'data-testid': 'cap-batch-counts' },
      h('strong', {}, `${b.rows_total} row${b.rows_total === 1 ? '' : 's'}: `),
      h('span', { class: 'good', 'data-testid': 'cap-batch-accepted' }, `${b.rows_accepted} accepted`), ', ',
      h('span', { class: b.rows_refused ? 'bad' : '', 'data-testid': 'cap-batch-refused' }, `${b.rows_refused} refused`), '. ',
      b.report?.url ? exportLink(b.report, 'The report (CSV)') : null),
    onlyRefusedLabel,
    scrollBox(`Rows of batch ${shortId(b.id)}`, h('table', { class: 'table' },
      h('caption', { class: 'visually-hidden' }, `Rows of batch ${shortId(b.id)}`),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col', class: 'num' }, 'Row'), h('th', { scope: 'col' }, 'External id'),
        h('th', { scope: 'col' }, 'Outcome'), h('th', { scope: 'col' }, 'Field'), h('th', { scope: 'col' }, 'Code'),
        h('th', { scope: 'col' }, 'Message'))),
      rows)));
}

// The partner's exports: measurement sheets and batch reports, newest first, each with a fresh signed link.
function exportsCard() {
  const rows = h('tbody', { 'data-testid': 'cap-exports' });
  const empty = h('p', { class: 'muted', hidden: true }, 'No exports yet.');
  const error = h('p', { class: 'bad', role: 'alert', hidden: true, 'data-testid': 'cap-exports-error' });
  const more = h('button', { type: 'button', hidden: true, 'data-testid': 'cap-exports-more' }, 'Load more');
  const el = h('section', { class: 'card' }, h('h2', {}, 'Your exports'), error,
    h('div', { class: 'table-wrap' }, h('table', { class: 'table' },
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Made'), h('th', { scope: 'col' }, 'Kind'), h('th', { scope: 'col' }, 'Of'),
        h('th', { scope: 'col' }, 'Link'))),
      rows)),
    empty, h('div', { class: 'list-foot' }, more));
  let cursor = null;
  let released = false;
  async function load(after) {
    try {
      const got = await api(`/api/v1/partner/me/exports${query({ limit: PAGE, cursor: after })}`);
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
      error.textContent = `Cannot list your exports: ${errorText(err)}`;
    }
  }
  more.addEventListener('click', () => load(cursor));
  return { el, load: () => load(), release() { released = true; } };
}

const KINDS = { pdf: 'PDF sheet', csv: 'CSV sheet', batch_csv: 'batch report', training: 'training archive' };

function row(e) {
  const of = e.capture_id ? h('a', { href: resultsHash(e.capture_id) }, `capture ${shortId(e.capture_id)}`)
    : e.batch_id ? `batch ${shortId(e.batch_id)}` : '–';
  return h('tr', { 'data-testid': 'cap-export-row', 'data-id': e.id, 'data-kind': e.kind },
    h('td', {}, formatTime(e.created_at)), h('td', {}, KINDS[e.kind] ?? e.kind), h('td', {}, of),
    h('td', {}, exportLink(e, 'Download')));
}
