// The drum map as the pages reason about it (the format "tyto.drum_map", modules/drums/include/tyto/drums/
// drum_map.hpp): its lanes, its uncertain notes, a fixer's changes and the RFC 6902 JSON Patch they make, and
// the key the server's diff matches notes by. No DOM here.

// The lanes of the format, in the order a drum game shows them (modules/drums' note.hpp).
export const LANES = ['kick', 'snare', 'hihat', 'tom', 'crash', 'ride'];
// Below this confidence a note is uncertain: where a fixer starts (map_file.cpp's uncertain_count).
export const UNCERTAIN = 0.5;
export const DIFFICULTIES = ['expert', 'hard', 'medium', 'easy'];

// The lanes a map's rows show: the known ones it uses, in LANES order, then any other it names.
export function lanesOf(notes, always = []) {
  const used = new Set([...always, ...notes.map((n) => n.lane)]);
  return [...LANES.filter((l) => used.has(l)), ...[...used].filter((l) => !LANES.includes(l)).sort()];
}

export const isUncertain = (n) => Number(n.confidence ?? 1) < UNCERTAIN;

// The indices of the uncertain notes, in time order.
export const uncertainIndices = (notes) => notes.flatMap((n, i) => (isUncertain(n) ? [i] : []));

// How long the timeline runs: the audio's duration, else past the last note or beat.
export function durationOf(file) {
  const d = Number(file?.audio?.duration_s);
  if (Number.isFinite(d) && d > 0) return d;
  const last = Math.max(0, ...(file?.notes ?? []).map((n) => n.t), ...(file?.beats ?? []));
  return last + 1;
}

// The key the server's diff (edit_routes.cpp, notes_diff) tells notes apart by: time to 0.1 ms, lane,
// velocity to 0.001.
export const noteKey = (n) => `${Number(n.t ?? 0).toFixed(4)}|${n.lane ?? ''}|${Number(n.velocity ?? 0).toFixed(3)}`;

// A fixer's changes to one map version, by the indices of its notes.
export function newChanges() {
  return { deleted: new Set(), lanes: new Map(), added: [], bpm: null };
}

export function changeCount(c) {
  return c.deleted.size + c.lanes.size + c.added.length + (c.bpm === null ? 0 : 1);
}

// The JSON Patch (RFC 6902) that makes `file` (the version shown, at its stored difficulty) into what the
// changes describe, with the operations in an order that applies one after the other:
//   1. replace /notes/i/lane for each changed lane of a note that stays (indices of the original array);
//   2. remove /notes/i for each deleted note, highest index first, so each index still names its note;
//   3. add /notes/j for each new note, in time order, at the index that keeps the notes sorted by t (after the
//      notes of the same time), counted in the array as it is by then;
//   4. replace /bpm.
export function buildPatch(file, c) {
  const notes = file.notes ?? [];
  const ops = [];
  for (const [i, lane] of [...c.lanes.entries()].sort((a, b) => a[0] - b[0])) {
    if (c.deleted.has(i) || notes[i]?.lane === lane) continue;
    ops.push({ op: 'replace', path: `/notes/${i}/lane`, value: lane });
  }
  for (const i of [...c.deleted].sort((a, b) => b - a)) ops.push({ op: 'remove', path: `/notes/${i}` });
  const times = notes.filter((_, i) => !c.deleted.has(i)).map((n) => n.t);
  for (const n of [...c.added].sort((a, b) => a.t - b.t)) {
    let at = times.length;
    while (at > 0 && times[at - 1] > n.t) at--;
    times.splice(at, 0, n.t);
    ops.push({ op: 'add', path: `/notes/${at}`, value: { t: n.t, lane: n.lane, velocity: n.velocity, confidence: n.confidence ?? 1 } });
  }
  if (c.bpm !== null && c.bpm !== file.bpm) ops.push({ op: 'replace', path: '/bpm', value: c.bpm });
  return ops;
}

// The notes whose time is within [from, to), with their indices.
export function notesBetween(notes, from, to) {
  const out = [];
  notes.forEach((n, i) => { if (n.t >= from && n.t < to) out.push([i, n]); });
  return out;
}
