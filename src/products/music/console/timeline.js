// A drum map on a timeline (SVG): one row per lane, the beat grid (bars darker), each note a dot whose size
// and opacity grow with its velocity, uncertain notes ringed, and a playhead. Notes carry a kind for the fix
// and diff views: 'base', 'deleted' (struck out), 'moved' (a changed lane, drawn on its new lane), 'added'
// (green) and 'removed' (red). A click on a note calls onNote(index, kind); a click elsewhere on a lane calls
// onEmpty(t, lane). Keyboard users reach the same notes through the pages' tables.

// The zoom a map starts at: a short recording (a snippet, a loop) is drawn wider.
export const initialZoom = (duration) => (duration <= 30 ? 100 : 50);

import { h } from '/console/dom.js';
import { isUncertain } from './map_model.js';

const SVG = 'http://www.w3.org/2000/svg';
const ROW = 30;
const TOP = 18;  // the time ruler
const PAD = 12;

function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null && v !== false) el.setAttribute(k, String(v));
  el.append(...children.filter(Boolean));
  return el;
}

export const ZOOMS = [{ label: '25 px/s', pps: 25 }, { label: '50 px/s', pps: 50 }, { label: '100 px/s', pps: 100 }, { label: '200 px/s', pps: 200 }];

export function timeline({ label = 'Drum map', onNote = () => {}, onEmpty = () => {}, testid = 'mu-timeline', withPlayhead = true } = {}) {
  const labels = h('div', { class: 'mu-lane-labels', 'aria-hidden': 'true' });
  const svg = s('svg', { class: 'mu-svg', role: 'img', 'data-testid': `${testid}-svg` });
  const title = s('title');
  const scroller = h('div', { class: 'mu-scroller', tabindex: 0, role: 'region', 'aria-label': `${label}: scroll sideways` });
  scroller.append(svg);
  const el = h('div', { class: 'mu-timeline', 'data-testid': testid }, labels, scroller);
  let pps = 50;
  let lanes = [];
  let playhead = null;
  let duration = 1;
  let byTime = [];   // [t, circle] in time order, for the notes under the playhead
  let sounding = [];  // the circles marked as playing now

  const x = (t) => PAD + t * pps;
  const y = (lane) => TOP + lanes.indexOf(lane) * ROW + ROW / 2;

  svg.addEventListener('click', (e) => {
    const note = e.target.closest?.('[data-index]');
    if (note) {
      onNote(Number(note.dataset.index), note.dataset.kind);
      return;
    }
    const box = svg.getBoundingClientRect();
    const px = e.clientX - box.left;
    const row = Math.floor((e.clientY - box.top - TOP) / ROW);
    if (row < 0 || row >= lanes.length) return;
    onEmpty(Math.max(0, Math.min(duration, (px - PAD) / pps)), lanes[row]);
  });

  // view: { notes: [{t, lane, velocity, confidence, index, kind}], beats, beatsPerBar, duration, lanes }
  function draw(view) {
    lanes = view.lanes;
    duration = view.duration;
    const width = Math.ceil(x(duration) + PAD);
    const height = TOP + lanes.length * ROW + 4;
    svg.setAttribute('width', width);
    svg.setAttribute('height', height);
    svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
    title.textContent = `${label}: ${view.notes.length} notes on ${lanes.length} lanes over ${duration.toFixed(1)} s`;
    svg.setAttribute('aria-label', title.textContent);
    labels.replaceChildren(h('span', { class: 'mu-lane-label mu-ruler-label' }, 's'),
      ...lanes.map((l) => h('span', { class: 'mu-lane-label' }, l)));

    const rows = lanes.map((lane, i) => s('rect', { class: `mu-row ${i % 2 ? 'mu-row-odd' : ''}`, x: 0, y: TOP + i * ROW, width, height: ROW }));
    const ruler = [];
    const step = pps >= 100 ? 1 : pps >= 50 ? 2 : 5;
    for (let t = 0; t <= duration; t += step) {
      ruler.push(s('text', { class: 'mu-ruler', x: x(t) + 2, y: 12 }, String(t)));
      ruler.push(s('line', { class: 'mu-tick', x1: x(t), x2: x(t), y1: 0, y2: TOP }));
    }
    const perBar = view.beatsPerBar || 4;
    const grid = (view.beats ?? []).map((b, i) => s('line', {
      class: i % perBar === 0 ? 'mu-bar' : 'mu-beat', x1: x(b), x2: x(b), y1: TOP, y2: height, 'data-testid': 'mu-beat',
    }));
    const notes = view.notes.filter((n) => lanes.includes(n.lane)).map((n) => {
      const v = Math.max(0, Math.min(1, Number(n.velocity ?? 1)));
      const classes = ['mu-note', `mu-note-${n.kind ?? 'base'}`];
      if (isUncertain(n)) classes.push('mu-uncertain');
      if (n.selected) classes.push('mu-selected');
      return s('circle', {
        class: classes.join(' '), cx: x(n.t).toFixed(1), cy: y(n.lane), r: (3 + 6 * v).toFixed(1),
        'fill-opacity': (0.35 + 0.65 * v).toFixed(2), 'data-testid': 'mu-note', 'data-index': n.index ?? '', 'data-kind': n.kind ?? 'base',
        'data-lane': n.lane, 'data-t': n.t, 'data-uncertain': isUncertain(n) ? 'true' : undefined,
      }, s('title', {}, `${n.lane} at ${Number(n.t).toFixed(3)} s, velocity ${v.toFixed(2)}, confidence ${Number(n.confidence ?? 1).toFixed(2)}`
        + (n.kind && n.kind !== 'base' ? ` (${n.kind})` : '')));
    });
    byTime = notes.map((c) => [Number(c.dataset.t), c]).sort((a, b) => a[0] - b[0]);
    sounding = [];
    playhead = s('line', { class: 'mu-playhead', x1: PAD, x2: PAD, y1: 0, y2: height, 'data-testid': 'mu-playhead', 'data-t': 0 });
    svg.replaceChildren(title, ...rows, ...ruler, ...grid, ...notes, ...(withPlayhead ? [playhead] : []));
  }

  return {
    el,
    draw,
    setZoom(value) { pps = value; },
    // Moves the playhead to t seconds and keeps it in sight.
    playhead(t) {
      if (!playhead?.isConnected) return;
      const px = x(t);
      playhead.setAttribute('x1', px.toFixed(1));
      playhead.setAttribute('x2', px.toFixed(1));
      playhead.dataset.t = t.toFixed(3);
      // The notes sounding now (within 60 ms) light up.
      for (const c of sounding) c.classList.remove('mu-now');
      let lo = 0;
      let hi = byTime.length;
      while (lo < hi) { const mid = (lo + hi) >> 1; if (byTime[mid][0] < t - 0.06) lo = mid + 1; else hi = mid; }
      sounding = [];
      for (let i = lo; i < byTime.length && byTime[i][0] <= t + 0.06; i++) sounding.push(byTime[i][1]);
      for (const c of sounding) c.classList.add('mu-now');
      if (px < scroller.scrollLeft + 40 || px > scroller.scrollLeft + scroller.clientWidth - 40) {
        scroller.scrollLeft = Math.max(0, px - scroller.clientWidth / 3);
      }
    },
    // Scrolls the timeline to time t.
    show(t) { scroller.scrollLeft = Math.max(0, x(t) - scroller.clientWidth / 3); },
  };
}
