// Music › Songs (#/music.songs): identify a recording and the catalog's songs.
//
// A recording goes up through the upload flow (purpose audio) and is looked up (POST /api/v1/songs/lookup); the
// lookup's job is followed live, then the lookup read (GET /api/v1/songs/lookups/{id}): "Recognised: title —
// artist (score, offset)" with its offer (the verified map, ported onto this upload, or map generation), or
// "Not recognised" with "Add this song" (POST /api/v1/songs with the same upload). Below, the songs, newest
// first, with search (?q=) and "Load more" (cursor paging).
//
// Sub-views: #/music.songs?song=<id> (song_view.js), #/music.songs?map=<id> (map_view.js).

import { api, query } from '/console/api.js';
import { formatTime, h, progressBar, setProgress, shortId, showFormError } from '/console/dom.js';
import {
  canContribute, errorText, field, fixed, mapHash, markFields, percent, scrollBox, songHash, stateBadge, uploadAudio, useStyles, watchJob,
} from './common.js';
import { mountMap } from './map_view.js';
import { mountSong } from './song_view.js';

const PAGE = 25;

export function mount(container, params = new URLSearchParams()) {
  useStyles();
  if (params.get('map')) return mountMap(container, params.get('map'), params);
  if (params.get('song')) return mountSong(container, params.get('song'));
  const upload = canContribute() ? identifyCard() : null;
  const list = songList();
  container.append(h('div', { class: 'page' }, upload?.el, list.el));
  return () => {
    upload?.release();
    list.release();
  };
}

// The recording to identify, its progress, and what the lookup found.
function identifyCard() {
  const file = h('input', { type: 'file', name: 'recording', accept: 'audio/wav,audio/mpeg,audio/ogg,audio/flac,.wav,.mp3,.ogg,.flac', 'data-testid': 'mu-upload-file' });
  const submit = h('button', { type: 'submit', class: 'primary', 'data-testid': 'mu-upload-submit' }, 'Identify');
  const error = h('div', { class: 'form-error', role: 'alert', hidden: true, 'data-testid': 'mu-upload-error' });
  const bar = progressBar({ class: 'progress large', hidden: true, 'aria-label': 'Identifying', 'data-testid': 'mu-lookup-progress' });
  const line = h('p', { 'aria-live': 'polite', 'data-testid': 'mu-lookup-status' });
  const result = h('div', { 'data-testid': 'mu-lookup-result' });
  const form = h('form', { novalidate: true, 'data-testid': 'mu-upload-form' },
    field('Recording (WAV, MP3, Ogg or FLAC)', file, 'A whole song or a 10-second snippet of one.'), error, submit);
  const el = h('section', { class: 'card', 'aria-labelledby': 'mu-identify-title' },
    h('h2', { id: 'mu-identify-title' }, 'Identify a recording'), form, bar, line, result);
  let watch = null;
  let released = false;

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    showFormError(error, null);
    markFields(form, null);
    result.replaceChildren();
    for (const key of ['lookupId', 'status', 'recognised']) delete result.dataset[key];
    const chosen = file.files[0];
    if (!chosen) {
      const err = { status: -1, message: 'Choose a recording first.', fields: { recording: 'required' } };
      showFormError(error, err);
      markFields(form, err);
      return;
    }
    submit.disabled = true;
    watch?.stop();
    bar.hidden = false;
    setProgress(bar, 0);
    line.textContent = `Uploading ${chosen.name}…`;
    try {
      const object = await uploadAudio(chosen);
      line.textContent = 'Identifying…';
      let lookup = await api('/api/v1/songs/lookup', { method: 'POST', body: { object_id: object.id } });
      const lookupId = lookup.lookup_id ?? lookup.id;
      if (lookup.status === 'queued' && lookup.job_id) {
        watch = watchJob(lookup.job_id, (fraction, message) => {
          setProgress(bar, fraction);
          line.textContent = `Identifying: ${message ?? 'working'} (${Math.round(fraction * 100)} %)…`;
        });
        await watch.done;
        lookup = await api(`/api/v1/songs/lookups/${encodeURIComponent(lookupId)}`);
      }
      if (released) return;
      setProgress(bar, 1);
      line.textContent = lookup.status === 'failed' ? '' : lookup.cached ? 'Identified (answered from the cache).' : 'Identified.';
      result.dataset.lookupId = lookup.id;
      result.dataset.status = lookup.status;
      if (lookup.status === 'completed') result.dataset.recognised = String((lookup.matches ?? []).length > 0);
      result.replaceChildren(...lookupResult(lookup, object));
    } catch (err) {
      if (released) return;
      line.textContent = '';
      bar.hidden = true;
      showFormError(error, err);
    } finally {
      submit.disabled = false;
    }
  });

  return { el, release() { released = true; watch?.stop(); } };
}

// What a lookup found: "Recognised: title — artist (score, offset)" for each match and the offer (the verified
// map ported onto the upload, or map generation), or "Not recognised" with "Add this song".
function lookupResult(l, object) {
  if (l.status === 'failed') {
    return [h('p', { class: 'bad', role: 'alert', 'data-testid': 'mu-lookup-failed' },
      `The recording could not be identified: ${l.error?.message ?? 'unknown error'}`)];
  }
  const matches = l.matches ?? [];
  if (!matches.length) {
    return [h('p', { class: 'mu-verdict', 'data-testid': 'mu-not-recognised' }, 'Not recognised.'),
      h('p', { class: 'small' }, 'The catalog has no song like it. Add it: its recording becomes the reference, and you can generate a drum map.'),
      addSongForm(object)];
  }
  const offer = l.offer ?? {};
  const offerEl = offer.kind === 'map'
    ? h('p', { 'data-testid': 'mu-offer' }, h('a', { href: mapHash(offer.map_id, { lookup_id: l.id }), 'data-testid': 'mu-offer-map' },
      `Open the verified drum map (v${offer.version}), ported onto your recording`))
    : h('p', { 'data-testid': 'mu-offer' }, 'No verified map of this song yet: ',
      h('a', { href: songHash(offer.song_id ?? matches[0].song_id), 'data-testid': 'mu-offer-generate' }, 'generate one'), '.');
  return [
    h('ul', { class: 'mu-matches', 'data-testid': 'mu-matches' }, matches.map((m, i) => h('li', { 'data-testid': 'mu-match', 'data-song': m.song_id },
      h('span', { class: i === 0 ? 'mu-verdict' : '' }, i === 0 ? 'Recognised: ' : 'Also like: '),
      h('a', { href: songHash(m.song_id) }, `${m.title ?? shortId(m.song_id)} — ${m.artist ?? ''}`),
      ` (score ${percent(m.score)}, offset ${fixed(m.offset_s, 1)} s)`))),
    offerEl];
}

// "Add this song": its title and artist, with the upload as its reference recording.
function addSongForm(object) {
  const title = h('input', { type: 'text', name: 'title', maxlength: 300, required: true, autocomplete: 'off', 'data-testid': 'mu-add-title' });
  const artist = h('input', { type: 'text', name: 'artist', maxlength: 300, required: true, autocomplete: 'off', 'data-testid': 'mu-add-artist' });
  const error = h('div', { class: 'form-error', role: 'alert', hidden: true, 'data-testid': 'mu-add-error' });
  const submit = h('button', { type: 'submit', class: 'primary', 'data-testid': 'mu-add-song' }, 'Add this song');
  const form = h('form', { novalidate: true, class: 'mu-add-song', 'data-testid': 'mu-add-form' },
    h('div', { class: 'field-row' }, field('Title', title), field('Artist', artist)), error, submit);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    showFormError(error, null);
    markFields(form, null);
    const body = { title: title.value.trim(), artist: artist.value.trim(), object_id: object.id };
    const missing = Object.fromEntries(['title', 'artist'].filter((k) => !body[k]).map((k) => [k, 'required']));
    if (Object.keys(missing).length) {
      const err = { status: -1, message: 'A song needs its title and artist.', fields: missing };
      showFormError(error, err);
      markFields(form, err);
      return;
    }
    submit.disabled = true;
    try {
      const song = await api('/api/v1/songs', { method: 'POST', body });
      location.hash = songHash(song.id);
    } catch (err) {
      showFormError(error, err);
      markFields(form, err);
      submit.disabled = false;
    }
  });
  return form;
}

// The catalog's songs, newest first: search and "Load more". Read again every few seconds while one is being
// fingerprinted.
function songList() {
  const rows = h('tbody', { 'data-testid': 'mu-songs' });
  const empty = h('p', { class: 'muted', hidden: true, 'data-testid': 'mu-songs-empty' }, 'No songs.');
  const error = h('p', { class: 'bad', role: 'alert', hidden: true, 'data-testid': 'mu-songs-error' });
  const more = h('button', { type: 'button', hidden: true, 'data-testid': 'mu-songs-more' }, 'Load more');
  const q = h('input', { type: 'search', name: 'q', maxlength: 200, 'data-testid': 'mu-songs-q' });
  const search = h('form', { role: 'search', class: 'mu-search', 'data-testid': 'mu-songs-search' }, field('Title or artist', q),
    h('button', { type: 'submit' }, 'Search'));
  const count = h('p', { class: 'muted small', 'aria-live': 'polite', 'data-testid': 'mu-songs-count' });
  const el = h('section', { class: 'card', 'aria-labelledby': 'mu-songs-title' },
    h('div', { class: 'card-head' }, h('h2', { id: 'mu-songs-title' }, 'Songs'), search),
    error,
    scrollBox('Songs', h('table', { class: 'table' }, h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Title'), h('th', { scope: 'col' }, 'Artist'),
      h('th', { scope: 'col' }, 'Status'), h('th', { scope: 'col', class: 'num' }, 'BPM'), h('th', { scope: 'col' }, 'Added'))), rows)),
    empty, h('div', { class: 'list-foot' }, more, count));
  let cursor = null;
  let timer = null;
  let released = false;
  let asked = 0;

  async function load(append = false) {
    clearTimeout(timer);
    const mine = ++asked;
    try {
      const got = await api(`/api/v1/songs${query({ q: q.value.trim(), limit: PAGE, cursor: append ? cursor : undefined })}`);
      if (released || mine !== asked) return;
      if (!append) rows.replaceChildren();
      rows.append(...got.items.map((s) => h('tr', { 'data-testid': 'mu-song-row', 'data-id': s.id, 'data-status': s.status },
        h('td', {}, h('a', { href: songHash(s.id), 'data-testid': 'mu-song-link' }, s.title)), h('td', {}, s.artist),
        h('td', {}, stateBadge(s.status)), h('td', { class: 'num' }, fixed(s.bpm, 1)), h('td', {}, formatTime(s.created_at)))));
      cursor = got.next_cursor;
      more.hidden = !cursor;
      empty.hidden = rows.children.length > 0;
      empty.textContent = q.value.trim() ? `No song matches “${q.value.trim()}”.` : 'No songs yet.';
      count.textContent = `${rows.children.length} song${rows.children.length === 1 ? '' : 's'} shown${cursor ? ', more below' : ''}.`;
      error.hidden = true;
      if (!append && got.items.some((s) => s.status === 'fingerprinting')) timer = setTimeout(() => load(), 3000);
    } catch (err) {
      if (released) return;
      error.hidden = false;
      error.textContent = `Cannot list songs: ${errorText(err)}`;
    }
  }
  search.addEventListener('submit', (e) => { e.preventDefault(); load(); });
  more.addEventListener('click', () => load(true));
  load();
  return { el, release() { released = true; clearTimeout(timer); } };
}
