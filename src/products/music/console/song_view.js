// Songs › a song (#/music.songs?song=<id>): its details, its maps (the newest version of each, with how many
// versions it has) and "Generate a drum map" (POST /api/v1/songs/{id}/maps/generate), whose job is followed
// live to its end; then the new map opens in the viewer. A song still being fingerprinted is followed too.

import { api } from '/console/api.js';
import { formatTime, h, progressBar, setProgress, shortId } from '/console/dom.js';
import { canContribute, errorText, fixed, mapHash, scrollBox, songPath, stateBadge, watchJob } from './common.js';

export function mountSong(container, id) {
  const root = h('div', { class: 'page mu-song', 'data-testid': 'mu-song', 'data-id': id });
  const status = h('p', { class: 'muted', 'aria-live': 'polite' }, 'Reading the song…');
  root.append(h('p', { class: 'crumbs' }, h('a', { href: '#/music.songs' }, '← Songs')), status);
  container.append(root);
  let released = false;
  let fingerprinting = null;

  const head = h('section', { class: 'card' });
  const mapsBody = h('tbody', { 'data-testid': 'mu-song-maps' });
  const mapsEmpty = h('p', { class: 'muted', hidden: true, 'data-testid': 'mu-song-maps-empty' }, 'No maps yet.');
  const generation = generationPanel(id, () => { if (!released) load(); });
  const mapsCard = h('section', { class: 'card', 'aria-labelledby': 'mu-maps-title' },
    h('div', { class: 'card-head' }, h('h2', { id: 'mu-maps-title' }, 'Drum maps'), canContribute() ? generation.button : null),
    generation.bar, generation.line,
    scrollBox('Drum maps', h('table', { class: 'table' }, h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Map'), h('th', { scope: 'col' }, 'State'),
      h('th', { scope: 'col' }, 'Versions'), h('th', { scope: 'col', class: 'num' }, 'Notes'), h('th', { scope: 'col', class: 'num' }, 'Uncertain'),
      h('th', { scope: 'col', class: 'num' }, 'BPM'), h('th', { scope: 'col' }, 'Updated'))), mapsBody)),
    mapsEmpty);

  async function load() {
    let song;
    try {
      song = await api(songPath(id));
    } catch (err) {
      if (released) return;
      status.textContent = `Cannot read the song: ${errorText(err)}`;
      status.className = 'bad';
      status.setAttribute('role', 'alert');
      return;
    }
    if (released) return;
    if (status.isConnected) { status.remove(); root.append(head, mapsCard); }
    head.replaceChildren(...songHead(song));
    const maps = song.maps ?? [];
    mapsBody.replaceChildren(...maps.map(mapRow));
    mapsEmpty.hidden = maps.length > 0;
    generation.allow(song.status === 'ready');
    if (song.status === 'fingerprinting' && song.job_id && !fingerprinting) {
      fingerprinting = watchJob(song.job_id, () => {});
      fingerprinting.done.then(() => { if (!released) load(); });
    }
    // A map generated elsewhere (another tab) is still on its way: follow it here too.
    const pending = maps.find((m) => m.state === 'generating' && m.job_id);
    if (pending) generation.follow(pending.job_id, pending.id);
  }

  load();
  return () => {
    released = true;
    fingerprinting?.stop();
    generation.release();
  };
}

function songHead(song) {
  return [h('div', { class: 'card-head' }, h('h2', { 'data-testid': 'mu-song-title' }, `${song.title} — ${song.artist}`),
    stateBadge(song.status, { 'data-testid': 'mu-song-status' })),
  h('dl', { class: 'facts' },
    h('div', {}, h('dt', {}, 'BPM'), h('dd', {}, fixed(song.bpm, 1))),
    h('div', {}, h('dt', {}, 'Length'), h('dd', {}, song.duration_s ? `${fixed(song.duration_s, 1)} s` : '–')),
    h('div', {}, h('dt', {}, 'Added'), h('dd', {}, formatTime(song.created_at))),
    h('div', {}, h('dt', {}, 'Default map'), h('dd', {}, song.canonical_map_id
      ? h('a', { href: mapHash(song.canonical_map_id) }, shortId(song.canonical_map_id)) : 'none verified yet'))),
  song.status === 'failed' ? h('p', { class: 'bad', role: 'alert' }, `Fingerprinting failed: ${song.error?.message ?? 'unknown error'}`) : null,
  song.status === 'fingerprinting' ? h('p', { class: 'muted', 'aria-live': 'polite', 'data-testid': 'mu-song-fingerprinting' },
    'Fingerprinting the recording: maps can be generated once it is done.') : null].filter(Boolean);
}

function mapRow(m) {
  const name = `Map ${shortId(m.lineage_id)} v${m.version}`;
  return h('tr', { 'data-testid': 'mu-song-map', 'data-id': m.id, 'data-state': m.state },
    h('td', {}, ['unverified', 'verified', 'archived'].includes(m.state) ? h('a', { href: mapHash(m.id), 'data-testid': 'mu-open-map' }, name) : name),
    h('td', {}, stateBadge(m.state)), h('td', {}, String(m.versions ?? 1)), h('td', { class: 'num' }, String(m.notes ?? 0)),
    h('td', { class: 'num' }, String(m.metadata?.uncertain_notes ?? '–')), h('td', { class: 'num' }, fixed(m.bpm, 1)),
    h('td', {}, formatTime(m.updated_at ?? m.created_at)));
}

// "Generate a drum map", its progress bar and its status line (aria-live): follow(jobId, mapId) watches a
// generation to its end, then calls onDone (the song is read again). allow(ready) enables the button when the
// song is ready and no generation is on its way.
function generationPanel(songId, onDone) {
  const button = h('button', { type: 'button', class: 'primary', disabled: true, 'data-testid': 'mu-generate' }, 'Generate a drum map');
  const bar = progressBar({ class: 'progress large', hidden: true, 'aria-label': 'Map generation', 'data-testid': 'mu-generate-progress' });
  const line = h('p', { 'aria-live': 'polite', 'data-testid': 'mu-generate-status' });
  let watch = null;
  let ready = false;

  const say = (text, state) => {
    line.className = state === 'failed' ? 'bad' : '';
    if (state) line.dataset.state = state;
    else delete line.dataset.state;
    line.replaceChildren(...[text].flat());
  };
  const panel = {
    button,
    bar,
    line,
    allow(songReady) {
      ready = songReady;
      button.disabled = !ready || Boolean(watch);
    },
    follow(jobId, mapId) {
      if (watch) return;
      button.disabled = true;
      bar.hidden = false;
      setProgress(bar, 0);
      say('Generating the map: queued…');
      watch = watchJob(jobId, (fraction, message) => {
        setProgress(bar, fraction);
        say(`Generating the map: ${message ?? 'working'} (${Math.round(fraction * 100)} %)…`);
      });
      watch.done.then(async (end) => {
        watch = null;
        if (end.state === 'succeeded') {
          setProgress(bar, 1);
          const m = await api(`/api/v1/maps/${encodeURIComponent(mapId)}`).catch(() => null);
          say([h('span', { class: 'good' }, `The map is ready: ${m?.notes ?? '?'} notes, ${m?.metadata?.uncertain_notes ?? '?'} uncertain. `),
            h('a', { href: mapHash(mapId), 'data-testid': 'mu-generated-link' }, 'Open it in the viewer')], 'ready');
        } else {
          say(`Map generation ${end.state}${end.error?.message ? `: ${end.error.message}` : ''}.`, 'failed');
        }
        panel.allow(ready);
        onDone();
      });
    },
    release() { watch?.stop(); },
  };
  button.addEventListener('click', async () => {
    button.disabled = true;
    say('Starting…');
    try {
      const started = await api(`${songPath(songId)}/maps/generate`, { method: 'POST', body: {} });
      line.dataset.mapId = started.map_id;
      panel.follow(started.job_id, started.map_id);
      onDone();
    } catch (err) {
      say(`Cannot generate a map: ${errorText(err)}${err.retryAfter ? ` (try again in ${err.retryAfter} s)` : ''}`, 'failed');
      button.disabled = false;
    }
  });
  return panel;
}
