// The live picture: a <canvas> over a <video> (a webcam), or over nothing (an RTSP, HTTP or file session,
// whose pictures the server does not send: the canvas takes the frame's size from the detection events).
// It draws the latest detections (boxes, labels, scores, track ids), the zones and lines, and the zone
// editor's unfinished shape. Boxes are in the pixels of the analysed frame (the event's width and height)
// and are scaled to the displayed size; zones and lines are normalised (0..1 of the picture).

import { h } from '/console/dom.js';
import { colourFor } from './common.js';

const STALE_MS = 1500;  // detections not renewed for this long fade out

export function createStage({ video = null, testid = 'live-stage' } = {}) {
  const canvas = h('canvas', { class: 'live-overlay', 'data-testid': `${testid}-canvas` });
  const el = h('div', { class: video ? 'live-stage live-stage-video' : 'live-stage live-stage-blank', 'data-testid': testid },
    video, canvas);
  let frame = { width: 16, height: 9, known: false };
  let detections = null;  // {event data, at}
  let shapes = { zones: [], lines: [] };
  let draft = null;       // {kind: 'zone' | 'line', points: [[x, y]], hover: [x, y] | null}
  let raf = 0;
  let fade = [];  // timers that redraw when the detections turn stale and when they go
  let released = false;
  let background = null;  // an ImageBitmap: the server's latest analysed frame (RTSP, HTTP, file sessions)

  const setAspect = () => {
    if (!video) canvas.style.aspectRatio = `${frame.width} / ${frame.height}`;
  };
  setAspect();

  function draw() {
    raf = 0;
    if (released) return;
    const dpr = window.devicePixelRatio || 1;
    const w = canvas.clientWidth;
    const hgt = canvas.clientHeight;
    if (!w || !hgt) return;
    if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(hgt * dpr)) {
      canvas.width = Math.round(w * dpr);
      canvas.height = Math.round(hgt * dpr);
    }
    const g = canvas.getContext('2d');
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, w, hgt);
    if (!video) {
      g.fillStyle = '#20252f';
      g.fillRect(0, 0, w, hgt);
      if (background) g.drawImage(background, 0, 0, w, hgt);
    }
    drawShapes(g, w, hgt);
    drawDetections(g, w, hgt);
    drawDraft(g, w, hgt);
  }

  const schedule = () => { if (!raf && !released) raf = requestAnimationFrame(draw); };

  function drawShapes(g, w, hgt) {
    g.lineWidth = 2;
    g.font = '12px system-ui, sans-serif';
    for (const z of shapes.zones) {
      const colour = colourFor(`zone:${z.name}`);
      g.beginPath();
      z.points.forEach(([x, y], i) => (i ? g.lineTo(x * w, y * hgt) : g.moveTo(x * w, y * hgt)));
      g.closePath();
      g.strokeStyle = colour;
      g.fillStyle = 'rgba(47, 95, 179, .15)';
      g.fill();
      g.stroke();
      label(g, z.name, z.points[0][0] * w, z.points[0][1] * hgt, colour);
    }
    for (const l of shapes.lines) {
      const [[ax, ay], [bx, by]] = l.points;
      const colour = colourFor(`line:${l.name}`);
      g.strokeStyle = colour;
      g.setLineDash([8, 4]);
      g.beginPath();
      g.moveTo(ax * w, ay * hgt);
      g.lineTo(bx * w, by * hgt);
      g.stroke();
      g.setLineDash([]);
      // The "in" side: to the right of a→b as seen on the screen.
      const mx = ((ax + bx) / 2) * w;
      const my = ((ay + by) / 2) * hgt;
      const dx = (bx - ax) * w;
      const dy = (by - ay) * hgt;
      const len = Math.hypot(dx, dy) || 1;
      g.beginPath();
      g.moveTo(mx, my);
      g.lineTo(mx - (dy / len) * 14, my + (dx / len) * 14);
      g.stroke();
      label(g, `${l.name}${l.counts ? ` in ${l.counts.in} out ${l.counts.out}` : ''}`, ax * w, ay * hgt, colour);
    }
  }

  function drawDetections(g, w, hgt) {
    if (!detections) return;
    const age = performance.now() - detections.at;
    if (age > STALE_MS * 2) return;
    const d = detections.data;
    const sx = w / (d.width || frame.width);
    const sy = hgt / (d.height || frame.height);
    g.globalAlpha = age > STALE_MS ? 0.35 : 1;
    g.lineWidth = 2;
    g.font = '12px system-ui, sans-serif';
    for (const det of d.detections ?? []) {
      const b = det.box ?? {};
      const colour = colourFor(det.track_id ? `track:${det.track_id}` : `label:${det.label}`);
      g.strokeStyle = colour;
      g.strokeRect(b.x * sx, b.y * sy, b.width * sx, b.height * sy);
      const text = `${det.label}${det.track_id ? ` #${det.track_id}` : ''} ${Number(det.score ?? 0).toFixed(2)}`;
      label(g, text, b.x * sx, b.y * sy, colour);
    }
    g.globalAlpha = 1;
  }

  function drawDraft(g, w, hgt) {
    if (!draft || (!draft.points.length && !draft.hover)) return;
    const pts = draft.hover ? [...draft.points, draft.hover] : draft.points;
    g.strokeStyle = '#f5a623';
    g.fillStyle = '#f5a623';
    g.lineWidth = 2;
    g.setLineDash([4, 4]);
    g.beginPath();
    pts.forEach(([x, y], i) => (i ? g.lineTo(x * w, y * hgt) : g.moveTo(x * w, y * hgt)));
    if (draft.kind === 'zone' && pts.length > 2) g.closePath();
    g.stroke();
    g.setLineDash([]);
    for (const [x, y] of draft.points) {
      g.beginPath();
      g.arc(x * w, y * hgt, 4, 0, Math.PI * 2);
      g.fill();
    }
  }

  function label(g, text, x, y, colour) {
    const pad = 3;
    const tw = g.measureText(text).width + pad * 2;
    const ty = Math.max(0, y - 16);
    g.fillStyle = colour;
    g.fillRect(x, ty, tw, 16);
    g.fillStyle = '#fff';
    g.fillText(text, x + pad, ty + 12);
  }

  const observer = new ResizeObserver(schedule);
  observer.observe(canvas);
  video?.addEventListener('loadedmetadata', schedule);

  return {
    el,
    canvas,
    // The analysed frame's size (from a detection event), for a stage without a video.
    setFrameSize(width, height) {
      if (!width || !height || (frame.width === width && frame.height === height)) return;
      frame = { width, height, known: true };
      setAspect();
      schedule();
    },
    frameKnown: () => frame.known,
    // The server's preview of the analysed frame (its boxes already drawn), under the live overlay.
    setBackground(bitmap) {
      if (background && background.close) background.close();
      background = bitmap;
      if (bitmap) this.setFrameSize(bitmap.width, bitmap.height);
      schedule();
    },
    // A `detection` event's data: {width, height, detections: [{label, score, box, track_id}]}.
    setDetections(data) {
      detections = { data, at: performance.now() };
      fade.forEach(clearTimeout);
      fade = [setTimeout(schedule, STALE_MS + 10), setTimeout(schedule, STALE_MS * 2 + 10)];
      if (!video) this.setFrameSize(data.width, data.height);
      schedule();
    },
    // Zones and lines as the API takes them ({name, points: [[x, y], …]}), lines with counts when known.
    setShapes(next) {
      shapes = { zones: next?.zones ?? [], lines: next?.lines ?? [] };
      schedule();
    },
    setDraft(next) {
      draft = next;
      schedule();
    },
    // The normalised picture position of a pointer event, or null outside the picture.
    position(ev) {
      const r = canvas.getBoundingClientRect();
      if (!r.width || !r.height) return null;
      const x = (ev.clientX - r.left) / r.width;
      const y = (ev.clientY - r.top) / r.height;
      if (x < 0 || x > 1 || y < 0 || y > 1) return null;
      return [Math.round(x * 10000) / 10000, Math.round(y * 10000) / 10000];
    },
    redraw: schedule,
    release() {
      released = true;
      if (background && background.close) background.close();
      observer.disconnect();
      cancelAnimationFrame(raf);
      fade.forEach(clearTimeout);
    },
  };
}
