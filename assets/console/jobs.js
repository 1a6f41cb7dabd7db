// Jobs: the list (filters, "Load more", refreshed every few seconds) and the form that submits one.

import { api, ApiError, query } from './api.js';
import { formatTime, fromTemplate, h, progressBar, setProgress, shortId, stateBadge } from './dom.js';

const PAGE = 50;
const REFRESH_MS = 3000;
const DEFAULT_PIPELINE = 'builtin.sleep';

// Filters outlive the view, so coming back from a job keeps them.
const filters = { state: '', pipeline: '' };

export function mountJobs(container) {
  const [root, refs] = fromTemplate('jobs');
  container.append(root);
  const list = jobList(refs);
  const form = jobForm(refs.form, refs);

  api('/api/v1/pipelines').then(({ items }) => {
    const pipelines = items.sort((a, b) => a.name.localeCompare(b.name));
    refs.pipeline.append(...pipelines.map((p) => h('option', { value: p.name }, p.name)));
    refs.pipeline.value = filters.pipeline;
    form.setPipelines(pipelines);
  }).catch((err) => form.showError(`Cannot load pipelines: ${err.message}`));

  return () => list.stop();
}

function jobList(refs) {
  let items = [];
  let nextCursor = null;
  let generation = 0;  // bumped by a filter change: answers to older requests are dropped
  let timer = null;

  refs.state.value = filters.state;
  for (const name of ['state', 'pipeline']) {
    refs[name].addEventListener('change', () => {
      filters[name] = refs[name].value;
      items = [];
      reload();
    });
  }
  refs.more.addEventListener('click', loadMore);

  const fetchPage = (limit, cursor) =>
    api(`/api/v1/jobs${query({ state: filters.state, pipeline: filters.pipeline, limit, cursor })}`);

  // Re-reads from the top as many rows as are shown, so "Load more" pages stay fresh too.
  async function reload() {
    clearTimeout(timer);
    const gen = ++generation;
    try {
      const page = await fetchPage(Math.min(500, Math.max(PAGE, items.length)));
      if (gen !== generation) return;
      items = page.items;
      nextCursor = page.next_cursor;
      showError(null);
      render();
    } catch (err) {
      if (gen === generation) showError(`Cannot list jobs: ${err.message}`);
    }
    if (gen === generation) timer = setTimeout(reload, REFRESH_MS);
  }

  async function loadMore() {
    if (!nextCursor) return;
    const gen = generation;
    refs.more.disabled = true;
    try {
      const page = await fetchPage(PAGE, nextCursor);
      if (gen !== generation) return;
      items = items.concat(page.items);
      nextCursor = page.next_cursor;
      render();
    } catch (err) {
      showError(`Cannot load more jobs: ${err.message}`);
    } finally {
      refs.more.disabled = false;
    }
  }

  function showError(text) {
    refs.listError.hidden = !text;
    refs.listError.textContent = text ?? '';
  }

  // Rows are kept by job id and rebuilt only when the job changed, so a refresh does not take the
  // keyboard focus away from a row that stayed the same.
  let shown = new Map();
  function render() {
    const next = new Map();
    for (const job of items) {
      const old = shown.get(job.id);
      next.set(job.id, old && old.dataset.updatedAt === job.updated_at ? old : row(job));
    }
    const same = shown.size === next.size && [...shown.keys()].every((id, i) => id === items[i]?.id);
    if (same) {
      for (const [id, tr] of next) if (shown.get(id) !== tr) shown.get(id).replaceWith(tr);
    } else {
      refs.rows.replaceChildren(...next.values());
    }
    shown = next;
    refs.empty.hidden = items.length > 0;
    refs.more.hidden = !nextCursor;
    refs.updated.textContent = `${items.length} shown · updated ${new Date().toLocaleTimeString()}`;
  }

  reload();
  return { stop: () => { generation++; clearTimeout(timer); } };
}

function row(job) {
  const bar = progressBar({ class: 'progress small', 'aria-label': `Progress of job ${shortId(job.id)}` });
  setProgress(bar, job.progress);
  return h('tr', { 'data-testid': 'job-row', 'data-job-id': job.id, 'data-updated-at': job.updated_at },
    h('td', {}, h('a', { href: `#/jobs/${encodeURIComponent(job.id)}`, title: job.id, class: 'mono' }, shortId(job.id))),
    h('td', {}, job.pipeline),
    h('td', {}, stateBadge(job.state)),
    h('td', {}, bar),
    h('td', { class: 'num' }, `${job.attempts} / ${job.max_attempts}`),
    h('td', { title: job.created_at }, formatTime(job.created_at)));
}

// An object of the defaults in a JSON schema's properties ({} when it declares none).
function defaultsOf(schema) {
  const out = {};
  for (const [name, prop] of Object.entries(schema?.properties ?? {})) {
    if (prop && 'default' in prop) out[name] = prop.default;
  }
  return out;
}

function jobForm(form, refs) {
  const el = form.elements;
  let pipelines = [];

  el.pipeline.addEventListener('change', () => choose(el.pipeline.value));
  form.addEventListener('submit', submit);

  function choose(name) {
    const p = pipelines.find((x) => x.name === name);
    if (!p) return;
    el.input.value = JSON.stringify(defaultsOf(p.input_schema), null, 2);
    const stages = p.stages.map((s) => s.id).join(' → ');
    refs.pipelineInfo.textContent = `${p.description ?? ''} Stages: ${stages}.`.trim();
    clearErrors();
  }

  function clearErrors() {
    refs.formError.hidden = true;
    refs.formError.replaceChildren();
    for (const f of form.querySelectorAll('.field-error')) f.remove();
    for (const c of form.querySelectorAll('[aria-invalid]')) {
      c.removeAttribute('aria-invalid');
      const rest = (c.getAttribute('aria-describedby') ?? '').replace(/\S+-error\b/g, '').trim();
      if (rest) c.setAttribute('aria-describedby', rest);
      else c.removeAttribute('aria-describedby');
    }
  }

  // Shows the message, and each field error under its control ("input.ms" goes under "input");
  // errors for fields the form does not have are listed with the message.
  function showError(message, fields = {}) {
    clearErrors();
    const loose = [];
    for (const [key, text] of Object.entries(fields)) {
      const control = el[key.split('.')[0]];
      if (!(control instanceof Element)) {
        loose.push(h('li', {}, `${key}: ${text}`));
        continue;
      }
      const id = `${control.id}-error`;
      let note = document.getElementById(id);
      if (!note) {
        note = h('p', { id, class: 'field-error', 'data-testid': `field-error-${control.name}` });
        control.after(note);
        control.setAttribute('aria-invalid', 'true');
        control.setAttribute('aria-describedby', `${control.getAttribute('aria-describedby') ?? ''} ${id}`.trim());
      }
      note.append(h('span', {}, key === control.name ? text : `${key}: ${text}`));
    }
    refs.formError.append(h('p', {}, message));
    if (loose.length) refs.formError.append(h('ul', {}, loose));
    refs.formError.hidden = false;
  }

  async function submit(event) {
    event.preventDefault();
    clearErrors();
    let input;
    try {
      input = el.input.value.trim() ? JSON.parse(el.input.value) : {};
    } catch (err) {
      showError('The input is not valid JSON.', { input: err.message });
      return;
    }
    const body = { pipeline: el.pipeline.value, input };
    for (const name of ['priority', 'max_attempts']) {
      if (el[name].value !== '') body[name] = Number(el[name].value);
    }
    refs.submit.disabled = true;
    try {
      const job = await api('/api/v1/jobs', { method: 'POST', body });
      location.hash = `#/jobs/${encodeURIComponent(job.id)}`;
    } catch (err) {
      if (err instanceof ApiError) showError(err.message, err.fields);
      else showError(`The server did not answer: ${err.message}`);
    } finally {
      refs.submit.disabled = false;
    }
  }

  return {
    setPipelines(list) {
      pipelines = list;
      el.pipeline.replaceChildren(...list.map((p) => h('option', { value: p.name }, `${p.name} (v${p.version})`)));
      const initial = list.some((p) => p.name === DEFAULT_PIPELINE) ? DEFAULT_PIPELINE : list[0]?.name;
      el.pipeline.value = initial ?? '';
      choose(initial);
    },
    showError,
  };
}

// The console imports this module when the page first opens (GET /api/v1/console/pages names it).
export { mountJobs as mount };
