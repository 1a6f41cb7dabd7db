// Songs › a map (#/music.songs?map=<id>[&difficulty=][&lookup_id=]): the map viewer and the fix editor.
//
// The viewer reads the map (GET /api/v1/maps/{id}: state, versions) and its file (…/content, at ?difficulty=,
// ported onto the recording a lookup identified with ?lookup_id=), draws it on the timeline, lists the uncertain
// notes (confidence < 0.5) where a fixer starts, and plays the recording (a signed link of the song's upload, or
// the percussive stem) with a moving playhead. The stem has a link of its own.
//
// A fix is written against the version shown, as stored (expert, not ported), in the fix editor (fix_editor.js).
// The map's fixes are listed below (GET /api/v1/maps/{id}/edits).

import { api, query } from '/console/api.js';
import { formatTime, h, shortId } from '/console/dom.js';
import {
  canContribute, count, errorText, field, fixed, isAdmin, mapHash, mapPath, myId, scrollBox, songHash, songPath, stateBadge,
} from './common.js';
import { fixEditor, fixForm, noteCards } from './fix_editor.js';
import { DIFFICULTIES, durationOf, lanesOf } from './map_model.js';
import { ZOOMS, initialZoom, timeline } from './timeline.js';

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
  const editable = canContribute() && !lookupId && difficulty === (map.difficulty || 'expert')
    && (map.state === 'unverified' || map.state === 'verified');
  const editor = fixEditor(file, editable);
  let form = null;
  const tl = timeline({
    label: `Drum map v${map.version}`,
    onNote: (i, kind) => { if (editable && kind !== 'added') editor.toggleDelete(i); },
    onEmpty: (t, lane) => form?.suggestAdd(t, lane),
  });
  const head = headerCard({ map, file, difficulty, song, lookupId, uncertain: editor.uncertain.length });
  const player = playerCard(map, file, song, lookupId, tl, editable);
  const redraw = () => {
    const shown = editor.viewNotes();
    tl.draw({ notes: shown, beats: file.beats ?? [], beatsPerBar: file.time_signature?.[0] ?? 4, duration: durationOf(file),
      lanes: lanesOf(shown) });
  };
  tl.setZoom(initialZoom(durationOf(file)));
  head.zoom.value = String(initialZoom(durationOf(file)));
  head.zoom.addEventListener('change', () => { tl.setZoom(Number(head.zoom.value)); redraw(); });
  editor.onChange(redraw);

  const fixes = fixesCard(map);
  const fixCard = h('section', { class: 'card', 'aria-labelledby': 'mu-fix-title', 'data-testid': 'mu-fix' }, h('h2', { id: 'mu-fix-title' }, 'Submit a fix'));
  if (editable) {
    form = fixForm(editor, map, () => fixes.reload());
    fixCard.append(h('p', { class: 'small muted' }, `Against version ${map.version} as stored. Verifiers review it before it becomes the next version.`),
      form.form);
  } else {
    fixCard.append(closedNote(map, difficulty, lookupId));
  }
  root.append(head.el, player.el, ...noteCards(editor, player), fixCard, fixes.el);
  editor.changed();
  return { release: player.release };
}

// Why this map cannot be fixed here, with a link to where it can.
function closedNote(map, difficulty, lookupId) {
  const stored = map.difficulty || 'expert';
  const why = !canContribute() ? 'Your role may look at maps, not fix them.'
    : lookupId ? 'This is the map ported onto your recording: open the map itself to fix it.'
      : difficulty !== stored ? `Fixes are written against the ${stored} map: switch the difficulty to fix it.`
        : `A ${map.state} map cannot be fixed.`;
  return h('p', { class: 'muted', 'data-testid': 'mu-fix-closed' }, why,
    canContribute() && (lookupId || difficulty !== stored) ? h('span', {}, ' ', h('a', { href: mapHash(map.id) }, 'Open it')) : null);
}

// The song, the version, its state and figures, the difficulty and zoom, the versions.
function headerCard({ map, file, difficulty, song, lookupId, uncertain }) {
  const diffSelect = h('select', { 'data-testid': 'mu-difficulty', name: 'difficulty' },
    DIFFICULTIES.map((d) => h('option', { value: d, selected: d === difficulty }, d)));
  diffSelect.addEventListener('change', () => { location.hash = mapHash(map.id, { difficulty: diffSelect.value, lookup_id: lookupId }); });
  const zoom = h('select', { 'data-testid': 'mu-zoom' }, ZOOMS.map((z) => h('option', { value: z.pps }, z.label)));
  const title = song ? `${song.title} — ${song.artist}` : (file.song?.title ?? `Song ${shortId(map.song_id)}`);
  const facts = h('dl', { class: 'facts', 'data-testid': 'mu-map-facts' },
    fact('Version', `v${map.version}`), fact('State', stateBadge(map.state, { 'data-testid': 'mu-map-state' })),
    fact('BPM', fixed(file.bpm, 1), 'mu-map-bpm'), fact('Notes', String((file.notes ?? []).length), 'mu-map-notes'),
    fact('Uncertain', String(uncertain), 'mu-map-uncertain'), fact('Difficulty', difficulty),
    fact('Source', map.source ?? '–'), fact('Created', formatTime(map.created_at)));
  const versions = h('ol', { class: 'mu-versions', 'data-testid': 'mu-versions' }, (map.versions ?? []).map((v) => h('li', {},
    v.id === map.id ? h('strong', { 'aria-current': 'true' }, `v${v.version}`) : h('a', { href: mapHash(v.id) }, `v${v.version}`),
    ` ${v.state} · ${v.source}${v.edit_id ? ' (a fix)' : ''} · ${formatTime(v.created_at)}`)));
  const ported = file.ported ? h('p', { class: 'small', 'data-testid': 'mu-ported' },
    `Ported onto your recording: offset ${fixed(file.ported.offset_s, 2)} s, speed ×${fixed(file.ported.ratio, 3)}.`) : null;
  const el = h('section', { class: 'card' },
    h('div', { class: 'card-head' }, h('h2', { 'data-testid': 'mu-map-title' }, `Drum map of ${title}`),
      song ? h('a', { href: songHash(song.id), class: 'small' }, 'The song') : null),
    facts, ported,
    h('div', { class: 'mu-controls' }, field('Difficulty', diffSelect), field('Zoom', zoom)),
    h('details', {}, h('summary', {}, `Versions (${(map.versions ?? []).length})`), versions));
  return { el, zoom };
}

// The recording under the timeline: the lookup's upload (ported) or the song's, else the percussive stem; a
// moving playhead; the stem's own link. Returns what the note tables use to seek.
function playerCard(map, file, song, lookupId, tl, editable) {
  const audio = h('audio', { controls: true, preload: 'auto', class: 'mu-audio', 'data-testid': 'mu-audio' });
  const audioNote = h('p', { class: 'muted small', 'aria-live': 'polite', 'data-testid': 'mu-audio-status' }, 'Getting a link to the recording…');
  const stem = stemLink(map);
  const el = h('section', { class: 'card' },
    h('div', { class: 'card-head' }, h('h2', {}, 'Timeline'), h('span', { class: 'muted small' },
      editable ? 'Click a note to mark it for deletion; click a lane to add a note there.' : '')),
    h('div', { class: 'mu-player' }, audio, stem), audioNote, tl.el,
    h('p', { class: 'small mu-legend' }, h('span', { class: 'mu-key mu-key-note' }, 'note'), h('span', { class: 'mu-key mu-key-uncertain' }, 'uncertain'),
      h('span', { class: 'mu-key mu-key-deleted' }, 'to delete'), h('span', { class: 'mu-key mu-key-added' }, 'to add')));
  let released = false;
  recordingLink(map, file, song, lookupId).then(({ link, note }) => {
    if (released) return;
    audioNote.textContent = note;
    if (!link) return;
    audio.src = link.url;
    audio.dataset.src = link.url;
  });
  let frame = 0;
  const follow = () => { tl.playhead(audio.currentTime); frame = audio.paused ? 0 : requestAnimationFrame(follow); };
  audio.addEventListener('play', () => { cancelAnimationFrame(frame); frame = requestAnimationFrame(follow); });
  audio.addEventListener('seeked', () => tl.playhead(audio.currentTime));
  audio.addEventListener('timeupdate', () => { if (!frame) tl.playhead(audio.currentTime); });
  return {
    el,
    show: (t) => tl.show(t),
    currentTime: () => audio.currentTime,
    seek(t) {
      tl.show(t);
      if (audio.src) audio.currentTime = Math.max(0, t - 0.5);
      tl.playhead(t);
    },
    release() { released = true; cancelAnimationFrame(frame); audio.pause(); },
  };
}

// A signed link to what the player plays, and a line saying what it is. An upload is its uploader's (and
// admins'): others play the stem.
async function recordingLink(map, file, song, lookupId) {
  const share = (objectId) => api(`/api/v1/objects/${encodeURIComponent(objectId)}/share`, { method: 'POST', body: {} });
  try {
    if (lookupId) {
      const l = await api(`/api/v1/songs/lookups/${encodeURIComponent(lookupId)}`);
      return { link: await share(l.object_id), note: 'Your recording, with the map ported onto it.' };
    }
    const objectId = file.audio?.object_id ?? song?.object_id;
    if (objectId && (song?.created_by === myId() || isAdmin())) {
      const link = await share(objectId).catch(() => null);
      if (link) return { link, note: "The song's recording." };
    }
    if (map.has_stem) return { link: await api(`${mapPath(map.id)}/stem`), note: 'The percussive stem (the recording is its uploader\'s).' };
    return { link: null, note: 'No recording to play.' };
  } catch (err) {
    return { link: null, note: `The recording cannot be played: ${errorText(err)}` };
  }
}

// "Percussive stem": a signed link to the WAV the map was generated from.
function stemLink(map) {
  const button = h('button', { type: 'button', class: 'small-button', 'data-testid': 'mu-stem', disabled: !map.has_stem }, 'Percussive stem');
  const line = h('span', { class: 'small', 'aria-live': 'polite', 'data-testid': 'mu-stem-status' }, map.has_stem ? '' : ' (no stem kept)');
  button.addEventListener('click', async () => {
    button.disabled = true;
    try {
      const link = await api(`${mapPath(map.id)}/stem`);
      line.replaceChildren(' ', h('a', { href: link.url, 'data-testid': 'mu-stem-link', download: `stem-${shortId(map.id)}.wav` }, 'Download the stem (WAV)'),
        h('span', { class: 'muted' }, ` valid until ${new Date(link.expires_at).toLocaleString()}`));
    } catch (err) {
      line.textContent = ` ${errorText(err)}`;
    } finally {
      button.disabled = false;
    }
  });
  return h('div', {}, button, line);
}

function fact(label, value, testid) {
  return h('div', {}, h('dt', {}, label), h('dd', { 'data-testid': testid }, value));
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

