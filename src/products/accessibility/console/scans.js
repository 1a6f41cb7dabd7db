// Accessibility › Scans: the tenant's scans with their status and score, and the form that starts one
// (#/accessibility.scans, ?project=<id> for one project's); one scan live with its screenshot and issues
// (?scan=<id>, scan_view.js); two scans compared (?scan=<id>&compare=<other id>, compare.js).

import { api, ApiError, query } from '/console/api.js';
import { formatTime, h, setBadge, showFormError } from '/console/dom.js';
import { PROJECTS_PAGE, TAGS, TERMINAL, canEdit, errorText, scanPath, scansHash, scoreBadge, useStyles } from './common.js';
import { mountCompare } from './compare.js';
import { mountScan } from './scan_view.js';

const REFRESH_MS = 2000;

export function mount(container, params = new URLSearchParams()) {
  useStyles();
  const scan = params.get('scan');
  const compare = params.get('compare');
  if (scan && compare) return mountCompare(container, scan, compare);
  if (scan) return mountScan(container, scan);
  return mountList(container, params.get('project') ?? '');
}

function mountList(container, project) {
  const rows = h('tbody', { 'data-testid': 'a11y-scans' });
  const empty = h('p', { class: 'muted', hidden: true }, 'No scans yet.');
  const listError = h('p', { class: 'bad', role: 'alert', hidden: true });
  const picker = h('select', { 'aria-label': 'Project', 'data-testid': 'a11y-scans-project' },
    h('option', { value: '' }, 'all projects'));
  const list = h('section', { class: 'card' },
    h('div', { class: 'card-head' }, h('h2', {}, 'Scans'), h('div', { class: 'filters' }, h('label', {}, 'Project', picker))),
    listError,
    h('div', { class: 'table-wrap' }, h('table', { class: 'table' },
      h('thead', {}, h('tr', {}, h('th', {}, 'Started'), h('th', {}, 'Page'), h('th', {}, 'Status'),
        h('th', { class: 'num' }, 'Issues'), h('th', { class: 'num' }, 'Score'))),
      rows)), empty);
  const page = h('div', { class: 'page split-page' }, list);
  container.append(page);
  const projects = new Map();
  const form = canEdit() ? startForm(projects, project) : null;
  if (form) page.append(form.el);

  api(`/api/v1/projects${query({ limit: 200 })}`).then((got) => {
    for (const p of got.items) projects.set(p.id, p);
    picker.append(...got.items.map((p) => h('option', { value: p.id }, p.name)));
    picker.value = project;
    form?.setProjects(got.items, project);
  }).catch(() => { picker.disabled = true; });
  picker.addEventListener('change', () => { location.hash = scansHash({ project: picker.value }); });

  let timer = null;
  let stopped = false;
  async function load() {
    clearTimeout(timer);
    try {
      const got = await api(`/api/v1/scans${query({ limit: 50, project_id: project })}`);
      if (stopped) return;
      rows.replaceChildren(...got.items.map(scanRow));
      empty.hidden = got.items.length > 0;
      listError.hidden = true;
      // Unfinished scans move: read the list again while any is.
      if (got.items.some((s) => !TERMINAL.has(s.status))) timer = setTimeout(load, REFRESH_MS);
    } catch (err) {
      if (stopped) return;
      listError.hidden = false;
      listError.textContent = `Cannot list scans: ${errorText(err)}`;
    }
  }
  load();
  return () => { stopped = true; clearTimeout(timer); };
}

function scanRow(s) {
  const status = h('span', { class: 'badge' });
  setBadge(status, s.status);
  return h('tr', { 'data-testid': 'a11y-scan-row', 'data-id': s.id },
    h('td', {}, h('a', { href: scansHash({ scan: s.id }) }, formatTime(s.created_at))),
    h('td', { class: 'a11y-url' }, s.url),
    h('td', {}, status),
    h('td', { class: 'num' }, String(s.issue_count ?? 0)),
    h('td', { class: 'num' }, scoreBadge(s.score)));
}

// The start form: URL, viewport, tags, actions (JSON) and a project. Returns {el, setProjects(list, selected)}.
function startForm(projects, selected) {
  const url = h('input', { name: 'url', type: 'url', required: true, placeholder: 'https://example.org/', 'data-testid': 'a11y-start-url' });
  const width = h('input', { name: 'viewport', type: 'number', min: 1, max: 8192, value: 1280, 'aria-label': 'Viewport width', 'data-testid': 'a11y-start-width' });
  const height = h('input', { name: 'viewport', type: 'number', min: 1, max: 8192, value: 800, 'aria-label': 'Viewport height', 'data-testid': 'a11y-start-height' });
  const mobile = h('input', { type: 'checkbox', name: 'viewport' });
  const tags = TAGS.map((t) => h('input', { type: 'checkbox', name: 'tags', value: t, 'data-testid': `a11y-start-tag-${t}` }));
  const actions = h('textarea', { name: 'actions', rows: 4, placeholder: '[{"action": "click", "selector": "#accept"}]', 'data-testid': 'a11y-start-actions' });
  const project = h('select', { name: 'project_id', 'data-testid': 'a11y-start-project' }, h('option', { value: '' }, 'none'));
  const error = h('div', { class: 'form-error', role: 'alert', hidden: true, 'data-testid': 'a11y-start-error' });
  const submit = h('button', { type: 'submit', class: 'primary', 'data-testid': 'a11y-start-submit' }, 'Start scan');
  const form = h('form', { novalidate: true }, error,
    h('div', { class: 'field' }, h('label', { for: 'a11y-url' }, 'Page URL'), url),
    h('div', { class: 'field' }, h('label', {}, 'Viewport (CSS px)'),
      h('div', { class: 'a11y-viewport' }, width, h('span', {}, '×'), height, h('label', { class: 'a11y-check' }, mobile, 'mobile'))),
    h('fieldset', { class: 'a11y-tags' }, h('legend', {}, 'Rules (none ticked: every rule axe has)'),
      ...tags.map((t) => h('label', { class: 'a11y-check' }, t, t.value))),
    h('div', { class: 'field' }, h('label', { for: 'a11y-actions' }, 'Actions before the capture (JSON, optional)'), actions),
    h('div', { class: 'field' }, h('label', { for: 'a11y-project' }, 'Project'), project),
    submit);
  url.id = 'a11y-url';
  actions.id = 'a11y-actions';
  project.id = 'a11y-project';
  // A project fills in its URL.
  project.addEventListener('change', () => {
    const p = projects.get(project.value);
    if (p && !url.value) url.value = p.url;
  });

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const body = { url: url.value.trim(), viewport: { width: Number(width.value), height: Number(height.value), mobile: mobile.checked } };
    const picked = tags.filter((t) => t.checked).map((t) => t.value);
    if (picked.length) body.tags = picked;
    if (actions.value.trim()) {
      try {
        body.actions = JSON.parse(actions.value);
      } catch (err) {
        showFormError(error, { status: -1, message: `The actions are no JSON: ${err.message}`, fields: { actions: 'a JSON array of steps' } });
        return;
      }
    }
    if (project.value) body.project_id = project.value;
    submit.disabled = true;
    try {
      const started = await api('/api/v1/scans', { method: 'POST', body });
      location.hash = scansHash({ scan: started.scan_id ?? started.id });
    } catch (err) {
      const quota = err instanceof ApiError && err.code === 'quota_exceeded';
      showFormError(error, quota ? { status: err.status, message: `${err.message} (limit ${err.details.limit}).` } : err);
    } finally {
      submit.disabled = false;
    }
  });
  const el = h('section', { class: 'card' }, h('h2', {}, 'Start a scan'), form,
    h('p', { class: 'muted small' }, 'Projects rescan a page on a schedule: ', h('a', { href: PROJECTS_PAGE }, 'Projects'), '.'));
  return {
    el,
    setProjects(list, chosen) {
      project.append(...list.map((p) => h('option', { value: p.id }, p.name)));
      if (chosen) {
        project.value = chosen;
        if (!url.value) url.value = projects.get(chosen)?.url ?? '';
      }
    },
  };
}

export { scanPath };
