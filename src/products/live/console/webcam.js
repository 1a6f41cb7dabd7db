// Live › Webcam (#/live.webcam): a session on this browser's camera. "Start camera" shows it (getUserMedia);
// zones and lines are drawn on its picture; "Start session" registers a webcam source (or reuses the one
// chosen), starts a session on it with the chosen pipelines and profile, opens /ws/stream?session_id=… and
// sends the camera's frames (JPEG) and, with asr, the microphone's audio (PCM 16 kHz) over it (capture.js),
// while the same socket brings the session's events back: the detections are drawn over the video, scaled
// from the analysed frame's size to the video's displayed size. "Stop" sends {"type": "stop"}; the profile
// select sends {"type": "profile", ...}.

import { api, query } from '/console/api.js';
import { h, showFormError } from '/console/dom.js';
import { ENDED, canEdit, errorText, markFields, sessionHash, useStyles } from './common.js';
import { audioSender, frameSender } from './capture.js';
import { mountSessionView } from './session_view.js';
import { settingsFields } from './sessions.js';
import { createStage } from './stage.js';
import { createZoneEditor } from './zone_editor.js';

const NEW_SOURCE = '';

export function mount(container) {
  useStyles();
  const video = h('video', { class: 'live-video', autoplay: true, muted: true, playsinline: true, 'data-testid': 'live-webcam-video' });
  video.muted = true;
  const stage = createStage({ video, testid: 'live-webcam-stage' });
  const editor = createZoneEditor(stage);
  const settings = settingsFields();
  const source = h('select', { name: 'source_id', 'data-testid': 'live-webcam-source' },
    h('option', { value: NEW_SOURCE }, 'a new webcam source'));
  const sourceName = h('input', { name: 'name', maxlength: 200, value: 'Browser webcam', 'data-testid': 'live-webcam-name' });
  const nameField = h('div', { class: 'field' }, h('label', {}, 'Name of the new source'), sourceName);
  const cameraButton = h('button', { type: 'button', 'data-testid': 'live-camera-start' }, 'Start camera');
  const cameraStatus = h('p', { class: 'muted small', 'aria-live': 'polite', 'data-testid': 'live-camera-status' }, 'The camera is off.');
  const error = h('div', { class: 'form-error', role: 'alert', hidden: true, 'data-testid': 'live-webcam-error' });
  const submit = h('button', { type: 'submit', class: 'primary', 'data-testid': 'live-webcam-start' }, 'Start session');
  const sendStatus = h('p', { class: 'muted small', 'aria-live': 'off', 'data-testid': 'live-send-status' });
  const form = h('form', { novalidate: true, class: 'live-webcam-form' }, error,
    h('div', { class: 'field' }, h('label', {}, 'Source'), source), nameField, settings.el, submit);
  const sessionBox = h('div', { class: 'live-webcam-session', 'data-testid': 'live-webcam-session' });
  const root = h('div', { class: 'page live-webcam' },
    h('div', { class: 'page split-page' },
      h('section', { class: 'card' },
        h('div', { class: 'card-head' }, h('h2', {}, 'Webcam'), cameraButton), cameraStatus, stage.el, sendStatus,
        h('h3', { class: 'live-sub' }, 'Zones and lines'), editor.el),
      h('section', { class: 'card' }, h('h2', {}, 'Start a session'), canEdit() ? form : h('p', { class: 'muted' },
        'Your role may watch sessions, not start them.'))),
    sessionBox);
  container.append(root);

  let media = null;
  let frames = null;
  let audio = null;
  let view = null;
  let released = false;
  let sendingFor = null;  // the session whose frames go out

  source.addEventListener('change', () => { nameField.hidden = source.value !== NEW_SOURCE; });
  api(`/api/v1/sources${query({ limit: 200 })}`).then((page) => {
    source.append(...page.items.filter((s) => s.kind === 'webcam').map((s) => h('option', { value: s.id }, s.name)));
  }).catch(() => {});

  async function startCamera(withAudio) {
    const hasAudio = media?.getAudioTracks().length > 0;
    if (media && (hasAudio || !withAudio)) return media;
    stopCamera();
    cameraStatus.textContent = 'Asking for the camera…';
    media = await navigator.mediaDevices.getUserMedia({ video: { width: { ideal: 1280 }, height: { ideal: 720 } }, audio: withAudio });
    if (released) { stopCamera(); return null; }
    video.srcObject = media;
    await video.play().catch(() => {});
    const track = media.getVideoTracks()[0];
    const s = track?.getSettings() ?? {};
    const size = s.width ? ` ${s.width}×${s.height}` : '';
    cameraStatus.textContent = `Camera on: ${track?.label || 'camera'}${size}${withAudio ? ', with the microphone' : ''}.`;
    cameraButton.textContent = 'Stop camera';
    return media;
  }

  function stopSending() {
    frames?.stop();
    audio?.stop();
    frames = null;
    audio = null;
    sendingFor = null;
  }

  function stopCamera() {
    stopSending();
    for (const t of media?.getTracks() ?? []) t.stop();
    media = null;
    video.srcObject = null;
    cameraButton.textContent = 'Start camera';
    cameraStatus.textContent = 'The camera is off.';
  }

  cameraButton.addEventListener('click', async () => {
    if (media) {
      stopCamera();
      return;
    }
    try {
      await startCamera(settings.pipelines().includes('asr'));
    } catch (err) {
      cameraStatus.textContent = `No camera: ${err.message}`;
    }
  });

  // Frames (and audio) go out once the session's socket is open; a reconnection keeps the same senders.
  async function startSending(sessionId, withAudio) {
    if (sendingFor === sessionId) return;
    stopSending();
    sendingFor = sessionId;
    const socket = () => view?.stream.socket();
    let audioNote = '';
    const show = () => {
      const f = frames?.stats ?? { sent: 0, bytes: 0, skipped: 0 };
      const a = audio?.stats;
      sendStatus.textContent = `Sent ${f.sent} frames (${Math.round(f.bytes / 1024)} KiB); ${f.skipped} skipped while the connection `
        + `was busy.${a ? ` Audio: ${a.chunks} chunks of 100 ms sent, ${a.skipped} skipped.` : ''}${audioNote}`;
    };
    frames = frameSender(video, socket, { onStats: show });
    if (withAudio) {
      try {
        audio = await audioSender(media, socket, { onStats: show });
      } catch (err) {
        audioNote = ` No audio: ${err.message}.`;
        show();
      }
    }
  }

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    showFormError(error, null);
    markFields(form, null);
    const body = settings.body();
    if (!body.pipelines.length) {
      showFormError(error, { status: -1, message: 'Choose at least one pipeline.' });
      return;
    }
    const withAudio = body.pipelines.includes('asr');
    submit.disabled = true;
    try {
      await startCamera(withAudio);
      let sourceId = source.value;
      if (sourceId === NEW_SOURCE) {
        const name = sourceName.value.trim() || 'Browser webcam';
        const created = await api('/api/v1/sources', { method: 'POST', body: { kind: 'webcam', name } });
        sourceId = created.id;
        source.append(h('option', { value: sourceId }, created.name));
        source.value = sourceId;
        nameField.hidden = true;
      }
      const shapes = editor.value();
      const request = { source_id: sourceId, ...body };
      if (shapes.zones.length) request.zones = shapes.zones;
      if (shapes.lines.length) request.lines = shapes.lines;
      const started = await api('/api/v1/sessions', { method: 'POST', body: request });
      watch(started.session_id ?? started.id, withAudio);
    } catch (err) {
      showFormError(error, err.status === undefined ? { status: -1, message: errorText(err) } : err);
      markFields(form, err);
      submit.disabled = false;
    }
  });

  // Shows the session under the camera and sends it the camera's frames while it runs.
  function watch(sessionId, withAudio) {
    view?.release();
    const link = h('a', { href: sessionHash(sessionId), 'data-testid': 'live-webcam-session-link' }, sessionId);
    sessionBox.replaceChildren(h('p', { class: 'small' }, 'Session ', link,
      ' (it ends a while after this page closes).'));
    editor.setEnabled(false);
    view = mountSessionView(sessionBox, sessionId, {
      stage,
      crumbs: false,
      onOpen: () => startSending(sessionId, withAudio),
      onSession: (s) => {
        if (!ENDED.has(s.state)) return;
        stopSending();
        sendStatus.textContent = `The session ${s.state}.`;
        editor.setEnabled(true);
        submit.disabled = false;
      },
    });
    // Stop goes over the socket as a command ({"type": "stop"}); the view's button asks the API the same.
    const stop = sessionBox.querySelector('[data-testid=live-session-stop]');
    stop?.addEventListener('click', () => { view?.stream.send(JSON.stringify({ type: 'stop' })); }, { capture: true });
  }

  return () => {
    released = true;
    view?.release();
    stopCamera();
    editor.release();
    stage.release();
  };
}
