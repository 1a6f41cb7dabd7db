// What the webcam page sends over /ws/stream, as binary messages:
//   0x01 + a JPEG of the video (canvas.toBlob('image/jpeg', 0.8)), at most 10 a second, and only while the
//        socket's bufferedAmount is small: a frame that would queue behind unsent ones is skipped (counted),
//        so the browser never buffers without bound and the server always gets a recent picture;
//   0x02 + PCM audio, 16-bit little-endian mono at 16 kHz, in chunks of 100 ms (1600 samples), resampled
//        from the AudioContext's rate by an AudioWorklet (pcm_worklet.js) and linear interpolation here.

import { BASE } from './common.js';

export const FRAME_INTERVAL_MS = 100;      // at most 10 frames a second
export const MAX_BUFFERED = 256 * 1024;    // bytes the socket may hold unsent before frames are skipped
const MAX_WIDTH = 1280;                    // larger cameras are scaled down before encoding
const AUDIO_RATE = 16000;
const AUDIO_CHUNK = 1600;                  // 100 ms at 16 kHz

// Sends the video's frames through socket() (a function: the socket changes when it reconnects) until
// stop(). Calls onStats({sent, skipped, bytes}) after each attempt.
export function frameSender(video, socket, { onStats = () => {} } = {}) {
  const canvas = document.createElement('canvas');
  const stats = { sent: 0, skipped: 0, bytes: 0 };
  let encoding = false;
  let stopped = false;

  const tick = () => {
    const ws = socket();
    if (stopped || !ws || ws.readyState !== WebSocket.OPEN || !video.videoWidth) return;
    if (encoding || ws.bufferedAmount > MAX_BUFFERED) {
      stats.skipped++;
      onStats(stats);
      return;
    }
    const scale = Math.min(1, MAX_WIDTH / video.videoWidth);
    canvas.width = Math.round(video.videoWidth * scale);
    canvas.height = Math.round(video.videoHeight * scale);
    canvas.getContext('2d').drawImage(video, 0, 0, canvas.width, canvas.height);
    encoding = true;
    canvas.toBlob(async (blob) => {
      try {
        if (!blob || stopped) return;
        const jpeg = new Uint8Array(await blob.arrayBuffer());
        const message = new Uint8Array(jpeg.length + 1);
        message[0] = 0x01;
        message.set(jpeg, 1);
        const now = socket();
        if (stopped || !now || now.readyState !== WebSocket.OPEN) return;
        now.send(message);
        stats.sent++;
        stats.bytes += message.length;
        onStats(stats);
      } finally {
        encoding = false;
      }
    }, 'image/jpeg', 0.8);
  };
  const timer = setInterval(tick, FRAME_INTERVAL_MS);
  return { stats, stop() { stopped = true; clearInterval(timer); } };
}

// Linear resampling of Float32 blocks from `from` Hz to `to` Hz, carrying the position across blocks.
export function resampler(from, to) {
  const step = from / to;
  let pending = new Float32Array(0);
  let pos = 0;  // the next output sample's position in `pending`
  return (block) => {
    const input = new Float32Array(pending.length + block.length);
    input.set(pending);
    input.set(block, pending.length);
    const out = [];
    while (pos + 1 < input.length) {
      const i = Math.floor(pos);
      const f = pos - i;
      out.push(input[i] * (1 - f) + input[i + 1] * f);
      pos += step;
    }
    const keep = Math.floor(pos);
    pending = input.slice(Math.min(keep, input.length));
    pos -= Math.min(keep, input.length);
    return out;
  };
}

// 0x02 + the samples as 16-bit little-endian PCM.
export function pcmMessage(samples) {
  const buf = new ArrayBuffer(1 + samples.length * 2);
  const view = new DataView(buf);
  view.setUint8(0, 0x02);
  samples.forEach((s, i) => {
    const c = Math.max(-1, Math.min(1, s));
    view.setInt16(1 + i * 2, c < 0 ? c * 0x8000 : c * 0x7fff, true);
  });
  return buf;
}

// Sends the stream's audio through socket() in 100 ms chunks until stop(). Resolves once the worklet runs;
// rejects when the browser cannot (no AudioWorklet, no audio track).
export async function audioSender(media, socket, { onStats = () => {} } = {}) {
  if (!media.getAudioTracks().length) throw new Error('the camera stream has no audio track');
  const ctx = new AudioContext();
  await ctx.audioWorklet.addModule(`${BASE}/pcm_worklet.js`);
  const source = ctx.createMediaStreamSource(media);
  const node = new AudioWorkletNode(ctx, 'pcm-capture');
  const resample = resampler(ctx.sampleRate, AUDIO_RATE);
  const stats = { chunks: 0, skipped: 0 };
  let buffered = [];
  node.port.onmessage = (ev) => {
    buffered = buffered.concat(resample(ev.data));
    while (buffered.length >= AUDIO_CHUNK) {
      const chunk = buffered.slice(0, AUDIO_CHUNK);
      buffered = buffered.slice(AUDIO_CHUNK);
      const ws = socket();
      if (!ws || ws.readyState !== WebSocket.OPEN || ws.bufferedAmount > MAX_BUFFERED * 4) {
        stats.skipped++;
      } else {
        ws.send(pcmMessage(chunk));
        stats.chunks++;
      }
      onStats(stats);
    }
  };
  source.connect(node);
  // The worklet must be pulled by the graph: a muted gain to the speakers keeps it running without echo.
  const mute = ctx.createGain();
  mute.gain.value = 0;
  node.connect(mute).connect(ctx.destination);
  if (ctx.state === 'suspended') await ctx.resume().catch(() => {});
  return {
    stats,
    stop() {
      node.port.onmessage = null;
      source.disconnect();
      node.disconnect();
      ctx.close().catch(() => {});
    },
  };
}
