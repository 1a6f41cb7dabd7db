// Brand protection › Brands: the tenant's brands and a form for a new one (#/brand_protection.brands), or one
// brand (…?id=<brand>): its settings to change, its reference images, delete, and a way to its scans.

import { api, query } from '/console/api.js';
import { confirmDialog, formatTime, h } from '/console/dom.js';
import { brandForm } from './brand_form.js';
import { BRANDS_PAGE, SCANS_PAGE, brandPath, canEdit, errorText, pictures, useStyles } from './common.js';
import { referenceImages } from './images.js';

const PAGE = 50;

export function mount(container, params = new URLSearchParams()) {
  useStyles();
  const id = params.get('id');
  return id ? mountBrand(container, id) : mountList(container);
}

function mountList(container) {
  const rows = h('tbody', { 'data-testid': 'bp-brands' });
  const empty = h('p', { class: 'muted', hidden: true }, 'No brands yet.');
  const listError = h('p', { class: 'bad', role: 'alert', hidden: true });
  const more = h('button', { type: 'button', hidden: true }, 'Load more');
  const list = h('section', { class: 'card' },
    h('div', { class: 'card-head' }, h('h2', {}, 'Brands')),
    listError,
    h('div', { class: 'table-wrap' }, h('table', { class: 'table' },
      h('thead', {}, h('tr', {}, h('th', {}, 'Name'), h('th', {}, 'Aliases'), h('th', { class: 'num' }, 'References'),
        h('th', {}, 'Schedule'), h('th', {}, 'Changed'), h('th', {}, ''))),
      rows)),
    empty, h('div', { class: 'list-foot' }, more));
  const page = h('div', { class: 'page split-page' }, list);
  container.append(page);

  let cursor = null;
  const load = async (after) => {
    try {
      const got = await api(`/api/v1/brands${query({ limit: PAGE, cursor: after })}`);
      if (!after) rows.replaceChildren();
      rows.append(...got.items.map(row));
      cursor = got.next_cursor;
      more.hidden = !cursor;
      empty.hidden = rows.children.length > 0;
      listError.hidden = true;
    } catch (err) {
      listError.hidden = false;
      listError.textContent = `Cannot list brands: ${errorText(err)}`;
    }
  };
  more.addEventListener('click', () => load(cursor));

  if (canEdit()) {
    const form = brandForm({
      submitLabel: 'Create brand',
      onSubmit: async (body) => {
        form.setBusy(true);
        try {
          const created = await api('/api/v1/brands', { method: 'POST', body });
          location.hash = `${BRANDS_PAGE}?id=${encodeURIComponent(created.id)}`;
        } catch (err) {
          form.showError(err);
        } finally {
          form.setBusy(false);
        }
      },
    });
    form.fill({});
    page.append(h('section', { class: 'card' }, h('h2', {}, 'New brand'), form.el));
  }
  load();
}

function row(b) {
  const open = `${BRANDS_PAGE}?id=${encodeURIComponent(b.id)}`;
  return h('tr', { 'data-testid': 'bp-brand-row', 'data-id': b.id },
    h('td', {}, h('a', { href: open, 'data-testid': 'bp-brand-link' }, b.name)),
    h('td', { class: 'details' }, (b.aliases ?? []).join(', ')),
    h('td', { class: 'num' }, String(b.reference_images ?? 0)),
    h('td', {}, b.schedule ?? 'manual'),
    h('td', {}, formatTime(b.updated_at)),
    h('td', {}, h('a', { href: `${SCANS_PAGE}?brand=${encodeURIComponent(b.id)}` }, 'Scans')));
}

function mountBrand(container, id) {
  const pics = pictures();
  const title = h('h2', { 'data-testid': 'bp-brand-title' }, 'Brand');
  const head = h('section', { class: 'card' },
    h('p', { class: 'crumbs small' }, h('a', { href: BRANDS_PAGE }, 'Brands'), ' › ', h('span', {}, id.slice(-8))),
    h('div', { class: 'card-head' }, title,
      h('div', { class: 'actions' },
        h('a', { href: `${SCANS_PAGE}?brand=${encodeURIComponent(id)}`, 'data-testid': 'bp-brand-scans' }, 'Scans of this brand'))));
  const settings = h('section', { class: 'card' }, h('h2', {}, 'Settings'));
  const images = h('section', { class: 'card' });
  const page = h('div', { class: 'page' }, head, h('div', { class: 'two-col bp-brand-cols' }, settings, images));
  container.append(page);

  const crumb = head.querySelector('.crumbs span');
  const show = (b) => {
    title.textContent = b.name;
    crumb.textContent = b.name;
    document.title = `${b.name} · Brands · Tyto console`;
  };

  const savedNote = h('p', { class: 'good small', role: 'status', 'data-testid': 'bp-brand-saved' });
  const form = brandForm({
    submitLabel: 'Save',
    onSubmit: async (body) => {
      form.setBusy(true);
      try {
        const saved = await api(brandPath(id), { method: 'PATCH', body });
        form.fill(saved);
        form.showError(null);
        show(saved);
        savedNote.textContent = `Saved at ${new Date().toLocaleTimeString()}.`;
      } catch (err) {
        form.showError(err);
      } finally {
        form.setBusy(false);
      }
    },
  });
  settings.append(form.el, savedNote);
  if (canEdit()) {
    const del = h('button', { type: 'button', class: 'danger', 'data-testid': 'bp-brand-delete' }, 'Delete brand');
    del.addEventListener('click', async () => {
      const ok = await confirmDialog({ title: `Delete ${title.textContent}?`, text: 'The brand goes with its reference images and schedule. Its scans and listings cannot be opened afterwards.', confirm: 'Delete' });
      if (!ok) return;
      try {
        await api(brandPath(id), { method: 'DELETE' });
        location.hash = BRANDS_PAGE;
      } catch (err) {
        form.showError(err);
      }
    });
    settings.append(del);
  } else {
    form.disable();
  }

  let stopImages = () => {};
  api(brandPath(id)).then((b) => {
    show(b);
    form.fill(b);
    stopImages = referenceImages(images, id, pics);
  }).catch((err) => {
    page.replaceChildren(h('section', { class: 'card', role: 'alert' }, h('h2', {}, 'Brand'),
      h('p', {}, `Cannot open this brand: ${errorText(err)}. `, h('a', { href: BRANDS_PAGE }, 'All brands'), '.')));
  });
  return () => {
    stopImages();
    pics.release();
  };
}
