// One capture's results, as the capture page (once measured), My captures, the review queue and the labelling
// page show them: every measurement as "75 cm (±4 cm)" with its confidence and its definition, and, for the
// capture's user, an editor per figure (a slider ±15 % around it and a note, PATCH …/metrics); edited figures
// carry a badge that opens the history (GET …/metrics/history, a timeline of runs and edits). Beside them the
// annotated photos (GET …/images/annotated_front and _side, drawn by the server, fetched with the token), the
// skin tone against the ten Monk swatches, the quality and calibration, and the PDF and CSV exports.

import { api, ApiError } from '/console/api.js';
import { formatTime, h, shortId, showFormError } from '/console/dom.js';
import {
  LIST_PAGE, MEASURED, MONK, capturePath, cm, confidenceMeter, errorText, exportLink, exportSheet, field, fixed, isAdmin,
  isPartner, labelOf, markFields, myId, percent, pictures, scrollBox, statusBadge, textOn, withUncertainty,
} from './common.js';

const SLIDER_SPAN = 0.15;  // the editor's slider: ±15 % around the figure

// Mounts the results of capture `id` into `container`. Options: crumbs (false: no link back to the list),
// onLoad(results, capture) after each (re)load. Returns { el, reload(), release() }.
export function mountResults(container, id, { crumbs = true, onLoad = () => {} } = {}) {
  const el = h('div', { class: 'page cap-results', 'data-testid': 'cap-results', 'data-id': id });
  container.append(el);
  const photos = pictures();
  let released = false;
  let history = null;

  async function load() {
    let capture;
    let results;
    try {
      [capture, results] = await Promise.all([
        api(capturePath(id)),
        api(`${capturePath(id)}/results`).catch((err) => {
          if (err instanceof ApiError && err.status === 409) return null;  // not measured (yet), or failed
          throw err;
        }),
      ]);
    } catch (err) {
      if (released) return;
      el.replaceChildren(h('section', { class: 'card', role: 'alert', 'data-testid': 'cap-results-error' },
        h('h2', {}, 'Capture'), h('p', { class: 'bad' }, `Cannot read the capture: ${errorText(err)}`)));
      return;
    }
    if (released) return;
    render(capture, results);
    onLoad(results, capture);
  }

  function render(capture, results) {
    history = historyCard(id);
    const parts = [headCard(capture, results)];
    if (results) {
      parts.push(metricsCard(capture, results, { onSaved: (updated) => render({ ...capture, status: updated.status }, updated), history }),
        h('div', { class: 'cap-cols' }, photosCard(results, photos), h('div', { class: 'page' }, skinCard(results.skin),
          qualityCard(results.quality), calibrationCard(results.calibration))),
        history.el);
    }
    el.replaceChildren(...parts);
    if (crumbs) el.prepend(h('p', { class: 'crumbs' }, h('a', { href: LIST_PAGE }, 'My captures'), ` › ${shortId(id)}`));
  }

  load();
  return {
    el,
    reload: load,
    release() {
      released = true;
      photos.release();
    },
  };
}

// The capture's status and facts, its overall confidence, and the exports.
function headCard(capture, results) {
  const mine = capture.user_id === myId();
  const exportBox = h('p', { class: 'small', 'aria-live': 'polite', 'data-testid': 'cap-export-status' });
  const exportButton = (format) => {
    const b = h('button', { type: 'button', 'data-testid': `cap-export-${format}` }, `Export ${format.toUpperCase()}`);
    b.addEventListener('click', async () => {
      b.disabled = true;
      exportBox.replaceChildren(`Making the ${format.toUpperCase()}…`);
      try {
        const made = await exportSheet(capture.capture_id, format);
        exportBox.replaceChildren(exportLink(made, `Open the ${format.toUpperCase()}`));
      } catch (err) {
        exportBox.replaceChildren(h('span', { class: 'bad' }, `Cannot export: ${errorText(err)}`));
      } finally {
        b.disabled = false;
      }
    });
    return b;
  };
  const canExport = results && (mine || isPartner());
  const q = results?.quality ?? {};
  const error = capture.error?.message ? `${capture.error.message} (${capture.error.code})` : null;
  return h('section', { class: 'card', 'data-testid': 'cap-head' },
    h('div', { class: 'card-head' }, h('h2', {}, `Capture ${shortId(capture.capture_id)}`),
      statusBadge(capture.status, { 'data-testid': 'cap-results-status' }),
      canExport ? h('div', { class: 'actions' }, exportButton('pdf'), exportButton('csv')) : null),
    error ? h('p', { class: 'bad', role: 'alert', 'data-testid': 'cap-failure' }, `The capture failed: ${error}`) : null,
    !results && !error ? h('p', { class: 'muted', 'data-testid': 'cap-not-measured' },
      MEASURED.has(capture.status) ? 'No measurements.' : `Not measured yet (${capture.status}).`) : null,
    h('dl', { class: 'facts' },
      fact('Taken', formatTime(capture.created_at)),
      fact('Source', capture.source === 'client' ? 'measured on the device' : 'photos'),
      results ? fact('Measured', `${formatTime(results.measured_at)} (version ${results.version}, ${results.origin})`) : null,
      results ? fact('Overall confidence', confidenceMeter(q.overall_confidence, 'all measurements')) : null,
      capture.source === 'client' ? null : fact('Photos', capture.images_deleted_at ? `deleted ${formatTime(capture.images_deleted_at)}`
        : capture.store_images ? 'kept (consented)' : 'deleted after processing'),
      mine ? null : fact('User', h('code', {}, capture.user_id))),
    exportBox);
}

const fact = (term, value) => h('div', {}, h('dt', {}, term), h('dd', {}, value));

// The measurements: one row each, with its definition, its confidence and (for its user) an editor.
function metricsCard(capture, results, { onSaved, history }) {
  const metrics = results.metrics_json?.current ?? results.metrics ?? {};
  const names = Object.keys(metrics).filter((n) => metrics[n] && typeof metrics[n] === 'object');
  const canEdit = capture.user_id === myId() || isAdmin();
  const rows = h('tbody', { 'data-testid': 'cap-metrics' });
  for (const name of names) {
    const m = metrics[name];
    const editorRow = h('tr', { class: 'cap-editor-row', hidden: true }, h('td', { colspan: 4 }));
    const edit = canEdit && Number.isFinite(Number(m.value_cm))
      ? h('button', { type: 'button', class: 'link', 'aria-expanded': 'false', 'data-testid': 'cap-metric-edit' }, `Edit ${labelOf(name).toLowerCase()}`)
      : null;
    edit?.addEventListener('click', () => {
      const open = editorRow.hidden;
      editorRow.hidden = !open;
      edit.setAttribute('aria-expanded', String(open));
      if (open) {
        editorRow.firstChild.replaceChildren(editor(capture.capture_id, name, m, {
          onSaved,
          onCancel: () => { editorRow.hidden = true; edit.setAttribute('aria-expanded', 'false'); edit.focus(); },
        }));
        editorRow.querySelector('input[type=range]').focus();
      }
    });
    // A girth's ellipse comes from the front width and the side depth; "arm cut": the arm was cut off the width.
    const parts = [m.width_cm ? `width ${cm(m.width_cm)} (front)` : null, m.depth_cm ? `depth ${cm(m.depth_cm)} (side)` : null,
      m.arm_cut ? 'arm cut away from the width' : null].filter(Boolean);
    const definition = m.definition
      ? h('details', { class: 'cap-definition' }, h('summary', { title: m.definition }, labelOf(name)),
        h('p', { class: 'small' }, m.definition), m.method ? h('p', { class: 'muted small' }, `Method: ${m.method}`) : null,
        parts.length ? h('p', { class: 'muted small', 'data-testid': 'cap-metric-parts' }, `From ${parts.join(', ')}.`) : null)
      : h('span', {}, labelOf(name));
    const edited = m.edited ? editedBadge(m, history) : null;
    rows.append(h('tr', { 'data-testid': 'cap-metric', 'data-name': name, 'data-edited': m.edited ? 'true' : null },
      h('td', { class: 'cap-metric-name' }, definition),
      h('td', {}, h('span', { class: 'cap-value', 'data-testid': 'cap-metric-value', 'data-value': m.value_cm }, withUncertainty(m)),
        m.edited && Number.isFinite(Number(m.original_cm)) ? h('span', { class: 'muted small' }, ` measured ${cm(m.original_cm)}`) : null,
        edited ? ' ' : null, edited),
      h('td', {}, confidenceMeter(m.confidence, labelOf(name).toLowerCase())),
      h('td', {}, edit)), editorRow);
  }
  return h('section', { class: 'card' },
    h('div', { class: 'card-head' }, h('h2', {}, 'Measurements'),
      results.shape ? h('span', { class: 'muted small' }, `Body shape: ${results.shape}`) : null),
    names.length ? scrollBox('Measurements', h('table', { class: 'table cap-metrics-table' },
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Measurement'), h('th', { scope: 'col' }, 'Value'),
        h('th', { scope: 'col' }, 'Confidence'), h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Change')))),
      rows)) : h('p', { class: 'muted' }, 'No measurements could be made.'),
    canEdit && names.length ? h('p', { class: 'muted small' },
      'Measured it yourself with a tape? Correct a figure: the original stays, and a tailor approves the change.') : null);
}

// "edited by you · pending": opens the history at the edit.
function editedBadge(m, history) {
  const who = m.edited_by && m.edited_by === myId() ? 'edited by you' : 'edited';
  const b = h('button', { type: 'button', class: `badge cap-edited cap-edit-${m.edit_status ?? 'pending'}`, 'data-testid': 'cap-edited-badge',
    'data-adjustment': m.adjustment_id, title: m.note ? `Note: ${m.note}` : null }, `${who} · ${m.edit_status ?? 'pending'}`);
  b.addEventListener('click', () => history.open(m.adjustment_id));
  return b;
}

// The editor of one figure: a slider ±15 % around its value, the exact number, a note; PATCH …/metrics.
function editor(id, name, m, { onSaved, onCancel }) {
  const value = Number(m.value_cm);
  const round = (x) => Math.round(x * 10) / 10;
  const label = labelOf(name).toLowerCase();
  const slider = h('input', { type: 'range', min: round(value * (1 - SLIDER_SPAN)), max: round(value * (1 + SLIDER_SPAN)),
    step: 0.1, value, 'data-testid': 'cap-edit-slider' });
  // Named as the API's validation errors name the figure (details.fields.<name>).
  const number = h('input', { type: 'number', name, min: round(value * 0.5), max: round(value * 2), step: 0.1, value, inputmode: 'decimal',
    'data-testid': 'cap-edit-value' });
  const note = h('textarea', { name: 'note', rows: 2, maxlength: 2000, 'data-testid': 'cap-edit-note' });
  const error = h('div', { class: 'form-error', role: 'alert', hidden: true, 'data-testid': 'cap-edit-error' });
  const save = h('button', { type: 'submit', class: 'primary', 'data-testid': 'cap-edit-save' }, 'Save');
  const cancel = h('button', { type: 'button' }, 'Cancel');
  const change = h('p', { class: 'muted small', 'aria-live': 'polite' });
  const show = (v) => {
    slider.setAttribute('aria-valuetext', `${v} cm`);
    const d = round(v - value);
    change.textContent = d === 0 ? `Unchanged: ${cm(value)}.` : `${cm(value)} → ${cm(v)} (${d > 0 ? '+' : ''}${d} cm).`;
  };
  slider.addEventListener('input', () => { number.value = slider.value; show(Number(slider.value)); });
  number.addEventListener('input', () => {
    if (number.value !== '' && Number.isFinite(Number(number.value))) {
      slider.value = number.value;
      show(round(Number(number.value)));
    }
  });
  cancel.addEventListener('click', onCancel);
  show(value);
  const form = h('form', { class: 'cap-editor', novalidate: true, 'data-testid': 'cap-editor', 'data-name': name }, error,
    h('div', { class: 'field-row' },
      field(`New ${label} (slider, ±15 %)`, slider),
      field(`New ${label} in cm`, number, 'Up to half or double the measured figure.')),
    change,
    field('Note for the tailor', note, 'How you measured it, for example: tape at the navel, relaxed.'),
    h('div', { class: 'cap-buttons' }, save, cancel));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    showFormError(error, null);
    markFields(form, null);
    const v = round(Number(number.value));
    if (!Number.isFinite(v) || v <= 0) {
      showFormError(error, { status: -1, message: 'Give the figure in cm.' });
      return;
    }
    save.disabled = true;
    try {
      const body = { metrics: { [name]: v } };
      if (note.value.trim()) body.note = note.value.trim();
      onSaved(await api(`/api/v1/capture/${encodeURIComponent(id)}/metrics`, { method: 'PATCH', body }));
    } catch (err) {
      showFormError(error, err);
      markFields(form, err);
      save.disabled = false;
    }
  });
  return form;
}

// The annotated photos: keypoints, silhouette, card and measurement lines, drawn by the server.
function photosCard(results, photos) {
  const views = ['front', 'side'].filter((v) => results.photos?.[v] || results.calibration?.views?.[v]);
  const figures = views.map((view) => {
    const img = h('img', { class: 'cap-annotated', alt: `${view === 'front' ? 'Front' : 'Side'} photo with the keypoints, silhouette, card and measurement lines`,
      'data-testid': `cap-annotated-${view}` });
    const caption = h('figcaption', { class: 'muted small' }, view === 'front' ? 'Front' : 'Side');
    const path = `${capturePath(results.capture_id)}/images/annotated_${view}`;
    photos.show(img, path).catch((err) => {
      img.replaceWith(h('p', { class: 'muted', 'data-testid': `cap-annotated-${view}-missing` }, `No annotated photo: ${errorText(err)}`));
    });
    return h('figure', { class: 'cap-figure' }, img, caption);
  });
  return h('section', { class: 'card' }, h('h2', {}, 'Photos'),
    figures.length ? h('div', { class: 'cap-figures' }, figures)
      : h('p', { class: 'muted' }, 'Measured on the device: no photos.'),
    figures.length ? h('p', { class: 'muted small' },
      'Green dots: keypoints; orange: the silhouette; blue: the card; red: where each figure was measured.') : null);
}

// The skin tone: its colour beside the ten Monk swatches, the matched one marked; ITA° and its category.
function skinCard(skin) {
  if (!skin) {
    return h('section', { class: 'card' }, h('h2', {}, 'Skin tone'),
      h('p', { class: 'muted', 'data-testid': 'cap-skin-missing' }, 'Not measured (no face or forearm was found, or no photos).'));
  }
  const swatch = h('span', { class: 'cap-swatch cap-swatch-large', 'data-testid': 'cap-skin-swatch', role: 'img',
    'aria-label': `Measured skin colour ${skin.hex}` });
  swatch.style.backgroundColor = skin.hex;
  const scale = h('ol', { class: 'cap-monk', 'aria-label': 'Monk skin tone scale' }, MONK.map((hex, i) => {
    const n = i + 1;
    const matched = n === Number(skin.monk);
    const li = h('li', { class: matched ? 'cap-monk-match' : null, 'data-testid': 'cap-monk-swatch', 'data-monk': n,
      'data-matched': matched ? 'true' : null, 'aria-current': matched ? 'true' : null, title: `Monk ${n}, #${hex}` },
      String(n), matched ? h('span', { class: 'visually-hidden' }, ' (the nearest)') : null);
    li.style.backgroundColor = `#${hex}`;
    li.style.color = textOn(hex);
    return li;
  }));
  return h('section', { class: 'card', 'data-testid': 'cap-skin' }, h('h2', {}, 'Skin tone'),
    h('div', { class: 'cap-skin-row' }, swatch, h('dl', { class: 'facts' },
      fact('Colour', h('code', {}, skin.hex)),
      fact('Monk scale', h('span', { 'data-testid': 'cap-monk' }, `${skin.monk} (ΔE ${fixed(skin.monk_delta_e, 1)})`)),
      fact('ITA', h('span', { 'data-testid': 'cap-ita' }, `${fixed(skin.ita, 1)}° (${skin.ita_category})`)),
      fact('Undertone', skin.undertone ?? '–'))),
    scale);
}

// The quality: overall confidence, and whether (and why) a person should look at it.
function qualityCard(q = {}) {
  const reasons = q.review_reasons ?? [];
  return h('section', { class: 'card', 'data-testid': 'cap-quality' }, h('h2', {}, 'Quality'),
    h('dl', { class: 'facts' },
      fact('Overall confidence', confidenceMeter(q.overall_confidence, 'all measurements')),
      q.overall_confidence_measured !== undefined && q.overall_confidence_measured !== q.overall_confidence
        ? fact('As measured', percent(q.overall_confidence_measured)) : null,
      q.pose_quality !== undefined ? fact('Pose', percent(q.pose_quality)) : null),
    q.needs_review
      ? h('div', { class: 'cap-review', 'data-testid': 'cap-needs-review' }, h('p', {}, h('strong', {}, 'Needs review'),
        reasons.length ? ':' : '.'), reasons.length ? h('ul', {}, reasons.map((r) => h('li', {}, String(r).replaceAll('_', ' ')))) : null)
      : h('p', { class: 'good small' }, 'No review needed.'),
    q.edited?.length ? h('p', { class: 'small' }, `Edited: ${q.edited.map(labelOf).join(', ')}.`) : null);
}

// The card: found or not, the scale it gives, per photo.
function calibrationCard(c) {
  if (!c || !Object.keys(c).length) return null;
  const views = Object.entries(c.views ?? {});
  return h('section', { class: 'card', 'data-testid': 'cap-calibration' }, h('h2', {}, 'Calibration'),
    views.length ? h('table', { class: 'table cap-calibration-table' },
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Photo'), h('th', { scope: 'col' }, 'Card'),
        h('th', { scope: 'col', class: 'num' }, 'px/mm'), h('th', { scope: 'col', class: 'num' }, 'Tilt'))),
      h('tbody', {}, views.map(([view, v]) => h('tr', {},
        h('td', {}, view),
        h('td', {}, v.card_detected ? 'found' : h('span', { class: 'bad' }, `not found${v.refused ? ` (${v.refused})` : ''}`)),
        h('td', { class: 'num' }, v.card_detected ? `${fixed(v.px_per_mm, 3)} ± ${fixed(v.px_per_mm_uncertainty, 3)}` : '–'),
        h('td', { class: 'num' }, v.card_detected ? `${fixed(v.tilt_degrees, 1)}°` : '–')))))
      : h('p', { class: 'muted' }, c.source === 'client' ? 'Measured on the device.' : 'No card information.'),
    c.white_balance?.method ? h('p', { class: 'muted small' }, `White balance: ${c.white_balance.method}.`) : null);
}

// The history: a timeline of every measuring run and edit, read when it is opened.
function historyCard(id) {
  const list = h('ol', { class: 'timeline cap-history', 'data-testid': 'cap-history' });
  const status = h('p', { class: 'muted small', 'aria-live': 'polite' });
  const details = h('details', { class: 'card', 'data-testid': 'cap-history-card' }, h('summary', {}, 'History of measurements and edits'),
    status, list);
  let loaded = null;
  const load = () => {
    loaded ??= api(`${capturePath(id)}/metrics/history`).then((got) => {
      list.replaceChildren(...got.items.map(item));
      status.textContent = got.items.length ? '' : 'Nothing yet.';
    }).catch((err) => {
      loaded = null;
      status.textContent = `Cannot read the history: ${errorText(err)}`;
    });
    return loaded;
  };
  details.addEventListener('toggle', () => { if (details.open) load(); });
  return {
    el: details,
    async open(adjustmentId) {
      details.open = true;
      await load();
      const at = adjustmentId ? list.querySelector(`[data-adjustment="${CSS.escape(adjustmentId)}"]`) : null;
      (at ?? details).scrollIntoView({ block: 'nearest' });
      (at ?? details.querySelector('summary')).focus();
    },
  };
}

function item(i) {
  const who = i.by && i.by === myId() ? 'you' : i.by ? shortId(i.by) : 'the pipeline';
  if (i.type === 'measurement') {
    const n = Object.keys(i.metrics ?? {}).length;
    return h('li', { class: 'cap-history-item', 'data-testid': 'cap-history-item', 'data-type': 'measurement' },
      h('time', { datetime: i.at }, formatTime(i.at)), ' ',
      h('strong', {}, `Measured (version ${i.version}, ${i.origin})`), ` by ${who}: ${n} figure${n === 1 ? '' : 's'}.`);
  }
  const changes = Object.entries(i.changes ?? {}).map(([name, c]) => `${labelOf(name)} ${cm(c.from)} → ${cm(c.to)}`);
  const decided = i.decided_at ? ` (${i.status} ${formatTime(i.decided_at)}${i.decided_by ? ` by ${i.decided_by === myId() ? 'you' : shortId(i.decided_by)}` : ''})` : '';
  return h('li', { class: 'cap-history-item', tabindex: -1, 'data-testid': 'cap-history-item', 'data-type': 'edit',
    'data-adjustment': i.id, 'data-status': i.status },
    h('time', { datetime: i.at }, formatTime(i.at)), ' ', h('strong', {}, `Edited by ${who}`), `: ${changes.join(', ')}. `,
    h('span', { class: `badge cap-edit-${i.status}` }, i.status), decided,
    i.note ? h('p', { class: 'small cap-note' }, `Note: ${i.note}`) : null);
}
