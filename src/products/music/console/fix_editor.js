// The fix editor of the map viewer (map_view.js): a fixer's changes to one map version — notes to delete, lanes
// to change, notes to add, the bpm — kept by index of the version's notes; the tables where they are made (the
// uncertain notes, and the notes of a window of time); and the form that sends them as an RFC 6902 JSON Patch
// (map_model.js) with a comment (POST /api/v1/maps/{id}/edits), showing the validator's problems when refused.

import { api } from '/console/api.js';
import { h, prettyJson, shortId, showFormError } from '/console/dom.js';
import { clock, field, fixed, mapPath, percent, scrollBox } from './common.js';
import { LANES, buildPatch, changeCount, isUncertain, lanesOf, newChanges, notesBetween, uncertainIndices } from './map_model.js';

const WINDOW_S = 2;

// The changes, and who is told when they change. `file` is the version as stored; `editable` says whether
// this caller may fix it here.
export function fixEditor(file, editable) {
  const notes = file.notes ?? [];
  const changes = newChanges();
  const listeners = [];
  const editor = {
    file,
    notes,
    editable,
    changes,
    uncertain: uncertainIndices(notes),
    onChange(fn) { listeners.push(fn); },
    changed() { for (const fn of listeners) fn(); },
    patch: () => buildPatch(file, changes),
    toggleDelete(i) {
      if (changes.deleted.has(i)) changes.deleted.delete(i);
      else changes.deleted.add(i);
      editor.changed();
    },
    setLane(i, lane) {
      if (lane === notes[i].lane) changes.lanes.delete(i);
      else changes.lanes.set(i, lane);
      editor.changed();
    },
    reset() {
      changes.deleted.clear();
      changes.lanes.clear();
      changes.added.length = 0;
      changes.bpm = null;
      editor.changed();
    },
    // The notes as the timeline draws them: each note on its (new) lane, marked deleted or moved, then the new ones.
    viewNotes() {
      const out = notes.map((n, i) => ({ ...n, index: i, lane: changes.lanes.get(i) ?? n.lane,
        kind: changes.deleted.has(i) ? 'deleted' : changes.lanes.has(i) ? 'moved' : 'base', selected: changes.deleted.has(i) }));
      changes.added.forEach((n, k) => out.push({ ...n, index: k, kind: 'added' }));
      return out;
    },
  };
  return editor;
}

// The uncertain notes and the notes of a window of time, each a row with its lane (a select) and "delete".
// `player` seeks the recording and the timeline: seek(t), currentTime(), show(t).
export function noteCards(editor, player) {
  const { notes, uncertain } = editor;
  const uncertainBody = h('tbody', { 'data-testid': 'mu-uncertain-list' });
  const uncertainCard = h('section', { class: 'card', 'aria-labelledby': 'mu-uncertain-title' },
    h('h2', { id: 'mu-uncertain-title' }, `Uncertain notes (${uncertain.length})`),
    h('p', { class: 'small muted' }, 'Notes the generator was less than 50 % sure of: check these first.'),
    uncertain.length ? scrollBox('Uncertain notes', noteTable(uncertainBody))
      : h('p', { class: 'muted', 'data-testid': 'mu-uncertain-empty' }, 'No uncertain notes.'));
  const from = h('input', { type: 'number', min: 0, step: 0.1, value: '0', name: 'from', 'data-testid': 'mu-window-from' });
  const atPlayhead = h('button', { type: 'button', class: 'small-button', 'data-testid': 'mu-window-playhead' }, 'At the playhead');
  const windowBody = h('tbody', { 'data-testid': 'mu-window-list' });
  const windowNote = h('p', { class: 'muted small', 'aria-live': 'polite' });
  const windowCard = h('section', { class: 'card', 'aria-labelledby': 'mu-window-title' },
    h('h2', { id: 'mu-window-title' }, 'Notes by time'),
    h('div', { class: 'mu-controls' }, field(`From (s), ${WINDOW_S} s shown`, from), atPlayhead),
    scrollBox('Notes by time', noteTable(windowBody)), windowNote);

  const renderWindow = () => {
    const start = Math.max(0, Number(from.value) || 0);
    const rows = notesBetween(notes, start, start + WINDOW_S);
    windowBody.replaceChildren(...rows.map(([i]) => noteRow(editor, i)));
    windowNote.textContent = `${rows.length} notes from ${clock(start)} to ${clock(start + WINDOW_S)}.`;
  };
  const render = () => {
    uncertainBody.replaceChildren(...uncertain.map((i) => noteRow(editor, i)));
    renderWindow();
  };
  from.addEventListener('input', () => { renderWindow(); player.show(Number(from.value) || 0); });
  atPlayhead.addEventListener('click', () => { from.value = Math.max(0, player.currentTime() - 0.2).toFixed(1); renderWindow(); });
  for (const body of [uncertainBody, windowBody]) {
    body.addEventListener('click', (e) => {
      if (e.target.matches('[data-testid=mu-note-seek]')) player.seek(Number(e.target.closest('tr').dataset.t));
    });
  }
  editor.onChange(render);
  return [uncertainCard, windowCard];
}

function noteTable(body) {
  return h('table', { class: 'table mu-notes' },
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Time'), h('th', { scope: 'col' }, 'Lane'), h('th', { scope: 'col', class: 'num' }, 'Velocity'),
      h('th', { scope: 'col', class: 'num' }, 'Confidence'), h('th', { scope: 'col' }, 'Delete'))),
    body);
}

// A row per note: time (seeks there), lane (a select where lanes change), velocity, confidence, and "delete".
function noteRow(editor, i) {
  const { notes, changes, editable } = editor;
  const n = notes[i];
  const del = h('input', { type: 'checkbox', 'data-testid': 'mu-note-delete', 'aria-label': `Delete the ${n.lane} note at ${clock(n.t)}`,
    checked: changes.deleted.has(i), disabled: !editable });
  del.addEventListener('change', () => editor.toggleDelete(i));
  let laneCell = n.lane;
  if (editable) {
    laneCell = h('select', { 'data-testid': 'mu-note-lane', 'aria-label': `Lane of the note at ${clock(n.t)}` },
      lanesOf([n], LANES).map((l) => h('option', { value: l, selected: l === (changes.lanes.get(i) ?? n.lane) }, l)));
    laneCell.addEventListener('change', () => editor.setLane(i, laneCell.value));
  }
  return h('tr', { 'data-testid': 'mu-note-row', 'data-index': i, 'data-lane': n.lane, 'data-t': n.t,
    class: changes.deleted.has(i) ? 'mu-row-deleted' : undefined },
  h('td', {}, h('button', { type: 'button', class: 'link', 'data-testid': 'mu-note-seek' }, clock(n.t))),
  h('td', {}, laneCell), h('td', { class: 'num' }, fixed(n.velocity, 2)),
  h('td', { class: `num ${isUncertain(n) ? 'mu-low' : ''}` }, percent(n.confidence ?? 1)), h('td', {}, del));
}

// The form: a note to add, the bpm, the list of changes (each undoable), the comment and the patch; submitting
// sends the fix and calls onSubmitted(edit). suggestAdd(t, lane) fills the note to add (a click on the timeline).
export function fixForm(editor, map, onSubmitted) {
  const { file, changes } = editor;
  const addTime = h('input', { type: 'number', min: 0, step: 0.001, name: 'add_t', 'data-testid': 'mu-add-time' });
  const addLane = h('select', { name: 'add_lane', 'data-testid': 'mu-add-lane' }, LANES.map((l) => h('option', { value: l }, l)));
  const addVelocity = h('input', { type: 'number', min: 0, max: 1, step: 0.05, value: '0.8', name: 'add_velocity', 'data-testid': 'mu-add-velocity' });
  const addButton = h('button', { type: 'button', 'data-testid': 'mu-add-note' }, 'Add the note');
  const bpm = h('input', { type: 'number', min: 20, max: 400, step: 0.01, value: String(file.bpm ?? ''), name: 'bpm', 'data-testid': 'mu-bpm' });
  const changeList = h('ul', { class: 'mu-changes', 'data-testid': 'mu-changes' });
  const comment = h('textarea', { rows: 3, name: 'comment', maxlength: 4000, 'data-testid': 'mu-fix-comment' });
  const patchView = h('pre', { 'data-testid': 'mu-patch' });
  const error = h('div', { class: 'form-error', role: 'alert', hidden: true, 'data-testid': 'mu-fix-error' });
  const done = h('p', { 'aria-live': 'polite', 'data-testid': 'mu-fix-status' });
  const submit = h('button', { type: 'submit', class: 'primary', disabled: true, 'data-testid': 'mu-fix-submit' }, 'Submit the fix');
  const form = h('form', { novalidate: true, 'data-testid': 'mu-fix-form' },
    h('fieldset', { class: 'mu-fieldset' }, h('legend', {}, 'Add a note'),
      h('div', { class: 'mu-controls' }, field('Time (s)', addTime), field('Lane', addLane), field('Velocity (0–1)', addVelocity), addButton)),
    h('div', { class: 'mu-controls' }, field('BPM', bpm, 'Change it only if the beat grid is off.')),
    h('h3', { class: 'mu-sub' }, 'Changes'), changeList,
    field('Comment for the verifiers', comment),
    h('details', {}, h('summary', {}, 'The JSON Patch'), patchView),
    error, done, submit);

  addButton.addEventListener('click', () => {
    const t = Number(addTime.value);
    const v = Number(addVelocity.value);
    if (addTime.value === '' || !Number.isFinite(t) || t < 0 || !(v >= 0 && v <= 1)) {
      showFormError(error, { status: -1, message: 'A note needs a time (s, 0 or more) and a velocity between 0 and 1.',
        fields: { add_t: 'a time in seconds', add_velocity: '0 to 1' } });
      return;
    }
    showFormError(error, null);
    changes.added.push({ t: Math.round(t * 1000) / 1000, lane: addLane.value, velocity: v, confidence: 1 });
    editor.changed();
  });
  bpm.addEventListener('change', () => {
    const v = Number(bpm.value);
    changes.bpm = bpm.value === '' || !Number.isFinite(v) || v === file.bpm ? null : v;
    editor.changed();
  });
  editor.onChange(() => {
    changeList.replaceChildren(...changeItems(editor, () => { bpm.value = String(file.bpm ?? ''); }));
    const patch = editor.patch();
    patchView.textContent = prettyJson(patch);
    submit.disabled = patch.length === 0;
    done.textContent = changeCount(changes) ? `${patch.length} operation${patch.length === 1 ? '' : 's'} in the patch.` : '';
  });

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const patch = editor.patch();
    if (!patch.length) return;
    showFormError(error, null);
    submit.disabled = true;
    done.textContent = 'Sending the fix…';
    try {
      const edit = await api(`${mapPath(map.id)}/edits`, { method: 'POST', body: { patch, comment: comment.value.trim() } });
      comment.value = '';
      bpm.value = String(file.bpm ?? '');
      editor.reset();
      done.replaceChildren('Fix submitted: ', h('strong', { 'data-testid': 'mu-fix-edit', 'data-id': edit.id, 'data-status': edit.status }, edit.status),
        ` (fix ${shortId(edit.id)}). A verifier reviews it next.`);
      onSubmitted(edit);
    } catch (err) {
      done.textContent = '';
      // The map's validator names each problem ("notes[3].lane: unknown lane"): all of them are shown.
      const problems = err.details?.problems;
      showFormError(error, err);
      if (Array.isArray(problems) && problems.length > 1) error.append(h('ul', {}, problems.map((p) => h('li', {}, p))));
      submit.disabled = false;
    }
  });
  return {
    form,
    suggestAdd(t, lane) {
      addTime.value = t.toFixed(3);
      addLane.value = LANES.includes(lane) ? lane : 'kick';
      addTime.focus();
    },
  };
}

// The changes as a list, each with its "Undo"; resetBpm puts the bpm field back when its change is undone.
function changeItems(editor, resetBpm) {
  const { notes, changes, file } = editor;
  const items = [];
  const item = (text, undo, attrs) => {
    const b = h('button', { type: 'button', class: 'small-button', 'aria-label': `Undo: ${text}` }, 'Undo');
    b.addEventListener('click', undo);
    items.push(h('li', { 'data-testid': 'mu-change', ...attrs }, `${text} `, b));
  };
  for (const i of [...changes.deleted].sort((a, b) => a - b)) {
    item(`Delete the ${notes[i].lane} note at ${clock(notes[i].t)}`, () => editor.toggleDelete(i), { 'data-kind': 'delete', 'data-index': i });
  }
  for (const [i, lane] of changes.lanes) {
    if (changes.deleted.has(i)) continue;
    item(`Move the note at ${clock(notes[i].t)} from ${notes[i].lane} to ${lane}`, () => editor.setLane(i, notes[i].lane), { 'data-kind': 'lane', 'data-index': i });
  }
  changes.added.forEach((n, k) => item(`Add a ${n.lane} note at ${clock(n.t)} (velocity ${fixed(n.velocity, 2)})`,
    () => { changes.added.splice(k, 1); editor.changed(); }, { 'data-kind': 'add' }));
  if (changes.bpm !== null) {
    item(`BPM ${fixed(file.bpm, 2)} → ${fixed(changes.bpm, 2)}`, () => { changes.bpm = null; resetBpm(); editor.changed(); }, { 'data-kind': 'bpm' });
  }
  return items.length ? items : [h('li', { class: 'muted' }, 'No changes yet.')];
}
