// The Tyto console: a small single-page app over the JSON API, routed by the URL's hash.
// A view is mount(container, ...params) → unmount(); unmount stops its timers and sockets.

import { api } from './api.js';
import { h } from './dom.js';
import { mountOverview } from './overview.js';
import { mountJobs } from './jobs.js';
import { mountJob } from './job_view.js';

const routes = [
  { pattern: /^#?\/?$/, nav: 'overview', title: 'Overview', mount: mountOverview },
  { pattern: /^#\/jobs\/?$/, nav: 'jobs', title: 'Jobs', mount: mountJobs },
  { pattern: /^#\/jobs\/([^/?#]+)$/, nav: 'jobs', title: 'Job', mount: mountJob },
];

const view = document.getElementById('view');
let unmount = null;

function route() {
  unmount?.();
  unmount = null;
  view.replaceChildren();
  const hash = location.hash;
  const found = routes.find((r) => r.pattern.test(hash));
  for (const a of document.querySelectorAll('#nav a')) {
    const active = a.dataset.route === found?.nav;
    a.classList.toggle('active', active);
    if (active) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  if (!found) {
    document.title = 'Not found · Tyto console';
    view.append(h('section', { class: 'card' }, h('h2', {}, 'No such page'),
      h('p', {}, 'Try the ', h('a', { href: '#/' }, 'overview'), ' or the ', h('a', { href: '#/jobs' }, 'jobs'), '.')));
    return;
  }
  document.title = `${found.title} · Tyto console`;
  const params = hash.match(found.pattern).slice(1).map(decodeURIComponent);
  unmount = found.mount(view, ...params) ?? null;
}

async function showVersion() {
  try {
    const health = await api('/health');
    if (health?.version) document.getElementById('server-version').textContent = `v${health.version}`;
  } catch { /* the overview reports an unreachable server */ }
}

window.addEventListener('hashchange', route);
route();
showVersion();
