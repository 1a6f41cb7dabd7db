// Accessibility › Projects (#/accessibility.projects): a site's page with its scan settings and a schedule
// (manual, daily, weekly or a cron expression) that rescans it; create, scan now, change the schedule, delete.
// A project's scans are the scans page filtered by it.

import { api, query } from '/console/api.js';
import { confirmDialog, formatTime, h, showFormError } from '/console/dom.js';
import { TAGS, canEdit, errorText, projectPath, scansHash, useStyles } from './common.js';

const SCHEDULES = ['manual', 'daily', 'weekly'];

export function mount(container) {
  useStyles();
  const rows = h('tbody', { 'data-testid': 'a11y-projects' });
  const empty = h('p', { class: 'muted', hidden: true }, 'No projects yet.');
  const listError = h('p', { class: 'bad', role: 'alert', hidden: true, 'data-testid': 'a11y-projects-error' });
  const list = h('section', { class: 'card' }, h('h2', {}, 'Projects'), listError,
    h('div', { class: 'table-wrap' }, h('table', { class: 'table' },
      h('thead', {}, h('tr', {}, h('th', {}, 'Name'), h('th', {}, 'Page'), h('th', {}, 'Schedule'), h('th', {}, 'Created'), h('th', {}, ''))),
      rows)), empty);
  const page = h('div', { class: 'page split-page' }, list);
  container.append(page);
  let stopped = false;

  async function load() {
    try {
      const got = await api(`/api/v1/projects${query({ limit: 200 })}`);
      if (stopped) return;
      rows.replaceChildren(...got.items.map((p) => projectRow(p, load, listError)));
      empty.hidden = got.items.length > 0;
      listError.hidden = true;
    } catch (err) {
      if (stopped) return;
      listError.hidden = false;
      listError.textContent = `Cannot list projects: ${errorText(err)}`;
    }
  }
  if (canEdit()) page.append(createForm(load));
  load();
  return () => { stopped = true; };
}

function projectRow(p, reload, errorBox) {
  const edit = canEdit();
  const schedule = scheduleInput(p.schedule, `a11y-project-schedule-${p.id}`);
  const save = h('button', { type: 'button', class: 'small-button', 'data-testid': 'a11y-project-save' }, 'Save');
  // The API shows cookie values, header values and typed text as "[redacted]": a project that has them cannot be
  // scanned from here with the same settings (its schedule scans with them).
  const secret = redacted(p.settings);
  const scan = h('button', { type: 'button', class: 'small-button primary', 'data-testid': 'a11y-project-scan', disabled: secret,
    title: secret ? 'This project sends cookies, headers or typed text the console cannot read: its schedule scans with them, '
      + 'or start a scan on the Scans page and give them again.' : null }, 'Scan now');
  const remove = h('button', { type: 'button', class: 'small-button', 'data-testid': 'a11y-project-delete' }, 'Delete');
  const fail = (what) => (err) => { errorBox.hidden = false; errorBox.textContent = `Cannot ${what} ${p.name}: ${errorText(err)}`; };
  save.addEventListener('click', () => {
    api(projectPath(p.id), { method: 'PATCH', body: { schedule: schedule.value() } }).then(reload, fail('change'));
  });
  scan.addEventListener('click', () => {
    const body = { url: p.url, project_id: p.id, ...(p.settings ?? {}) };
    api('/api/v1/scans', { method: 'POST', body }).then((s) => { location.hash = scansHash({ scan: s.scan_id ?? s.id }); }, fail('scan'));
  });
  remove.addEventListener('click', async () => {
    if (await confirmDialog({ title: 'Delete project', text: `Delete ${p.name}? Its scans are kept.`, confirm: 'Delete' })) {
      api(projectPath(p.id), { method: 'DELETE' }).then(reload, fail('delete'));
    }
  });
  return h('tr', { 'data-testid': 'a11y-project-row', 'data-id': p.id },
    h('td', {}, h('a', { href: scansHash({ project: p.id }) }, p.name)),
    h('td', { class: 'a11y-url' }, p.url),
    h('td', { class: 'a11y-wrap' }, edit ? h('span', { class: 'a11y-inline' }, schedule.el, save) : p.schedule),
    h('td', {}, formatTime(p.created_at)),
    h('td', { class: 'a11y-wrap' }, edit ? h('span', { class: 'a11y-inline' }, scan, remove) : null));
}

const redacted = (v) => (v === '[redacted]' || (typeof v === 'object' && v !== null && Object.values(v).some(redacted)));

// A schedule: manual, daily, weekly, or a cron expression typed in. Returns {el, value()}.
function scheduleInput(current, testid) {
  const known = SCHEDULES.includes(current ?? 'manual');
  const select = h('select', { 'aria-label': 'Schedule', 'data-testid': testid },
    ...SCHEDULES.map((s) => h('option', { value: s }, s)), h('option', { value: 'cron' }, 'cron…'));
  const cron = h('input', { 'aria-label': 'Cron expression', placeholder: '0 6 * * 1-5', hidden: known, 'data-testid': `${testid}-cron` });
  select.value = known ? current ?? 'manual' : 'cron';
  if (!known) cron.value = current;
  select.addEventListener('change', () => { cron.hidden = select.value !== 'cron'; });
  return { el: h('span', { class: 'a11y-inline' }, select, cron), value: () => (select.value === 'cron' ? cron.value.trim() : select.value) };
}

function createForm(reload) {
  const name = h('input', { name: 'name', required: true, maxlength: 200, 'data-testid': 'a11y-project-name' });
  const url = h('input', { name: 'url', type: 'url', required: true, placeholder: 'https://example.org/', 'data-testid': 'a11y-project-url' });
  const schedule = scheduleInput('manual', 'a11y-project-schedule');
  const width = h('input', { type: 'number', min: 1, max: 8192, value: 1280, 'aria-label': 'Viewport width' });
  const height = h('input', { type: 'number', min: 1, max: 8192, value: 800, 'aria-label': 'Viewport height' });
  const tags = TAGS.map((t) => h('input', { type: 'checkbox', name: 'tags', value: t }));
  const error = h('div', { class: 'form-error', role: 'alert', hidden: true, 'data-testid': 'a11y-project-error' });
  const submit = h('button', { type: 'submit', class: 'primary', 'data-testid': 'a11y-project-submit' }, 'Create project');
  const form = h('form', { novalidate: true }, error,
    h('div', { class: 'field' }, h('label', {}, 'Name'), name),
    h('div', { class: 'field' }, h('label', {}, 'Page URL'), url),
    h('div', { class: 'field' }, h('label', {}, 'Schedule'), schedule.el),
    h('div', { class: 'field' }, h('label', {}, 'Viewport (CSS px)'), h('div', { class: 'a11y-viewport' }, width, h('span', {}, '×'), height)),
    h('fieldset', { class: 'a11y-tags' }, h('legend', {}, 'Rules (none ticked: every rule)'), ...tags.map((t) => h('label', { class: 'a11y-check' }, t, t.value))),
    submit);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const body = { name: name.value.trim(), url: url.value.trim(), schedule: schedule.value(),
      viewport: { width: Number(width.value), height: Number(height.value) } };
    const picked = tags.filter((t) => t.checked).map((t) => t.value);
    if (picked.length) body.tags = picked;
    submit.disabled = true;
    try {
      await api('/api/v1/projects', { method: 'POST', body });
      showFormError(error, null);
      form.reset();
      reload();
    } catch (err) {
      showFormError(error, err);
    } finally {
      submit.disabled = false;
    }
  });
  return h('section', { class: 'card' }, h('h2', {}, 'New project'), form);
}
