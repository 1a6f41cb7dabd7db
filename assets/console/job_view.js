// One job: state, live progress, stage timeline, event log, result or error, cancel and retry.
// Reads the job once, then follows its WebSocket; re-reads it after state changes for the fields
// events do not carry (queue position, finish time).

import { api, ApiError, followJob } from './api.js';
import { formatClock, formatDuration, formatTime, fromTemplate, h, prettyJson, setBadge, setProgress } from './dom.js';
import { applyEvent, applyJob, describeEvent, newJobState, TERMINAL } from './job_state.js';

const MAX_LOG = 500;
const STATE_EVENTS = new Set(['queued', 'started', 'succeeded', 'failed', 'retry_scheduled', 'cancelled', 'rescued',
  'released']);

export function mountJob(container, id) {
  const [root, refs] = fromTemplate('job');
  container.append(root);
  refs.id.textContent = id;
  refs.id.title = id;

  const s = newJobState();
  let stop = false;
  let unfollow = null;
  let eventsSeen = 0;
  let hiddenEvents = 0;
  let frame = 0;
  let stickToEnd = null;  // whether the log was scrolled to its end before this frame's events
  let refetchTimer = null;

  const renderSoon = () => { frame ||= requestAnimationFrame(() => { frame = 0; render(); }); };

  function takeJob(job) {
    applyJob(s, job);
    setProgress(refs.progress, s.job.progress);
    renderSoon();
  }

  // Applies a GET only if no event arrived meanwhile (else the GET may be older than the view).
  async function refetch() {
    const seen = eventsSeen;
    let job = null;
    try {
      job = await api(`/api/v1/jobs/${encodeURIComponent(id)}`);
    } catch { /* the stream keeps the view current; the next change tries again */ }
    if (stop) return;
    if (job && seen !== eventsSeen) {
      scheduleRefetch(200);
      return;
    }
    if (job) takeJob(job);
    if (s.job?.state === 'queued') scheduleRefetch(5000);  // its queue position moves without events
  }
  const scheduleRefetch = (ms) => { clearTimeout(refetchTimer); refetchTimer = setTimeout(refetch, ms); };

  function onEvent(e) {
    eventsSeen++;
    applyEvent(s, e);
    setProgress(refs.progress, s.job.progress);
    logEvent(e);
    if (STATE_EVENTS.has(e.type)) scheduleRefetch(250);
    renderSoon();
  }

  function onStatus(status, message) {
    refs.stream.textContent = { live: '● live', reconnecting: 'reconnecting…' }[status] ?? message ?? status;
    refs.stream.className = `small stream-${status}`;
  }

  function logEvent(e) {
    const log = refs.events;
    stickToEnd ??= log.scrollHeight - log.scrollTop - log.clientHeight < 40;
    log.append(h('li', { 'data-testid': 'event', 'data-type': e.type, 'data-seq': e.seq },
      h('time', { datetime: e.time }, formatClock(e.time)),
      h('span', { class: `ev-type ev-${e.type}` }, e.type),
      h('span', { class: 'ev-text' }, describeEvent(e))));
    if (log.childElementCount > MAX_LOG) {
      log.firstElementChild.remove();
      hiddenEvents++;
    }
  }

  function render() {
    const job = s.job;
    if (!job) return;
    setBadge(refs.state, job.state ?? 'unknown');
    const cancellable = job.state === 'queued' || job.state === 'running';
    refs.cancel.hidden = !cancellable;
    refs.cancel.disabled = Boolean(job.cancel_requested);
    refs.cancel.textContent = job.cancel_requested ? 'Cancelling…' : 'Cancel';
    refs.retry.hidden = !(job.state === 'failed' || job.state === 'cancelled');
    renderFacts(job);
    renderStages();
    refs.resultCard.hidden = job.result === null || job.result === undefined;
    refs.result.textContent = refs.resultCard.hidden ? '' : prettyJson(job.result);
    refs.errorCard.hidden = !job.error;
    refs.error.textContent = job.error ? prettyJson(job.error) : '';
    refs.input.textContent = prettyJson(job.input ?? {});
    refs.eventsNote.hidden = hiddenEvents === 0;
    refs.eventsNote.textContent = `${hiddenEvents} earlier events not shown.`;
    if (stickToEnd) refs.events.scrollTop = refs.events.scrollHeight;
    stickToEnd = null;
  }

  function renderFacts(job) {
    const facts = [
      ['Pipeline', job.pipeline ? `${job.pipeline} v${job.pipeline_version ?? '?'}` : '–'],
      ['Attempts', `${job.attempts ?? 0} / ${job.max_attempts ?? '?'}`],
      ['Priority', job.priority ?? 0],
      ['Created', formatTime(job.created_at)],
      ['Started', formatTime(job.started_at)],
      ['Finished', formatTime(job.finished_at)],
    ];
    if (job.state === 'queued') {
      facts.push(['Runs at', formatTime(job.run_at)]);
      if (job.queue_position !== null && job.queue_position !== undefined) facts.push(['Queue position', job.queue_position]);
    }
    if (job.timeout_s) facts.push(['Timeout', `${job.timeout_s} s`]);
    if (job.unique_key) facts.push(['Unique key', job.unique_key]);
    refs.facts.replaceChildren(...facts.map(([k, v]) => h('div', {}, h('dt', {}, k), h('dd', { 'data-fact': k }, String(v)))));
  }

  function renderStages() {
    const now = Date.now();
    refs.stages.replaceChildren(...[...s.stages.values()].map((st) => {
      let time = formatDuration(st.duration);
      if (st.status === 'running' && st.started) time = formatDuration(now - st.started);
      const label = st.status === 'running' && st.progress ? `running ${Math.round(st.progress * 100)}%` : st.status;
      return h('li', { class: `stage stage-${st.status}`, 'data-testid': 'stage', 'data-stage': st.id, 'data-status': st.status },
        h('span', { class: 'stage-dot', 'aria-hidden': 'true' }),
        h('span', { class: 'stage-name' }, st.id, st.stage !== st.id ? h('span', { class: 'muted' }, ` ${st.stage}`) : null),
        h('span', { class: `badge stage-badge-${st.status}` }, label),
        h('span', { class: 'stage-time muted' }, time));
    }));
  }

  async function act(button, verb) {
    button.disabled = true;
    refs.actionError.hidden = true;
    try {
      takeJob(await api(`/api/v1/jobs/${encodeURIComponent(id)}/${verb}`, { method: 'POST' }));
    } catch (err) {
      refs.actionError.textContent = `Could not ${verb}: ${err.message}`;
      refs.actionError.hidden = false;
    } finally {
      button.disabled = false;
      renderSoon();
    }
  }
  refs.cancel.addEventListener('click', () => act(refs.cancel, 'cancel'));
  refs.retry.addEventListener('click', () => act(refs.retry, 'retry'));

  // A running stage's duration counts up.
  const ticker = setInterval(() => {
    if ([...s.stages.values()].some((st) => st.status === 'running')) renderSoon();
  }, 1000);

  // Read first, then follow: the stream's events are all newer than what the read returned.
  api(`/api/v1/jobs/${encodeURIComponent(id)}`).then((job) => {
    if (stop) return;
    takeJob(job);
    unfollow = followJob(id, { onSnapshot: takeJob, onEvent, onStatus });
    if (job.state === 'queued') scheduleRefetch(5000);
  }).catch((err) => {
    if (stop) return;
    const missing = err instanceof ApiError && err.status === 404;
    root.replaceChildren(h('p', { class: 'crumbs' }, h('a', { href: '#/jobs' }, '← All jobs')),
      h('section', { class: 'card', role: 'alert' },
        h('h2', {}, missing ? 'No such job' : 'Cannot load this job'),
        h('p', {}, missing ? `There is no job ${id}.` : err.message)));
  });

  return () => {
    stop = true;
    unfollow?.();
    clearInterval(ticker);
    clearTimeout(refetchTimer);
    cancelAnimationFrame(frame);
  };
}
