// What the job view knows about one job, and how each stream event changes it. No DOM here.
//
// Stage rows move pending → running → finished | failed | cancelled. A job that is queued again
// (retry, rescue, release) sends its unfinished stages back to pending; finished stages stay
// finished, since a new attempt resumes after them.

export const TERMINAL = new Set(['succeeded', 'failed', 'cancelled']);

export function newJobState() {
  return { job: null, stages: new Map() };
}

// Takes a job from GET /api/v1/jobs/{id} or a snapshot. Stage rows keep what events told them.
export function applyJob(s, job) {
  s.job = { ...s.job, ...job };
  for (const st of job.stages ?? []) {
    const row = s.stages.get(st.id) ?? { id: st.id, stage: st.stage, status: 'pending', started: null, duration: null };
    row.stage = st.stage;
    if (st.finished && row.status !== 'finished') row.status = 'finished';
    s.stages.set(st.id, row);
  }
  if (job.state === 'succeeded') finishAll(s);
}

function stageRow(s, id) {
  if (!id) return null;
  let row = s.stages.get(id);
  if (!row) {
    row = { id, stage: id, status: 'pending', started: null, duration: null };
    s.stages.set(id, row);
  }
  return row;
}

function finishAll(s) {
  for (const row of s.stages.values()) row.status = 'finished';
}

// The running stages end as `status` at time `at`; `stage` (an error's) is marked even if no
// stage_started was seen for it.
function endRunning(s, status, at, stage) {
  for (const row of s.stages.values()) {
    if (row.status !== 'running') continue;
    row.status = status;
    if (row.started) row.duration = Date.parse(at) - row.started;
  }
  const named = stage && s.stages.get(stage);
  if (named && named.status === 'pending') named.status = status;
}

function requeue(s) {
  for (const row of s.stages.values()) {
    if (row.status !== 'finished') Object.assign(row, { status: 'pending', started: null, duration: null });
  }
}

// Applies one stream event ({type, seq, time, data}) to the state.
export function applyEvent(s, e) {
  const d = e.data ?? {};
  const job = s.job ?? (s.job = {});
  job.updated_at = e.time;
  switch (e.type) {
    case 'queued':
      Object.assign(job, { state: 'queued', run_at: d.run_at ?? job.run_at, error: null, result: null,
        cancel_requested: false, finished_at: null });
      requeue(s);
      break;
    case 'started':
      Object.assign(job, { state: 'running', attempts: d.attempt ?? job.attempts });
      if (!job.started_at) job.started_at = e.time;
      requeue(s);
      break;
    case 'stage_started': {
      const row = stageRow(s, d.stage);
      Object.assign(row, { status: 'running', started: Date.parse(e.time), duration: null, progress: 0 });
      break;
    }
    case 'progress': {
      if (typeof d.progress === 'number') job.progress = d.progress;
      const row = stageRow(s, d.stage);
      if (row && typeof d.stage_progress === 'number') row.progress = d.stage_progress;
      break;
    }
    case 'stage_finished': {
      const row = stageRow(s, d.stage);
      Object.assign(row, { status: 'finished', duration: d.duration_ms ?? null, progress: 1 });
      break;
    }
    case 'succeeded':
      Object.assign(job, { state: 'succeeded', progress: 1, result: d.result ?? null, error: null, finished_at: e.time });
      finishAll(s);
      break;
    case 'failed':
      Object.assign(job, { state: 'failed', error: d.error ?? null, finished_at: e.time });
      endRunning(s, 'failed', e.time, d.error?.stage);
      break;
    case 'retry_scheduled':
      Object.assign(job, { state: 'queued', error: d.error ?? null, run_at: d.run_at ?? job.run_at });
      endRunning(s, 'failed', e.time, d.error?.stage);
      break;
    case 'cancel_requested':
      job.cancel_requested = true;
      break;
    case 'cancelled':
      Object.assign(job, { state: 'cancelled', finished_at: e.time });
      endRunning(s, 'cancelled', e.time);
      break;
    case 'rescued':
    case 'released':
      job.state = 'queued';
      requeue(s);
      break;
    default:
      break;  // partial_result and anything newer: shown in the log only
  }
}

// One line for the event log.
export function describeEvent(e) {
  const d = e.data ?? {};
  const pct = (x) => `${Math.round((x ?? 0) * 100)}%`;
  switch (e.type) {
    case 'queued': return [`pipeline ${d.pipeline ?? '?'}`, d.retry ? 'retry' : null, d.run_at ? `runs at ${clock(d.run_at)}` : null]
      .filter(Boolean).join(', ');
    case 'started': return `attempt ${d.attempt}`;
    case 'stage_started': return `stage ${d.stage}, attempt ${d.attempt}`;
    case 'progress': {
      const parts = [pct(d.progress)];
      if (d.stage) parts.push(`stage ${d.stage} ${pct(d.stage_progress)}`);
      if (d.message) parts.push(d.message);
      return parts.join(' · ');
    }
    case 'partial_result': return `stage ${d.stage}: ${truncate(JSON.stringify(d.data))}`;
    case 'stage_finished': return `stage ${d.stage} in ${Math.round(d.duration_ms ?? 0)} ms`;
    case 'succeeded': return `attempt ${d.attempt}`;
    case 'failed': return `attempt ${d.attempt}: ${d.error?.message ?? 'failed'}`;
    case 'retry_scheduled': return `attempt ${d.attempt} failed (${d.error?.message ?? '?'}); retry at ${clock(d.run_at)}`;
    case 'cancelled': return `attempt ${d.attempt}`;
    case 'rescued': return `attempt ${d.attempt}: ${d.reason ?? 'lease expired'}`;
    case 'released': return `attempt ${d.attempt}`;
    default: return Object.keys(d).length ? truncate(JSON.stringify(d)) : '';
  }
}

const clock = (iso) => (iso ? new Date(iso).toLocaleTimeString() : '?');
const truncate = (text, n = 160) => (text && text.length > n ? `${text.slice(0, n)}…` : text ?? '');
