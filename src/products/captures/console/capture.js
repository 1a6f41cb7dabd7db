// Captures › Capture (#/captures.capture): three photos, front, side and portrait, each taken in turn with the
// camera (getUserMedia; an outline in the picture shows where to hold the ID-1 card) or chosen from a file.
// The card in the front and side photos is checked at once (POST /api/v1/capture/calibrate): found or not,
// its corners drawn over the photo, its px/mm. Consent to keep the photos is the user's own setting
// (GET/PUT /api/v1/capture/consent) and the capture sends exactly that value as store_images. "Measure" posts
// the photos (POST /api/v1/capture, multipart) and opens #/captures.capture?id=<capture>, which follows its
// status (queue position while queued) until it is measured or failed, then shows the results.

import { api } from '/console/api.js';
import { h, shortId, showFormError } from '/console/dom.js';
import {
  CAPTURE_PAGE, CARD_MM, MEASURED, TERMINAL, canCapture, captureHash, capturePath, checkbox, errorText, field, fixed, markFields,
  statusBadge, useStyles,
} from './common.js';
import { mountResults } from './results_view.js';

const POLL_MS = 1500;
const VIEWS = [
  { view: 'front', title: 'Front', required: true, card: true,
    hint: 'Stand facing the camera, whole body in the picture, arms a little away from the body; hold the card flat against your chest.' },
  { view: 'side', title: 'Side', required: true, card: true,
    hint: 'Turn to your left, whole body in the picture; hold the card flat against your chest, facing the camera.' },
  { view: 'portrait', title: 'Portrait', required: false, card: false,
    hint: 'Your face in daylight, without make-up if you can: for the skin tone (optional).' },
];

export function mount(container, params = new URLSearchParams()) {
  useStyles();
  const id = params.get('id');
  return id ? mountProgress(container, id) : mountForm(container);
}

// The form: consent, camera, the three photos and their card checks, and "Measure".
function mountForm(container) {
  if (!canCapture()) {
    container.append(h('section', { class: 'card', 'data-testid': 'cap-no-capture' }, h('h2', {}, 'Capture'),
      h('p', {}, 'Your role may look at captures, not take them.')));
    return () => {};
  }
  const consent = consentCard();
  const slots = VIEWS.map((v) => photoSlot(v));
  const camera = cameraCard(slots);
  const error = h('div', { class: 'form-error', role: 'alert', hidden: true, 'data-testid': 'cap-submit-error' });
  const status = h('p', { class: 'muted small', 'aria-live': 'polite', 'data-testid': 'cap-submit-status' });
  const submit = h('button', { type: 'submit', class: 'primary', 'data-testid': 'cap-submit' }, 'Measure');
  const form = h('form', { novalidate: true, 'data-testid': 'cap-form' }, error,
    h('div', { class: 'cap-slots' }, slots.map((s) => s.el)), status, submit);
  container.append(h('div', { class: 'page cap-capture' },
    h('section', { class: 'card' }, h('h2', {}, 'Capture your measurements'),
      h('p', { class: 'small' }, 'You need an ID-1 card — a bank, loyalty or ID card (85.6 × 54 mm) — in the front and side photos: '
        + 'its known size gives the scale. Wear fitted clothes; stand in front of a plain wall.')),
    consent.el, camera.el, h('section', { class: 'card' }, h('h2', {}, 'Photos'), form)));

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    showFormError(error, null);
    markFields(form, null);
    const missing = Object.fromEntries(slots.filter((s) => s.required && !s.file()).map((s) => [s.view, 'required: a photo with the card in it']));
    if (Object.keys(missing).length) {
      const err = { status: -1, message: 'Take or choose the front and side photos.', fields: missing };
      showFormError(error, err);
      markFields(form, err);
      return;
    }
    const kept = consent.value();
    if (!kept) {
      showFormError(error, { status: -1, message: 'Your consent could not be read: reload the page.' });
      return;
    }
    const body = new FormData();
    for (const s of slots) if (s.file()) body.append(s.view, s.file(), s.file().name);
    body.append('store_images', String(kept.store_images));  // the API refuses a value other than the consent's
    body.append('capture_meta', JSON.stringify({ client: 'tyto-console', sources: Object.fromEntries(slots.filter((s) => s.file())
      .map((s) => [s.view, s.source()])) }));
    submit.disabled = true;
    status.textContent = 'Sending the photos…';
    try {
      const created = await api('/api/v1/capture', { method: 'POST', body });
      location.hash = captureHash(created.capture_id);
    } catch (err) {
      status.textContent = '';
      showFormError(error, err);
      markFields(form, err);
      if (err.fields?.store_images) consent.reload();  // changed elsewhere meanwhile: the next try sends the new value
      submit.disabled = false;
    }
  });

  return () => {
    camera.release();
    for (const s of slots) s.release();
  };
}

// The user's consent: keep the raw photos, and use approved measurements as training data. Each box is saved
// when it changes; value() is the server's latest answer (null until read).
function consentCard() {
  const [store, storeLabel] = checkbox('Keep my photos after they are measured', { name: 'store_images', 'data-testid': 'cap-consent-store' });
  const [training, trainingLabel] = checkbox('Use my approved measurements (never the photos) to improve the measuring',
    { name: 'training', 'data-testid': 'cap-consent-training' });
  const status = h('p', { class: 'muted small', 'aria-live': 'polite', 'data-testid': 'cap-consent-status' }, 'Reading your consent…');
  let value = null;
  const show = (c) => {
    value = c;
    store.checked = c.store_images;
    training.checked = c.training;
    status.textContent = c.store_images
      ? 'Your photos are kept with the capture until you delete it.'
      : 'Your photos are deleted within a day of being measured; the measurements stay.';
  };
  const setAll = (disabled) => { store.disabled = disabled; training.disabled = disabled; };
  const read = () => {
    setAll(true);
    return api('/api/v1/capture/consent').then((c) => { show(c); setAll(false); })
      .catch((err) => { status.textContent = `Cannot read your consent: ${errorText(err)}`; });
  };
  read();
  const save = async (key, box) => {
    setAll(true);
    try {
      show(await api('/api/v1/capture/consent', { method: 'PUT', body: { [key]: box.checked } }));
    } catch (err) {
      box.checked = !box.checked;
      status.textContent = `Not saved: ${errorText(err)}`;
    } finally {
      setAll(false);
    }
  };
  store.addEventListener('change', () => save('store_images', store));
  training.addEventListener('change', () => save('training', training));
  return {
    el: h('section', { class: 'card' }, h('fieldset', { class: 'cap-fieldset' }, h('legend', {}, 'Consent'), storeLabel, trainingLabel, status)),
    value: () => value,
    reload: read,
  };
}

// One photo: a file input, the preview with the card's corners drawn over it, and the card check.
function photoSlot({ view, title, required, card, hint }) {
  const file = h('input', { type: 'file', name: view, accept: 'image/jpeg,image/png,image/webp', 'data-testid': `cap-file-${view}` });
  const img = h('img', { class: 'cap-preview-img', alt: `${title} photo`, 'data-testid': `cap-preview-${view}` });
  const overlay = h('canvas', { class: 'cap-preview-overlay', 'aria-hidden': 'true', 'data-testid': `cap-corners-${view}` });
  const preview = h('div', { class: 'cap-preview', hidden: true }, img, overlay);
  const result = h('p', { class: 'small cap-card-result', 'aria-live': 'polite', 'data-testid': `cap-card-${view}` });
  const check = card ? h('button', { type: 'button', class: 'small-button', disabled: true, 'data-testid': `cap-check-${view}` }, 'Check the card') : null;
  const el = h('section', { class: 'cap-slot', 'data-testid': `cap-slot-${view}`, 'aria-labelledby': `cap-slot-${view}-title` },
    h('h3', { id: `cap-slot-${view}-title` }, title, required ? null : h('span', { class: 'muted small' }, ' (optional)')),
    h('p', { class: 'muted small' }, hint), preview,
    field(`${title} photo from a file`, file), check, result);
  let blob = null;
  let source = null;
  let url = null;
  let checking = 0;

  async function checkCard() {
    if (!blob) return;
    const mine = ++checking;
    result.className = 'small cap-card-result';
    result.removeAttribute('data-detected');
    result.textContent = 'Looking for the card…';
    clear();
    try {
      const c = await api('/api/v1/capture/calibrate', { method: 'POST', body: blob });
      if (mine !== checking) return;
      result.dataset.detected = String(Boolean(c.card_detected));
      if (c.card_detected) {
        result.classList.add('good');
        result.textContent = `Card found: ${fixed(c.px_per_mm, 2)} px/mm (± ${fixed(c.px_per_mm_uncertainty, 2)}), `
          + `tilted ${fixed(c.tilt_degrees, 0)}°.`;
        result.dataset.pxPerMm = c.px_per_mm;
        drawCorners(c.corners ?? []);
      } else {
        result.classList.add('bad');
        result.textContent = `No card found${c.refused ? ` (${c.refused.replaceAll('_', ' ')})` : ''}: hold the whole card flat `
          + 'in the picture, not covered by your fingers, and take the photo again. The capture still works, with less accurate figures.';
      }
    } catch (err) {
      if (mine !== checking) return;
      result.classList.add('bad');
      result.textContent = `The card could not be checked: ${errorText(err)}`;
    }
  }

  function clear() {
    overlay.getContext('2d').clearRect(0, 0, overlay.width, overlay.height);
  }

  // The card's corners, in the photo's pixels, over the preview (the canvas has the photo's size).
  function drawCorners(corners) {
    const pts = corners.map((p) => (Array.isArray(p) ? p : [p.x, p.y]));
    overlay.width = img.naturalWidth;
    overlay.height = img.naturalHeight;
    const ctx = overlay.getContext('2d');
    const w = Math.max(2, img.naturalWidth / 250);
    ctx.lineWidth = w;
    ctx.strokeStyle = '#00a3ff';
    ctx.fillStyle = '#ffb000';
    ctx.beginPath();
    pts.forEach(([x, y], i) => (i ? ctx.lineTo(x, y) : ctx.moveTo(x, y)));
    ctx.closePath();
    ctx.stroke();
    for (const [x, y] of pts) {
      ctx.beginPath();
      ctx.arc(x, y, w * 2.5, 0, Math.PI * 2);
      ctx.fill();
    }
    overlay.dataset.corners = String(pts.length);
  }

  async function set(b, from) {
    blob = b;
    source = from;
    if (url) URL.revokeObjectURL(url);
    url = URL.createObjectURL(b);
    img.src = url;
    preview.hidden = false;
    el.querySelector('[aria-invalid]')?.removeAttribute('aria-invalid');
    await img.decode().catch(() => {});
    if (check) {
      check.disabled = false;
      await checkCard();
    }
  }

  file.addEventListener('change', () => { if (file.files[0]) set(file.files[0], 'file'); });
  check?.addEventListener('click', checkCard);
  return {
    el,
    view,
    title,
    required,
    file: () => blob,
    source: () => source,
    // A photo the camera took: the file input is cleared (the photo replaces what it held).
    take(b) {
      file.value = '';
      return set(new File([b], `${view}.jpg`, { type: b.type || 'image/jpeg' }), 'camera');
    },
    release() {
      if (url) URL.revokeObjectURL(url);
    },
  };
}

// The camera: its picture with the card's outline, a self-timer, and a button that takes the next photo.
function cameraCard(slots) {
  const video = h('video', { class: 'cap-video', autoplay: true, muted: true, playsinline: true, 'data-testid': 'cap-video' });
  video.muted = true;
  const guide = h('div', { class: 'cap-card-guide', 'aria-hidden': 'true', 'data-testid': 'cap-card-guide' }, h('span', {}, 'card'));
  // The outline has an ID-1 card's proportions; the style sheet places it on the chest.
  guide.style.aspectRatio = `${CARD_MM.width} / ${CARD_MM.height}`;
  const stage = h('div', { class: 'cap-camera', hidden: true }, video, guide);
  const start = h('button', { type: 'button', 'data-testid': 'cap-camera-start' }, 'Start camera');
  const facing = h('select', { 'data-testid': 'cap-camera-facing' },
    h('option', { value: 'user' }, 'facing me (selfie)'), h('option', { value: 'environment' }, 'facing away (someone helps)'));
  const timer = h('select', { 'data-testid': 'cap-camera-timer' },
    [0, 5, 10].map((s) => h('option', { value: s, selected: s === 5 }, s ? `${s} s` : 'none')));
  const which = h('select', { 'data-testid': 'cap-camera-view' }, slots.map((s) => h('option', { value: s.view }, s.title)));
  const take = h('button', { type: 'button', class: 'primary', disabled: true, 'data-testid': 'cap-camera-take' }, 'Take photo');
  const status = h('p', { class: 'muted small', 'aria-live': 'polite', 'data-testid': 'cap-camera-status' }, 'The camera is off.');
  const el = h('section', { class: 'card' },
    h('div', { class: 'card-head' }, h('h2', {}, 'Camera'), start),
    h('p', { class: 'small' }, 'Or choose files below. Take the photos in turn: front, side, then the portrait. Hold the card inside '
      + 'the outline.'),
    h('div', { class: 'cap-camera-controls' }, field('Camera', facing), field('Photo', which), field('Self-timer', timer)),
    stage, take, status);
  let media = null;
  let released = false;
  let countdown = null;

  const slotOf = (view) => slots.find((s) => s.view === view);
  const showTake = () => { take.textContent = `Take the ${slotOf(which.value).title.toLowerCase()} photo`; };
  which.addEventListener('change', showTake);
  showTake();

  async function startCamera() {
    status.textContent = 'Asking for the camera…';
    media = await navigator.mediaDevices.getUserMedia({ video: { facingMode: facing.value, width: { ideal: 1920 }, height: { ideal: 1080 } },
      audio: false });
    if (released) { stopCamera(); return; }
    video.srcObject = media;
    await video.play().catch(() => {});
    stage.hidden = false;
    take.disabled = false;
    const next = slots.find((s) => !s.file());  // the first photo not taken (or chosen) yet
    if (next) { which.value = next.view; showTake(); }
    start.textContent = 'Stop camera';
    const s = media.getVideoTracks()[0]?.getSettings() ?? {};
    status.textContent = `Camera on${s.width ? ` (${s.width}×${s.height})` : ''}.`;
  }

  function stopCamera() {
    clearInterval(countdown);
    countdown = null;
    for (const t of media?.getTracks() ?? []) t.stop();
    media = null;
    video.srcObject = null;
    stage.hidden = true;
    take.disabled = true;
    start.textContent = 'Start camera';
    status.textContent = 'The camera is off.';
  }

  start.addEventListener('click', async () => {
    if (media) { stopCamera(); return; }
    try {
      await startCamera();
    } catch (err) {
      status.textContent = `No camera: ${err.message}. Choose files instead.`;
    }
  });
  facing.addEventListener('change', async () => {
    if (!media) return;
    stopCamera();
    await startCamera().catch((err) => { status.textContent = `No camera: ${err.message}.`; });
  });

  // The frame at the video's full size, as a JPEG.
  function snap() {
    const canvas = document.createElement('canvas');
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    canvas.getContext('2d').drawImage(video, 0, 0);
    return new Promise((resolve, reject) => canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('no picture'))), 'image/jpeg', 0.92));
  }

  async function shoot() {
    const slot = slotOf(which.value);
    try {
      await slot.take(await snap());
    } catch (err) {
      status.textContent = `The photo could not be taken: ${err.message}`;
      return;
    }
    // The next photo in turn: the first one not taken yet.
    const next = slots.find((s) => !s.file());
    status.textContent = `${slot.title} photo taken.${next ? ` Next: ${next.title.toLowerCase()}.` : ' All photos taken.'}`;
    if (next) { which.value = next.view; showTake(); }
  }

  take.addEventListener('click', () => {
    if (countdown) return;
    let left = Number(timer.value);
    if (!left) { shoot(); return; }
    take.disabled = true;
    status.textContent = `Taking the photo in ${left} s…`;
    countdown = setInterval(() => {
      left -= 1;
      if (left > 0) { status.textContent = `${left}…`; return; }
      clearInterval(countdown);
      countdown = null;
      take.disabled = !media;
      shoot();
    }, 1000);
  });

  return { el, release() { released = true; stopCamera(); } };
}

// A capture on its way: its status every 1.5 s (and its place in the queue) until it is measured or failed,
// then its results.
function mountProgress(container, id) {
  const badge = statusBadge('queued', { 'data-testid': 'cap-progress-status' });
  const line = h('p', { 'aria-live': 'polite', 'data-testid': 'cap-progress-line' }, 'Reading the status…');
  const job = h('p', { class: 'muted small' });
  const card = h('section', { class: 'card', 'data-testid': 'cap-progress', 'data-id': id },
    h('div', { class: 'card-head' }, h('h2', {}, `Capture ${shortId(id)}`), badge), line, job,
    h('p', { class: 'small' }, h('a', { href: CAPTURE_PAGE }, 'Take another capture')));
  const box = h('div', {});
  container.append(h('div', { class: 'page' }, card, box));
  let timer = null;
  let released = false;
  let results = null;

  async function poll() {
    try {
      const s = await api(`${capturePath(id)}/status`);
      if (released) return;
      badge.className = `badge cap-status-${s.status}`;
      badge.dataset.status = s.status;
      badge.textContent = s.status;
      if (s.job_id) job.replaceChildren('Job ', h('a', { href: `#/jobs/${encodeURIComponent(s.job_id)}` }, shortId(s.job_id)), '.');
      if (s.status === 'queued') {
        const ahead = Number(s.queue_position) - 1;
        line.textContent = Number.isFinite(ahead)
          ? `Waiting: ${ahead ? `${ahead} capture${ahead === 1 ? '' : 's'} ahead` : 'next in line'} (position ${s.queue_position}).`
          : 'Waiting in the queue.';
      } else if (s.status === 'processing') {
        line.textContent = 'Measuring: finding the card, the pose and the silhouette…';
      } else if (s.status === 'failed') {
        line.textContent = `The capture failed${s.error?.message ? `: ${s.error.message}` : ''}.`;
        line.className = 'bad';
      } else if (MEASURED.has(s.status)) {
        line.textContent = 'Measured.';
      }
      if (TERMINAL.has(s.status)) {
        if (MEASURED.has(s.status) && !results) results = mountResults(box, id, { crumbs: false });
        return;
      }
    } catch (err) {
      if (released) return;
      line.textContent = `Cannot read the status: ${errorText(err)}`;
    }
    timer = setTimeout(poll, POLL_MS);
  }

  poll();
  return () => {
    released = true;
    clearTimeout(timer);
    results?.release();
  };
}
