// A brand's reference images: thumbnails with their hashing state, a drop zone (and a file picker) that
// uploads pictures through the upload flow (purpose `reference`) and adds them to the brand, and delete.
// While an image is pending, the list is read again every second until it is hashed or failed.

import { api, query } from '/console/api.js';
import { confirmDialog, h } from '/console/dom.js';
import { brandPath, canEdit, errorText, objectContent, uploadFile } from './common.js';

const POLL_MS = 1000;
const ACCEPT = ['image/jpeg', 'image/png', 'image/webp'];

// Draws the card into `card`; returns a function that stops its timer.
export function referenceImages(card, brandId, pics) {
  const grid = h('div', { class: 'bp-thumbs', 'data-testid': 'bp-images' });
  const empty = h('p', { class: 'muted', hidden: true }, 'No reference images yet.');
  const status = h('ul', { class: 'bp-upload-status', 'aria-live': 'polite', 'data-testid': 'bp-upload-status' });
  const listError = h('p', { class: 'bad', role: 'alert', hidden: true });
  const picker = h('input', { type: 'file', accept: ACCEPT.join(','), multiple: true, class: 'visually-hidden', id: 'bp-image-input', 'data-testid': 'bp-image-input' });
  const zone = h('div', { class: 'bp-dropzone', 'data-testid': 'bp-dropzone' },
    h('p', {}, 'Drop pictures here, or ', h('label', { for: 'bp-image-input', class: 'bp-pick' }, 'choose files'), '.'),
    h('p', { class: 'muted small' }, 'JPEG, PNG or WebP, up to 25 MiB each; each is hashed once it arrives.'),
    picker);
  card.append(h('div', { class: 'card-head' }, h('h2', {}, 'Reference images')), listError,
    canEdit() ? zone : null, status, empty, grid);

  let timer = null;
  let stopped = false;
  const thumbs = new Map();  // image id → element

  async function load() {
    clearTimeout(timer);
    try {
      const page = await api(`${brandPath(brandId)}/images${query({ limit: 200 })}`);
      if (stopped) return;
      listError.hidden = true;
      render(page.items);
      if (page.items.some((i) => i.state === 'pending')) timer = setTimeout(load, POLL_MS);
    } catch (err) {
      if (stopped) return;
      listError.hidden = false;
      listError.textContent = `Cannot list the reference images: ${errorText(err)}`;
      timer = setTimeout(load, 5 * POLL_MS);
    }
  }

  function render(items) {
    empty.hidden = items.length > 0;
    const keep = new Set(items.map((i) => i.id));
    for (const [id, el] of thumbs) if (!keep.has(id)) { el.remove(); thumbs.delete(id); }
    for (const image of items) {
      let el = thumbs.get(image.id);
      if (!el) {
        el = thumb(image);
        thumbs.set(image.id, el);
      }
      update(el, image);
      grid.append(el);  // keeps the server's order (newest first)
    }
  }

  function thumb(image) {
    const img = h('img', { alt: `reference ${image.id.slice(-8)}`, loading: 'lazy' });
    pics.show(img, objectContent(image.object_id));
    const badge = h('span', { class: 'badge', 'data-testid': 'bp-image-state' });
    const del = canEdit()
      ? h('button', { type: 'button', class: 'small-button', 'data-testid': 'bp-image-delete' }, 'Delete')
      : null;
    del?.addEventListener('click', async () => {
      const ok = await confirmDialog({ title: 'Delete this reference image?', text: 'Scans will no longer compare listings with it. The uploaded picture itself stays.', confirm: 'Delete' });
      if (!ok) return;
      try {
        await api(`${brandPath(brandId)}/images/${encodeURIComponent(image.id)}`, { method: 'DELETE' });
        load();
      } catch (err) {
        listError.hidden = false;
        listError.textContent = `Cannot delete the image: ${errorText(err)}`;
      }
    });
    return h('figure', { class: 'bp-thumb', 'data-testid': 'bp-image', 'data-id': image.id },
      img, h('figcaption', {}, badge, del));
  }

  function update(el, image) {
    el.dataset.state = image.state;
    const badge = el.querySelector('[data-testid=bp-image-state]');
    badge.className = `badge bp-state-${image.state}`;
    badge.textContent = image.state;
    badge.title = image.state === 'failed' ? image.error ?? '' : image.state === 'hashed' ? `PDQ ${image.hashes?.pdq ?? ''}` : 'being hashed';
  }

  async function add(files) {
    for (const file of files) {
      const line = h('li', { 'data-testid': 'bp-upload' }, `${file.name}: uploading…`);
      status.append(line);
      if (file.type && !ACCEPT.includes(file.type)) {
        line.textContent = `${file.name}: not a JPEG, PNG or WebP picture`;
        line.className = 'bad';
        continue;
      }
      try {
        const object = await uploadFile(file, 'reference');
        await api(`${brandPath(brandId)}/images`, { method: 'POST', body: { object_id: object.id } });
        line.remove();
      } catch (err) {
        line.textContent = `${file.name}: ${errorText(err)}`;
        line.className = 'bad';
      }
      load();
    }
  }

  zone.addEventListener('dragover', (e) => { e.preventDefault(); zone.classList.add('bp-over'); });
  zone.addEventListener('dragleave', () => zone.classList.remove('bp-over'));
  zone.addEventListener('drop', (e) => {
    e.preventDefault();
    zone.classList.remove('bp-over');
    add([...(e.dataTransfer?.files ?? [])]);
  });
  picker.addEventListener('change', () => {
    add([...picker.files]);
    picker.value = '';
  });

  load();
  return () => { stopped = true; clearTimeout(timer); };
}
