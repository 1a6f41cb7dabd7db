// The editor of a provider spec (docs/products/brand-protection.md, "Search providers"): the demo
// marketplace, a listings file uploaded through the upload flow, a JSON search API, or one of the tenant's
// saved providers (GET /api/v1/brands/providers, whose API keys stay on the server). Used by the brand
// form (scan_provider, which may be none) and by the form that starts a scan.

import { api, query } from '/console/api.js';
import { h } from '/console/dom.js';
import { errorText, uploadFile } from './common.js';

const HTTP_EXAMPLE = JSON.stringify({
  url_template: 'https://api.example/search?q={query}&page={page}',
  items: '/results',
  rate_per_minute: 60,
}, null, 2);

// A listings file is a CSV or JSON document.
const isListingFile = (o) => /^(text\/csv|application\/json)/.test(o.content_type ?? '');

// Returns {el, value(), set(spec)}; value() is the spec, or null for "none", and throws an Error naming the
// problem when the JSON API's spec is not JSON. `name` prefixes the inputs' names (error fields).
export function providerEditor({ name = 'provider', allowNone = false, testid = 'bp-provider' } = {}) {
  const type = h('select', { name: `${name}.type`, 'data-testid': `${testid}-type` },
    allowNone ? h('option', { value: '' }, 'none') : null,
    h('option', { value: 'demo' }, 'demo marketplace'),
    h('option', { value: 'file' }, 'listings file (CSV or JSON)'),
    h('option', { value: 'http_json' }, 'JSON search API (http_json)'),
    h('option', { value: 'saved' }, 'saved provider'));
  const saved = h('select', { name: `${name}.provider_id`, 'data-testid': `${testid}-saved` });
  const objects = h('select', { name: `${name}.object_id`, 'data-testid': `${testid}-object` });
  const fileInput = h('input', { type: 'file', accept: '.csv,.json,text/csv,application/json', 'data-testid': `${testid}-file-input` });
  const fileStatus = h('span', { class: 'muted small', role: 'status' });
  const spec = h('textarea', { name: `${name}.url_template`, rows: 7, spellcheck: 'false', placeholder: HTTP_EXAMPLE, 'data-testid': `${testid}-spec` });
  const filePart = h('div', { class: 'field' },
    h('label', {}, 'Listings file'), objects,
    h('label', { class: 'small muted' }, 'or upload one: ', fileInput), fileStatus);
  const httpPart = h('div', { class: 'field' },
    h('label', {}, 'Spec (JSON, without "type")'), spec,
    h('p', { class: 'muted small' }, 'url_template holds {query}; items, fields, api_key, api_key_header, page_size, max_pages, timeout_ms and rate_per_minute as the API documents them. A brand keeps no API key: save such a provider and choose it as a saved provider.'));
  const savedStatus = h('span', { class: 'muted small', role: 'status' });
  const savedPart = h('div', { class: 'field' }, h('label', {}, 'Saved provider'), saved, savedStatus);
  const el = h('div', { class: 'bp-provider' }, h('div', { class: 'field' }, h('label', {}, 'Provider'), type), filePart, httpPart,
    savedPart);

  let pendingObject = null;  // an object_id to select once the list has loaded
  const loadObjects = async (select) => {
    try {
      const page = await api(`/api/v1/objects${query({ limit: 200 })}`);
      const files = page.items.filter(isListingFile);
      objects.replaceChildren(...files.map((o) => h('option', { value: o.id }, `${o.filename ?? o.id} (${o.content_type}, ${o.size} bytes)`)));
      if (!files.length) objects.append(h('option', { value: '' }, 'no listings file uploaded yet'));
      if (select ?? pendingObject) objects.value = select ?? pendingObject;
    } catch (err) {
      fileStatus.textContent = `Cannot list files: ${errorText(err)}`;
    }
  };
  let pendingSaved = null;
  const loadSaved = async () => {
    try {
      const page = await api(`/api/v1/brands/providers${query({ limit: 200 })}`);
      saved.replaceChildren(...page.items.map((p) => h('option', { value: p.id }, `${p.name} (${p.provider?.type ?? '?'})`)));
      if (!page.items.length) savedStatus.textContent = 'No saved provider yet (an admin saves them through the API).';
      if (pendingSaved) saved.value = pendingSaved;
    } catch (err) {
      savedStatus.textContent = `Cannot list saved providers: ${errorText(err)}`;
    }
  };
  const show = () => {
    filePart.hidden = type.value !== 'file';
    httpPart.hidden = type.value !== 'http_json';
    savedPart.hidden = type.value !== 'saved';
    if (type.value === 'file' && !objects.options.length) loadObjects();
    if (type.value === 'saved' && !saved.options.length) loadSaved();
  };
  type.addEventListener('change', show);
  fileInput.addEventListener('change', async () => {
    const file = fileInput.files[0];
    if (!file) return;
    fileStatus.textContent = `Uploading ${file.name}…`;
    try {
      const object = await uploadFile(file, 'document');
      fileStatus.textContent = `Uploaded ${file.name}.`;
      await loadObjects(object.id);
    } catch (err) {
      fileStatus.textContent = `Cannot upload ${file.name}: ${errorText(err)}`;
    }
    fileInput.value = '';
  });
  show();

  return {
    el,
    value() {
      if (!type.value) return null;
      if (type.value === 'demo') return { type: 'demo' };
      if (type.value === 'file') return { type: 'file', object_id: objects.value };
      if (type.value === 'saved') return { type: 'saved', provider_id: saved.value };
      let rest;
      try {
        rest = JSON.parse(spec.value || '{}');
      } catch (err) {
        throw new Error(`The JSON API's spec is not JSON: ${err.message}`);
      }
      if (typeof rest !== 'object' || rest === null || Array.isArray(rest)) throw new Error("The JSON API's spec must be a JSON object");
      return { ...rest, type: 'http_json' };
    },
    set(p) {
      type.value = p?.type ?? (allowNone ? '' : 'demo');
      if (p?.type === 'file') {
        pendingObject = p.object_id;
        objects.replaceChildren(h('option', { value: p.object_id }, p.object_id));
        objects.value = p.object_id;
        loadObjects(p.object_id);
      }
      if (p?.type === 'saved') {
        pendingSaved = p.provider_id;
        saved.replaceChildren(h('option', { value: p.provider_id }, p.provider_id));
        loadSaved();
      }
      if (p?.type === 'http_json') {
        const { type: _t, ...rest } = p;
        spec.value = JSON.stringify(rest, null, 2);
      }
      show();
    },
  };
}
