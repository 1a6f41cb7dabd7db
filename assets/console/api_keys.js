// API keys: the tenant's keys (newest first, "Load more"), a form that creates one and shows its
// secret once, and revocation after a confirmation.

import { api, query } from './api.js';
import { confirmDialog, formatTime, fromTemplate, h, showFormError, showSecret } from './dom.js';
import { grantableRoles, productRoles } from './roles.js';
import { current } from './session.js';

const PAGE = 50;

export function mountApiKeys(container) {
  const [root, refs] = fromTemplate('api-keys');
  container.append(root);
  let items = [];
  let nextCursor = null;
  let stopped = false;

  // Product roles the caller holds (by its role or by grant) may be handed to its keys too.
  function fillRoles(products, grants) {
    const roles = grantableRoles(current()?.role, products.map((r) => r.name), grants);
    refs.form.elements.role.replaceChildren(...roles.map((r) => h('option', { value: r }, r)));
    refs.form.elements.role.value = roles.includes('user') ? 'user' : roles[0];
  }
  fillRoles([], []);
  Promise.all([productRoles(), api('/api/v1/auth/me').catch(() => ({}))]).then(([products, me]) => {
    if (!stopped && products.length) fillRoles(products, me.grants ?? []);
  });

  async function load(cursor) {
    refs.more.disabled = true;
    try {
      const page = await api(`/api/v1/api-keys${query({ limit: PAGE, cursor })}`);
      if (stopped) return;
      items = cursor ? items.concat(page.items) : page.items;
      nextCursor = page.next_cursor;
      refs.listError.hidden = true;
      render();
    } catch (err) {
      if (stopped) return;
      refs.listError.textContent = `Cannot list API keys: ${err.message}`;
      refs.listError.hidden = false;
    } finally {
      refs.more.disabled = false;
    }
  }

  function render() {
    refs.rows.replaceChildren(...items.map(row));
    refs.empty.hidden = items.length > 0;
    refs.more.hidden = !nextCursor;
  }

  function row(key) {
    const expired = key.expires_at && Date.parse(key.expires_at) <= Date.now();
    const status = key.revoked_at ? 'revoked' : expired ? 'expired' : null;
    const revoke = h('button', { type: 'button', class: 'small-button', 'data-testid': 'key-revoke' }, 'Revoke');
    revoke.addEventListener('click', () => revokeKey(key, revoke));
    return h('tr', { 'data-testid': 'key-row', 'data-key-id': key.id, 'data-status': status ?? 'active',
      class: status ? 'inactive' : null },
    h('td', {}, key.name),
    h('td', {}, h('code', {}, `${key.prefix}…`)),
    h('td', {}, key.role),
    h('td', { title: key.created_at }, formatTime(key.created_at)),
    h('td', { title: key.last_used_at ?? '' }, key.last_used_at ? formatTime(key.last_used_at) : 'never'),
    h('td', { title: key.expires_at ?? '' }, key.expires_at ? formatTime(key.expires_at) : 'never'),
    h('td', { class: 'num' }, status
      ? h('span', { class: 'badge state-cancelled', title: key.revoked_at ?? key.expires_at }, status)
      : revoke));
  }

  async function revokeKey(key, button) {
    const yes = await confirmDialog({
      title: `Revoke “${key.name}”?`,
      text: `Programs that use the key ${key.prefix}… will be refused from now on. This cannot be undone.`,
      confirm: 'Revoke key',
    });
    if (!yes || stopped) return;
    button.disabled = true;
    try {
      await api(`/api/v1/api-keys/${encodeURIComponent(key.id)}`, { method: 'DELETE' });
      key.revoked_at = new Date().toISOString();
      render();
    } catch (err) {
      button.disabled = false;
      refs.listError.textContent = `Cannot revoke ${key.name}: ${err.message}`;
      refs.listError.hidden = false;
    }
  }

  refs.form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const el = refs.form.elements;
    showFormError(refs.formError, null);
    const body = { name: el.name.value.trim(), role: el.role.value };
    if (!body.name) {
      showFormError(refs.formError, { status: 422, message: 'Give the key a name, so you know later what uses it.' });
      el.name.focus();
      return;
    }
    if (el.expires_in_s.value) body.expires_in_s = Number(el.expires_in_s.value);
    refs.submit.disabled = true;
    try {
      const created = await api('/api/v1/api-keys', { method: 'POST', body });
      if (stopped) return;
      const { key: secret, ...listed } = created;
      items = [listed, ...items.filter((k) => k.id !== listed.id)];
      render();
      refs.form.reset();
      el.role.value = body.role;
      refs.form.hidden = true;
      showSecret(refs, secret, () => {
        refs.form.hidden = false;
        el.name.focus();
      });
    } catch (err) {
      showFormError(refs.formError, err);
    } finally {
      refs.submit.disabled = false;
    }
  });
  refs.more.addEventListener('click', () => load(nextCursor));

  load();
  return () => {
    stopped = true;
    refs.secret.value = '';
  };
}

// The console imports this module when the page first opens (GET /api/v1/console/pages names it).
export { mountApiKeys as mount };
