// The zone and line editor, drawn on a stage (stage.js): "Add zone" and then a click per corner (Finish
// closes the polygon, at least 3 corners), "Add line" and then two clicks (first point a, second b; "in" is
// crossing from the left of a→b to its right as seen on the screen). Each shape has a name and optional
// labels it watches. value() gives what POST /api/v1/sessions takes (modules/vision zones.hpp):
//   zones: [{name, points: [[x, y], …], labels?}]   lines: [{name, points: [[x, y], [x, y]], labels?}]
// with x and y normalised to 0..1 of the picture's width and height, origin top-left.

import { h } from '/console/dom.js';

const MAX_SHAPES = 64;

export function createZoneEditor(stage, { onChange = () => {} } = {}) {
  let zones = [];
  let lines = [];
  let draft = null;  // {kind, points, hover}
  let enabled = true;

  const name = h('input', { name: 'shape_name', maxlength: 64, placeholder: 'name', 'aria-label': 'Name of the next zone or line',
    'data-testid': 'live-shape-name' });
  const labels = h('input', { name: 'shape_labels', maxlength: 200, placeholder: 'labels (optional: person, car)',
    'aria-label': 'Labels the next zone or line watches', 'data-testid': 'live-shape-labels' });
  const addZone = h('button', { type: 'button', class: 'small-button', 'data-testid': 'live-add-zone' }, 'Add zone');
  const addLine = h('button', { type: 'button', class: 'small-button', 'data-testid': 'live-add-line' }, 'Add line');
  const finish = h('button', { type: 'button', class: 'small-button primary', hidden: true, 'data-testid': 'live-finish-shape' },
    'Finish zone');
  const cancel = h('button', { type: 'button', class: 'small-button', hidden: true, 'data-testid': 'live-cancel-shape' }, 'Cancel');
  const hint = h('p', { class: 'muted small live-hint', 'aria-live': 'polite', 'data-testid': 'live-shape-hint' });
  const list = h('ul', { class: 'live-shapes', 'data-testid': 'live-shapes' });
  const el = h('div', { class: 'live-zone-editor', 'data-testid': 'live-zone-editor' },
    h('div', { class: 'live-editor-row' }, name, labels),
    h('div', { class: 'live-editor-row' }, addZone, addLine, finish, cancel), hint, list);

  const labelList = () => labels.value.split(',').map((s) => s.trim()).filter(Boolean);
  const usedNames = () => new Set([...zones, ...lines].map((s) => s.name));
  const nextName = (kind) => {
    const used = usedNames();
    const typed = name.value.trim();
    if (typed && !used.has(typed)) return typed;
    for (let i = 1; ; i++) if (!used.has(`${kind} ${i}`)) return `${kind} ${i}`;
  };

  function changed() {
    stage.setShapes({ zones, lines });
    stage.setDraft(draft);
    finish.hidden = !draft || draft.kind !== 'zone';
    finish.disabled = !draft || draft.points.length < 3;
    cancel.hidden = !draft;
    addZone.disabled = addLine.disabled = !enabled || Boolean(draft) || zones.length + lines.length >= MAX_SHAPES;
    stage.canvas.classList.toggle('live-drawing', Boolean(draft));
    hint.textContent = hintText();
    list.replaceChildren(
      ...zones.map((z, i) => shapeItem('zone', z, () => { zones.splice(i, 1); changed(); })),
      ...lines.map((l, i) => shapeItem('line', l, () => { lines.splice(i, 1); changed(); })));
    onChange(value());
  }

  function hintText() {
    if (!draft) return zones.length + lines.length ? '' : 'No zones or lines: the whole picture is watched.';
    if (draft.kind === 'zone') {
      return `Click the corners of the zone on the picture (${draft.points.length} so far, at least 3), then Finish.`;
    }
    return draft.points.length ? 'Click the line\'s second point.' : 'Click the line\'s first point on the picture.';
  }

  function shapeItem(kind, s, remove) {
    const pts = s.points.map(([x, y]) => `(${x.toFixed(2)}, ${y.toFixed(2)})`).join(' ');
    const button = h('button', { type: 'button', class: 'link', 'aria-label': `Remove ${kind} ${s.name}` }, 'remove');
    button.addEventListener('click', remove);
    button.disabled = !enabled;
    return h('li', { 'data-testid': `live-shape-${kind}` }, h('strong', {}, `${kind} ${s.name}`),
      s.labels?.length ? ` [${s.labels.join(', ')}]` : '', h('span', { class: 'muted small' }, ` ${pts} `), button);
  }

  function start(kind) {
    draft = { kind, points: [], hover: null };
    changed();
  }

  function complete() {
    const shape = { name: nextName(draft.kind), points: draft.points };
    const l = labelList();
    if (l.length) shape.labels = l;
    (draft.kind === 'zone' ? zones : lines).push(shape);
    draft = null;
    name.value = '';
    changed();
  }

  addZone.addEventListener('click', () => start('zone'));
  addLine.addEventListener('click', () => start('line'));
  finish.addEventListener('click', () => { if (draft?.points.length >= 3) complete(); });
  cancel.addEventListener('click', () => { draft = null; changed(); });

  const onClick = (ev) => {
    if (!draft || !enabled) return;
    const p = stage.position(ev);
    if (!p) return;
    const last = draft.points[draft.points.length - 1];
    if (last && last[0] === p[0] && last[1] === p[1]) return;  // a double click adds one corner
    draft.points.push(p);
    draft.hover = null;
    if (draft.kind === 'line' && draft.points.length === 2) complete();
    else if (draft.kind === 'zone' && draft.points.length >= 100) complete();
    else changed();
  };
  const onMove = (ev) => {
    if (!draft || !draft.points.length) return;
    draft.hover = stage.position(ev);
    stage.setDraft(draft);
  };
  const onKey = (ev) => {
    if (!draft) return;
    if (ev.key === 'Escape') { draft = null; changed(); }
    if (ev.key === 'Enter' && draft.kind === 'zone' && draft.points.length >= 3) { ev.preventDefault(); complete(); }
  };
  stage.canvas.addEventListener('click', onClick);
  stage.canvas.addEventListener('pointermove', onMove);
  document.addEventListener('keydown', onKey);

  function value() {
    return { zones: zones.map((z) => ({ ...z, points: z.points.map((p) => [...p]) })),
      lines: lines.map((l) => ({ ...l, points: l.points.map((p) => [...p]) })) };
  }

  changed();
  return {
    el,
    value,
    // Shapes from elsewhere (a session's zones and lines), in the API's shape; points as [x, y] or {x, y}.
    set(next) {
      const pts = (list0) => (list0 ?? []).map((p) => (Array.isArray(p) ? [p[0], p[1]] : [p.x, p.y]));
      zones = (next?.zones ?? []).map((z) => ({ ...z, points: pts(z.points) }));
      lines = (next?.lines ?? []).map((l) => ({ ...l, points: pts(l.points) }));
      draft = null;
      changed();
    },
    // A running session's shapes cannot change: the editor only shows them.
    setEnabled(on) {
      enabled = on;
      if (!on) draft = null;
      name.disabled = labels.disabled = !on;
      changed();
    },
    release() {
      document.removeEventListener('keydown', onKey);
    },
  };
}

// Zones and lines of a session (as the API gives them back) in the editor's shape, for drawing.
export function normaliseShapes(session) {
  const pts = (list) => (list ?? []).map((p) => (Array.isArray(p) ? [p[0], p[1]] : [p.x, p.y]));
  return {
    zones: (session?.zones ?? []).filter((z) => z?.points?.length >= 3).map((z) => ({ ...z, points: pts(z.points) })),
    lines: (session?.lines ?? []).map((l) => ({ ...l, points: l.points ? pts(l.points) : pts([l.a, l.b]) }))
      .filter((l) => l.points.length === 2 && l.points.every((p) => p[0] !== undefined)),
  };
}
