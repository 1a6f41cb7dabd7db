// Songs › a map (#/music.songs?map=<id>[&difficulty=][&lookup_id=]): the map viewer and the fix editor.
//
// The viewer reads the map (GET /api/v1/maps/{id}: state, versions) and its file (…/content, at ?difficulty=,
// ported onto the recording a lookup identified with ?lookup_id=), draws it on the timeline, lists the uncertain
// notes (confidence < 0.5) where a fixer starts, and plays the recording (a signed link of the song's upload, or
// the percussive stem) with a moving playhead. The stem has a link of its own.
//
// A fix is written against the version shown, as stored (expert, not ported): notes to delete, lanes to change,
// notes to add and the bpm, made into an RFC 6902 JSON Patch (map_model.js) and sent with a comment
// (POST /api/v1/maps/{id}/edits). The map's fixes are listed below (GET /api/v1/maps/{id}/edits).

import { api, query } from '/console/api.js';
import { formatTime, h, prettyJson, shortId, showFormError } from '/console/dom.js';
import {
  canContribute, clock, count, errorText, field, fixed, isAdmin, mapHash, mapPath, myId, percent, scrollBox, songHash, songPath, stateBadge,
} from './common.js';
import {
  DIFFICULTIES, LANES, buildPatch, changeCount, durationOf, isUncertain, lanesOf, newChanges, notesBetween,
  uncertainIndices,
} from './map_model.js';
import { ZOOMS, initialZoom, timeline } from './timeline.js';

const WINDOW_S = 2;

export function mountMap(container, id, params) {
  const difficultyAsked = params.get('difficulty');
  const lookupId = params.get('lookup_id');
  const root = h('div', { class: 'page mu-map', 'data-testid': 'mu-map', 'data-id': id });
  const status = h('p', { class: 'muted', 'aria-live': 'polite', 'data-testid': 'mu-map-status' }, 'Reading the map…');
  root.append(h('p', { class: 'crumbs' }, h('a', { href: '#/music.songs' }, '← Songs')), status);
  container.append(root);
  let released = false;
  const cleanups = [];

  (async () => {
    let map;
    let file;
    let difficulty;
    try {
      map = await api(mapPath(id));
      difficulty = difficultyAsked || map.difficulty || 'expert';
      file = await api(`${mapPath(id)}/content${query({ difficulty, lookup_id: lookupId })}`);
    } catch (err) {
      if (released) return;
      status.textContent = `Cannot read the map: ${errorText(err)}`;
      status.className = 'bad';
      status.setAttribute('role', 'alert');
      return;
    }
    if (released) return;
    status.remove();
    const song = await api(songPath(map.song_id)).catch(() => null);
    if (released) return;
    const view = buildViewer(root, { map, file, difficulty, song, lookupId });
    cleanups.push(view.release);
  })();

  return () => {
    released = true;
    for (const c of cleanups) c();
  };
}

function buildViewer(root, { map, file, difficulty, song, lookupId }) {
  const notes = file.notes ?? [];
  const editable = canContribute() && !lookupId && difficulty === (map.difficulty || 'expert')
    && (map.state === 'unverified' || map.state === 'verified');
  const changes = newChanges();
  const uncertain = uncertainIndices(notes);
  let released = false;

  // Header: the song, the version, its state and figures, the difficulty, the versions.
  const diffSelect = h('select', { 'data-testid': 'mu-difficulty', name: 'difficulty' },
    DIFFICULTIES.map((d) => h('option', { value: d, selected: d === difficulty }, d)));
  diffSelect.addEventListener('change', () => { location.hash = mapHash(map.id, { difficulty: diffSelect.value, lookup_id: lookupId }); });
  const pps = initialZoom(durationOf(file));
  const zoom = h('select', { 'data-testid': 'mu-zoom' }, ZOOMS.map((z) => h('option', { value: z.pps, selected: z.pps === pps }, z.label)));
  const title = song ? `${song.title} — ${song.artist}` : (file.song?.title ?? `Song ${shortId(map.song_id)}`);
  const facts = h('dl', { class: 'facts', 'data-testid': 'mu-map-facts' },
    fact('Version', `v${map.version}`), fact('State', stateBadge(map.state, { 'data-testid': 'mu-map-state' })),
    fact('BPM', fixed(file.bpm, 1), 'mu-map-bpm'), fact('Notes', String(notes.length), 'mu-map-notes'),
    fact('Uncertain', String(uncertain.length), 'mu-map-uncertain'), fact('Difficulty', difficulty),
    fact('Source', map.source ?? '–'), fact('Created', formatTime(map.created_at)));
  const versions = h('ol', { class: 'mu-versions', 'data-testid': 'mu-versions' }, (map.versions ?? []).map((v) => h('li', {},
    v.id === map.id ? h('strong', { 'aria-current': 'true' }, `v${v.version}`) : h('a', { href: mapHash(v.id) }, `v${v.version}`),
    ` ${v.state} · ${v.source}${v.edit_id ? ' (a fix)' : ''} · ${formatTime(v.created_at)}`)));
  const ported = file.ported ? h('p', { class: 'small', 'data-testid': 'mu-ported' },
    `Ported onto your recording: offset ${fixed(file.ported.offset_s, 2)} s, speed ×${fixed(file.ported.ratio, 3)}.`) : null;
  root.append(h('section', { class: 'card' },
    h('div', { class: 'card-head' }, h('h2', { 'data-testid': 'mu-map-title' }, `Drum map of ${title}`),
      song ? h('a', { href: songHash(song.id), class: 'small' }, 'The song') : null),
    facts, ported,
    h('div', { class: 'mu-controls' }, field('Difficulty', diffSelect), field('Zoom', zoom)),
    h('details', {}, h('summary', {}, `Versions (${(map.versions ?? []).length})`), versions)));

  // The player and the timeline.
  const audio = h('audio', { controls: true, preload: 'auto', class: 'mu-audio', 'data-testid': 'mu-audio' });
  const audioNote = h('p', { class: 'muted small', 'aria-live': 'polite', 'data-testid': 'mu-audio-status' }, 'Getting a link to the recording…');
  const stemButton = h('button', { type: 'button', class: 'small-button', 'data-testid': 'mu-stem', disabled: !map.has_stem }, 'Percussive stem');
  const stemLine = h('span', { class: 'small', 'aria-live': 'polite', 'data-testid': 'mu-stem-status' }, map.has_stem ? '' : ' (no stem kept)');
  const tl = timeline({
    label: `Drum map v${map.version}`,
    onNote: (i, kind) => { if (editable && kind !== 'added') toggleDelete(i); },
    onEmpty: (t, lane) => { if (editable) { addTime.value = t.toFixed(3); addLane.value = LANES.includes(lane) ? lane : 'kick'; addTime.focus(); } },
  });
  root.append(h('section', { class: 'card' },
    h('div', { class: 'card-head' }, h('h2', {}, 'Timeline'), h('span', { class: 'muted small' },
      editable ? 'Click a note to mark it for deletion; click a lane to add a note there.' : '')),
    h('div', { class: 'mu-player' }, audio, h('div', {}, stemButton, stemLine)), audioNote, tl.el,
    h('p', { class: 'small mu-legend' }, h('span', { class: 'mu-key mu-key-note' }, 'note'), h('span', { class: 'mu-key mu-key-uncertain' }, 'uncertain'),
      h('span', { class: 'mu-key mu-key-deleted' }, 'to delete'), h('span', { class: 'mu-key mu-key-added' }, 'to add'))));
  tl.setZoom(pps);
  zoom.addEventListener('change', () => { tl.setZoom(Number(zoom.value)); redraw(); });

  // The recording: the upload of the lookup (ported) or the song's; the stem when it cannot be shared.
  (async () => {
    const objectId = file.audio?.object_id ?? song?.object_id;
    try {
      let link = null;
      if (lookupId) {
        const l = await api(`/api/v1/songs/lookups/${encodeURIComponent(lookupId)}`);
        link = await api(`/api/v1/objects/${encodeURIComponent(l.object_id)}/share`, { method: 'POST', body: {} });
        audioNote.textContent = 'Your recording, with the map ported onto it.';
      } else if (objectId && (song?.created_by === myId() || isAdmin())) {
        // An upload is its uploader's (and admins'): others play the stem instead.
        link = await api(`/api/v1/objects/${encodeURIComponent(objectId)}/share`, { method: 'POST', body: {} }).catch(() => null);
        if (link) audioNote.textContent = "The song's recording.";
      }
      if (!link && map.has_stem) {
        link = await api(`${mapPath(map.id)}/stem`);
        audioNote.textContent = 'The percussive stem (the recording is its uploader\'s).';
      }
      if (released) return;
      if (!link) { audioNote.textContent = 'No recording to play.'; return; }
      audio.src = link.url;
      audio.dataset.src = link.url;
    } catch (err) {
      if (!released) audioNote.textContent = `The recording cannot be played: ${errorText(err)}`;
    }
  })();
  stemButton.addEventListener('click', async () => {
    stemButton.disabled = true;
    try {
      const link = await api(`${mapPath(map.id)}/stem`);
      stemLine.replaceChildren(' ', h('a', { href: link.url, 'data-testid': 'mu-stem-link', download: `stem-${shortId(map.id)}.wav` }, 'Download the stem (WAV)'),
        h('span', { class: 'muted' }, ` valid until ${new Date(link.expires_at).toLocaleString()}`));
    } catch (err) {
      stemLine.textContent = ` ${errorText(err)}`;
    } finally {
      stemButton.disabled = false;
    }
  });
  let frame = 0;
  const follow = () => { tl.playhead(audio.currentTime); frame = audio.paused ? 0 : requestAnimationFrame(follow); };
  audio.addEventListener('play', () => { cancelAnimationFrame(frame); frame = requestAnimationFrame(follow); });
  audio.addEventListener('seeked', () => tl.playhead(audio.currentTime));
  audio.addEventListener('timeupdate', () => { if (!frame) tl.playhead(audio.currentTime); });

  // The uncertain notes, and the notes of a window of time: where deletions and lane changes are made.
  const uncertainBody = h('tbody', { 'data-testid': 'mu-uncertain-list' });
  const uncertainEmpty = h('p', { class: 'muted', hidden: uncertain.length > 0, 'data-testid': 'mu-uncertain-empty' }, 'No uncertain notes.');
  root.append(h('section', { class: 'card', 'aria-labelledby': 'mu-uncertain-title' },
    h('h2', { id: 'mu-uncertain-title' }, `Uncertain notes (${uncertain.length})`),
    h('p', { class: 'small muted' }, 'Notes the generator was less than 50 % sure of: check these first.'),
    uncertain.length ? scrollBox('Uncertain notes', noteTable(uncertainBody, editable)) : null, uncertainEmpty));
  const from = h('input', { type: 'number', min: 0, step: 0.1, value: '0', name: 'from', 'data-testid': 'mu-window-from' });
  const atPlayhead = h('button', { type: 'button', class: 'small-button', 'data-testid': 'mu-window-playhead' }, 'At the playhead');
  const windowBody = h('tbody', { 'data-testid': 'mu-window-list' });
  const windowNote = h('p', { class: 'muted small', 'aria-live': 'polite' });
  root.append(h('section', { class: 'card', 'aria-labelledby': 'mu-window-title' },
    h('h2', { id: 'mu-window-title' }, 'Notes by time'),
    h('div', { class: 'mu-controls' }, field(`From (s), ${WINDOW_S} s shown`, from), atPlayhead),
    scrollBox('Notes by time', noteTable(windowBody, editable)), windowNote));
  from.addEventListener('input', () => { renderWindow(); tl.show(Number(from.value) || 0); });
  atPlayhead.addEventListener('click', () => { from.value = Math.max(0, audio.currentTime - 0.2).toFixed(1); renderWindow(); });

  // The fix: what changes, the notes to add, the bpm, the comment, the patch.
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
    field('BPM', bpm, 'Change it only if the beat grid is off.'),
    h('h3', { class: 'mu-sub' }, 'Changes'), changeList,
    field('Comment for the verifiers', comment),
    h('details', {}, h('summary', {}, 'The JSON Patch'), patchView),
    error, done, submit);
  const fixCard = h('section', { class: 'card', 'aria-labelledby': 'mu-fix-title', 'data-testid': 'mu-fix' },
    h('h2', { id: 'mu-fix-title' }, 'Submit a fix'));
  if (editable) {
    fixCard.append(h('p', { class: 'small muted' }, `Against version ${map.version} as stored. Verifiers review it before it becomes the next version.`), form);
  } else {
    fixCard.append(h('p', { class: 'muted', 'data-testid': 'mu-fix-closed' }, !canContribute() ? 'Your role may look at maps, not fix them.'
      : lookupId ? 'This is the map ported onto your recording: open the map itself to fix it.'
        : difficulty !== (map.difficulty || 'expert') ? `Fixes are written against the ${map.difficulty || 'expert'} map: switch the difficulty to fix it.`
          : `A ${map.state} map cannot be fixed.`,
    lookupId || difficulty !== (map.difficulty || 'expert') ? h('span', {}, ' ', h('a', { href: mapHash(map.id) }, 'Open it')) : null));
  }
  root.append(fixCard);

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
    changed();
  });
  bpm.addEventListener('change', () => {
    const v = Number(bpm.value);
    changes.bpm = bpm.value === '' || !Number.isFinite(v) || v === file.bpm ? null : v;
    changed();
  });

  function toggleDelete(i) {
    if (changes.deleted.has(i)) changes.deleted.delete(i);
    else changes.deleted.add(i);
    changed();
  }
  function setLane(i, lane) {
    if (lane === notes[i].lane) changes.lanes.delete(i);
    else changes.lanes.set(i, lane);
    changed();
  }

  // A row per note: time, lane (a select where lanes change), velocity, confidence, and "delete".
  function noteRow(i) {
    const n = notes[i];
    const del = h('input', { type: 'checkbox', 'data-testid': 'mu-note-delete', 'aria-label': `Delete the ${n.lane} note at ${clock(n.t)}`,
      checked: changes.deleted.has(i), disabled: !editable });
    del.addEventListener('change', () => toggleDelete(i));
    let laneCell = n.lane;
    if (editable) {
      laneCell = h('select', { 'data-testid': 'mu-note-lane', 'aria-label': `Lane of the note at ${clock(n.t)}` },
        lanesOf([n], LANES).map((l) => h('option', { value: l, selected: l === (changes.lanes.get(i) ?? n.lane) }, l)));
      laneCell.addEventListener('change', () => setLane(i, laneCell.value));
    }
    return h('tr', { 'data-testid': 'mu-note-row', 'data-index': i, 'data-lane': n.lane, 'data-t': n.t,
      class: changes.deleted.has(i) ? 'mu-row-deleted' : undefined },
    h('td', {}, h('button', { type: 'button', class: 'link', 'data-testid': 'mu-note-seek' }, clock(n.t))),
    h('td', {}, laneCell), h('td', { class: 'num' }, fixed(n.velocity, 2)),
    h('td', { class: `num ${isUncertain(n) ? 'mu-low' : ''}` }, percent(n.confidence ?? 1)), h('td', {}, del));
  }
  function wireSeek(body) {
    body.addEventListener('click', (e) => {
      if (!e.target.matches('[data-testid=mu-note-seek]')) return;
      const t = Number(e.target.closest('tr').dataset.t);
      tl.show(t);
      if (audio.src) audio.currentTime = Math.max(0, t - 0.5);
      tl.playhead(t);
    });
  }
  wireSeek(uncertainBody);
  wireSeek(windowBody);

  function renderUncertain() { uncertainBody.replaceChildren(...uncertain.map(noteRow)); }
  function renderWindow() {
    const start = Math.max(0, Number(from.value) || 0);
    const rows = notesBetween(notes, start, start + WINDOW_S);
    windowBody.replaceChildren(...rows.map(([i]) => noteRow(i)));
    windowNote.textContent = `${rows.length} notes from ${clock(start)} to ${clock(start + WINDOW_S)}.`;
  }

  function viewNotes() {
    const out = notes.map((n, i) => ({ ...n, index: i, lane: changes.lanes.get(i) ?? n.lane,
      kind: changes.deleted.has(i) ? 'deleted' : changes.lanes.has(i) ? 'moved' : 'base', selected: changes.deleted.has(i) }));
    changes.added.forEach((n, k) => out.push({ ...n, index: k, kind: 'added' }));
    return out;
  }
  function redraw() {
    const shown = viewNotes();
    tl.draw({ notes: shown, beats: file.beats ?? [], beatsPerBar: file.time_signature?.[0] ?? 4, duration: durationOf(file),
      lanes: lanesOf(shown) });
  }

  function renderChanges() {
    const items = [];
    for (const i of [...changes.deleted].sort((a, b) => a - b)) {
      items.push(changeItem(`Delete the ${notes[i].lane} note at ${clock(notes[i].t)}`, () => toggleDelete(i), { 'data-kind': 'delete', 'data-index': i }));
    }
    for (const [i, lane] of changes.lanes) {
      if (changes.deleted.has(i)) continue;
      items.push(changeItem(`Move the note at ${clock(notes[i].t)} from ${notes[i].lane} to ${lane}`, () => setLane(i, notes[i].lane), { 'data-kind': 'lane', 'data-index': i }));
    }
    changes.added.forEach((n, k) => items.push(changeItem(`Add a ${n.lane} note at ${clock(n.t)} (velocity ${fixed(n.velocity, 2)})`,
      () => { changes.added.splice(k, 1); changed(); }, { 'data-kind': 'add' })));
    if (changes.bpm !== null) items.push(changeItem(`BPM ${fixed(file.bpm, 2)} → ${fixed(changes.bpm, 2)}`, () => { changes.bpm = null; bpm.value = String(file.bpm ?? ''); changed(); }, { 'data-kind': 'bpm' }));
    changeList.replaceChildren(...(items.length ? items : [h('li', { class: 'muted' }, 'No changes yet.')]));
  }
  function changeItem(text, undo, attrs) {
    const b = h('button', { type: 'button', class: 'small-button', 'aria-label': `Undo: ${text}` }, 'Undo');
    b.addEventListener('click', undo);
    return h('li', { 'data-testid': 'mu-change', ...attrs }, `${text} `, b);
  }

  function changed() {
    renderChanges();
    renderUncertain();
    renderWindow();
    redraw();
    const patch = buildPatch(file, changes);
    patchView.textContent = prettyJson(patch);
    submit.disabled = patch.length === 0;
    done.textContent = changeCount(changes) ? `${patch.length} operation${patch.length === 1 ? '' : 's'} in the patch.` : '';
  }

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const patch = buildPatch(file, changes);
    if (!patch.length) return;
    showFormError(error, null);
    submit.disabled = true;
    done.textContent = 'Sending the fix…';
    try {
      const edit = await api(`${mapPath(map.id)}/edits`, { method: 'POST', body: { patch, comment: comment.value.trim() } });
      changes.deleted.clear();
      changes.lanes.clear();
      changes.added.length = 0;
      changes.bpm = null;
      comment.value = '';
      bpm.value = String(file.bpm ?? '');
      changed();
      done.replaceChildren('Fix submitted: ', h('strong', { 'data-testid': 'mu-fix-edit', 'data-id': edit.id, 'data-status': edit.status }, edit.status),
        ` (fix ${shortId(edit.id)}). A verifier reviews it next.`);
      fixes.reload();
    } catch (err) {
      done.textContent = '';
      // The map's validator names each problem ("notes[3].lane: unknown lane"): all of them are shown.
      const problems = err.details?.problems;
      showFormError(error, err);
      if (Array.isArray(problems) && problems.length > 1) error.append(h('ul', {}, problems.map((p) => h('li', {}, p))));
      submit.disabled = false;
    }
  });

  const fixes = fixesCard(map);
  root.append(fixes.el);
  changed();
  return { release() { released = true; cancelAnimationFrame(frame); audio.pause(); } };
}

function fact(label, value, testid) {
  return h('div', {}, h('dt', {}, label), h('dd', { 'data-testid': testid }, value));
}

function noteTable(body, editable) {
  return h('table', { class: 'table mu-notes' },
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Time'), h('th', { scope: 'col' }, 'Lane'), h('th', { scope: 'col', class: 'num' }, 'Velocity'),
      h('th', { scope: 'col', class: 'num' }, 'Confidence'), h('th', { scope: 'col' }, 'Delete'))),
    body);
}

// The map's fixes (every version of it), newest first, with "Load more".
function fixesCard(map) {
  const rows = h('tbody', { 'data-testid': 'mu-fixes' });
  const empty = h('p', { class: 'muted', hidden: true, 'data-testid': 'mu-fixes-empty' }, 'No fixes yet.');
  const more = h('button', { type: 'button', hidden: true }, 'Load more');
  const error = h('p', { class: 'bad', role: 'alert', hidden: true });
  const el = h('section', { class: 'card', 'aria-labelledby': 'mu-fixes-title' }, h('h2', { id: 'mu-fixes-title' }, 'Fixes of this map'), error,
    scrollBox('Fixes', h('table', { class: 'table' }, h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Submitted'), h('th', { scope: 'col' }, 'Against'),
      h('th', { scope: 'col' }, 'Status'), h('th', { scope: 'col' }, 'Changes'), h('th', { scope: 'col' }, 'Comment'), h('th', { scope: 'col' }, 'Result'))), rows)),
    empty, h('div', { class: 'list-foot' }, more));
  let cursor = null;
  async function load(append) {
    try {
      const got = await api(`${mapPath(map.id)}/edits${query({ cursor: append ? cursor : undefined })}`);
      if (!append) rows.replaceChildren();
      rows.append(...got.items.map((e) => h('tr', { 'data-testid': 'mu-fix-row', 'data-id': e.id, 'data-status': e.status },
        h('td', {}, formatTime(e.created_at)), h('td', {}, `v${e.base_version}`), h('td', {}, stateBadge(e.status)),
        h('td', {}, count((e.patch ?? []).length, 'operation')), h('td', { class: 'details' }, e.comment || '–'),
        h('td', {}, e.result_map_id ? h('a', { href: mapHash(e.result_map_id) }, 'the new version') : e.decision_comment ? `“${e.decision_comment}”` : '–'))));
      cursor = got.next_cursor;
      more.hidden = !cursor;
      empty.hidden = rows.children.length > 0;
      error.hidden = true;
    } catch (err) {
      error.hidden = false;
      error.textContent = `Cannot list the fixes: ${errorText(err)}`;
    }
  }
  more.addEventListener('click', () => load(true));
  load(false);
  return { el, reload: () => load(false) };
}

