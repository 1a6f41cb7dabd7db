// The Tyto console: a small single-page app over the JSON API, routed by the URL's hash.
// A view is mount(container, ...params) → unmount(); unmount stops its timers and sockets.
// Every page but the sign-in page needs a session; without one the router sends the browser to
// #/login?next=<the page asked for>.

import { api, query } from './api.js';
import { h } from './dom.js';
import { mountOverview } from './overview.js';
import { mountJobs } from './jobs.js';
import { mountJob } from './job_view.js';
import { mountLogin, nextPage } from './login.js';
import { mountApiKeys } from './api_keys.js';
import { mountUsers } from './users.js';
import { mountAudit } from './audit.js';
import { roleAllows } from './roles.js';
import { current, logout, onChange, restored } from './session.js';

const routes = [
  { pattern: /^#\/login(?:\?(.*))?$/, title: 'Sign in', mount: mountLogin, public: true, raw: true },
  { pattern: /^#?\/?$/, nav: 'overview', title: 'Overview', mount: mountOverview },
  { pattern: /^#\/jobs\/?$/, nav: 'jobs', title: 'Jobs', mount: mountJobs },
  { pattern: /^#\/jobs\/([^/?#]+)$/, nav: 'jobs', title: 'Job', mount: mountJob },
  { pattern: /^#\/api-keys\/?$/, nav: 'api-keys', title: 'API keys', mount: mountApiKeys, role: 'user' },
  { pattern: /^#\/users\/?$/, nav: 'users', title: 'Users', mount: mountUsers, role: 'admin' },
  { pattern: /^#\/audit\/?$/, nav: 'audit', title: 'Audit log', mount: mountAudit, role: 'admin' },
];

const view = document.getElementById('view');
let unmount = null;
let generation = 0;  // a route() that waited for the session gives up when a newer one started

// Whether the signed-in role may open a page that needs `role` (pages without one: everyone).
const mayOpen = (role) => !role || roleAllows(current()?.role, role);

const loginPage = (reason, next) => `#/login${query({ next: next && next !== '#/' ? next : undefined, reason })}`;

async function route() {
  const gen = ++generation;
  unmount?.();
  unmount = null;
  view.replaceChildren();
  await restored;
  if (gen !== generation) return;

  const hash = location.hash;
  const found = routes.find((r) => r.pattern.test(hash));
  if (!found?.public && !current()) {
    location.replace(loginPage(undefined, hash));
    return;
  }
  if (found?.public && current()) {  // signed in already: the sign-in page has nothing to do
    location.replace(nextPage(new URLSearchParams(hash.match(found.pattern)[1] ?? '')));
    return;
  }
  showAccount();
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
  if (!mayOpen(found.role)) {
    view.append(h('section', { class: 'card', role: 'alert', 'data-testid': 'not-allowed' },
      h('h2', {}, found.title), h('p', {}, `This page needs the ${found.role} role in this tenant; yours is ${current().role}.`)));
    return;
  }
  const params = hash.match(found.pattern).slice(1).map((p) => (found.raw || p === undefined ? p : decodeURIComponent(p)));
  unmount = found.mount(view, ...params) ?? null;
}

// The header: who is signed in, the sign-out button, and the pages this role may open.
function showAccount() {
  const who = current();
  document.getElementById('nav').hidden = !who;
  document.getElementById('account').hidden = !who;
  for (const a of document.querySelectorAll('#nav [data-role]')) a.hidden = !mayOpen(a.dataset.role);
  if (!who) return;
  const tenant = who.tenant?.display_name || who.tenant?.name || '';
  document.getElementById('who-email').textContent = who.user?.email ?? '';
  document.getElementById('who-email').title = who.user?.display_name ?? '';
  document.getElementById('who-tenant').textContent = tenant;
  document.getElementById('who-tenant').title = `Tenant ${who.tenant?.name ?? ''}`;
  document.getElementById('who-role').textContent = who.role ?? '';
}

onChange((reason) => {
  showAccount();
  if (reason === 'signout') location.hash = loginPage('signout');
  else if (reason === 'expired' && !routes[0].pattern.test(location.hash)) location.replace(loginPage('expired', location.hash));
});

document.getElementById('sign-out').addEventListener('click', () => logout());

async function showVersion() {
  try {
    const health = await api('/health');
    if (health?.version) document.getElementById('server-version').textContent = `v${health.version}`;
  } catch { /* the overview reports an unreachable server */ }
}

window.addEventListener('hashchange', route);
route();
showVersion();
