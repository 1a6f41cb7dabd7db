// The Tyto console: a small single-page app over the JSON API, routed by the URL's hash.
// A view is mount(container, ...params) → unmount(); unmount stops its timers and sockets.
// Every page but the sign-in page needs a session; without one the router sends the browser to
// #/login?next=<the page asked for>.
//
// The navigation comes from the server: GET /api/v1/console/pages lists the pages the caller's role may
// open (the platform's and every product's), each with the ES module that draws it. A page's module is
// imported the first time it opens (#/<page id>; the overview is #/), and its mount(container, params) called,
// params being the URLSearchParams of the hash's query (#/<page id>?key=value).

import { api, query } from './api.js';
import { h } from './dom.js';
import { mountJob } from './job_view.js';
import { mountLogin, nextPage } from './login.js';
import { current, logout, onChange, restored } from './session.js';

// Pages that are not in the navigation: the sign-in page and a job's own page.
const routes = [
  { pattern: /^#\/login(?:\?(.*))?$/, title: 'Sign in', mount: mountLogin, public: true, raw: true },
  { pattern: /^#\/jobs\/([^/?#]+)$/, nav: 'jobs', title: 'Job', mount: mountJob },
];

// The pages of the navigation, as the server listed them for the signed-in role (null: not read yet).
let pages = null;
let pagesFor = null;  // the session (token and role) they were read for

// Who the navigation is for: another user, tenant or role reads it again (a token refresh does not).
function sessionKey() {
  const who = current();
  return who ? `${who.role} ${who.tenant?.id ?? ''} ${who.user?.id ?? ''}` : null;
}

async function loadPages() {
  const key = sessionKey();
  if (pages && pagesFor === key) return pages;
  pages = (await api('/api/v1/console/pages')).items;
  pagesFor = key;
  buildNav();
  return pages;
}

const pageHash = (id) => (id === 'overview' ? '#/' : `#/${id}`);

// Which navigation page a hash opens, or undefined. A page's hash may carry a query (#/<id>?brand=…),
// which its mount() receives as URLSearchParams.
const pageHashPattern = /^#\/([^/?#]+)\/?(?:\?(.*))?$/;
function pageFor(hash) {
  const id = /^#?\/?$/.test(hash) ? 'overview' : hash.match(pageHashPattern)?.[1];
  return id && pages?.find((p) => p.id === id);
}

// One section per product (its label, then its pages), so that a narrow window wraps the navigation
// between products rather than between a label and its links.
function buildNav() {
  const nav = document.getElementById('nav');
  const sections = [];
  let group = 'Tyto';
  let links = h('span', { class: 'nav-section' });
  sections.push(links);
  for (const p of pages ?? []) {
    if (p.nav !== group) {
      group = p.nav;
      links = h('span', { class: 'nav-section' },
        h('span', { class: 'nav-group', 'data-testid': `nav-group-${p.id.split('.')[0]}` }, group));
      sections.push(links);
    }
    links.append(h('a', { href: pageHash(p.id), 'data-route': p.id, 'data-testid': `nav-${p.id}` }, p.title));
  }
  nav.replaceChildren(...sections.filter((s) => s.childElementCount > 0));
}

const view = document.getElementById('view');
let unmount = null;
let generation = 0;  // a route() that waited for the session gives up when a newer one started

const loginPage = (reason, next) => `#/login${query({ next: next && next !== '#/' ? next : undefined, reason })}`;

async function route() {
  const gen = ++generation;
  unmount?.();
  unmount = null;
  view.replaceChildren();
  await restored;
  if (gen !== generation) return;

  const hash = location.hash;
  let found = routes.find((r) => r.pattern.test(hash));
  if (!found?.public && !current()) {
    location.replace(loginPage(undefined, hash));
    return;
  }
  if (found?.public && current()) {  // signed in already: the sign-in page has nothing to do
    location.replace(nextPage(new URLSearchParams(hash.match(found.pattern)[1] ?? '')));
    return;
  }
  showAccount();
  if (current()) {
    try {
      await loadPages();
    } catch {
      pages = pages ?? [];
    }
    if (gen !== generation) return;
  }
  if (!found) {
    const p = pageFor(hash);
    if (p) found = { nav: p.id, title: p.title, page: p };
  }
  highlight(found?.nav);
  if (!found) {
    // The server lists only the pages this role may open: an unlisted one is unknown or not allowed.
    document.title = 'Not found · Tyto console';
    view.append(h('section', { class: 'card', role: 'alert', 'data-testid': 'not-allowed' }, h('h2', {}, 'No such page'),
      h('p', {}, `This page does not exist, or your role in this tenant (${current().role}) may not open it. Try the `,
        h('a', { href: '#/' }, 'overview'), '.')));
    return;
  }
  document.title = `${found.title} · Tyto console`;
  if (found.page) {
    let mod;
    try {
      mod = await import(found.page.module);
    } catch (e) {
      view.append(h('section', { class: 'card', role: 'alert' }, h('h2', {}, found.title), h('p', {}, `The page could not be loaded: ${e.message}`)));
      return;
    }
    if (gen !== generation) return;
    unmount = mod.mount(view, new URLSearchParams(hash.match(pageHashPattern)?.[2] ?? '')) ?? null;
    return;
  }
  const params = hash.match(found.pattern).slice(1).map((p) => (found.raw || p === undefined ? p : decodeURIComponent(p)));
  unmount = found.mount(view, ...params) ?? null;
}

function highlight(route) {
  for (const a of document.querySelectorAll('#nav a')) {
    const active = a.dataset.route === route;
    a.classList.toggle('active', active);
    if (active) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

// The header: who is signed in, the sign-out button, and the pages this role may open.
function showAccount() {
  const who = current();
  document.getElementById('nav').hidden = !who;
  document.getElementById('account').hidden = !who;
  if (!who) return;
  const tenant = who.tenant?.display_name || who.tenant?.name || '';
  document.getElementById('who-email').textContent = who.user?.email ?? '';
  document.getElementById('who-email').title = who.user?.display_name ?? '';
  document.getElementById('who-tenant').textContent = tenant;
  document.getElementById('who-tenant').title = `Tenant ${who.tenant?.name ?? ''}`;
  document.getElementById('who-role').textContent = who.role ?? '';
}

onChange((reason) => {
  if (sessionKey() !== pagesFor) {
    pages = null;
    document.getElementById('nav').replaceChildren();
  }
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
