// Users (admins): the tenant's members and their roles, and a form that invites someone and shows
// the invitation token once.

import { api } from './api.js';
import { formatTime, fromTemplate, h, showFormError, showSecret } from './dom.js';
import { grantableRoles, productRoles } from './roles.js';
import { current } from './session.js';

export function mountUsers(container) {
  const [root, refs] = fromTemplate('users');
  container.append(root);
  let stopped = false;

  const el = refs.form.elements;
  function fillRoles(products) {
    const roles = grantableRoles(current()?.role, products.map((r) => r.name));
    el.role.replaceChildren(...roles.map((r) => h('option', { value: r }, r)));
    el.role.value = roles.includes('user') ? 'user' : roles[0];
  }
  fillRoles([]);
  productRoles().then((products) => { if (!stopped && products.length) fillRoles(products); });

  async function load() {
    try {
      const { items } = await api('/api/v1/users');
      if (stopped) return;
      refs.listError.hidden = true;
      refs.rows.replaceChildren(...items.map((u) => h('tr', { 'data-testid': 'user-row', 'data-user-id': u.id },
        h('td', {}, u.email),
        h('td', {}, u.display_name ?? ''),
        h('td', {}, h('span', { class: 'badge' }, u.role),
          ...(u.grants ?? []).map((g) => h('span', { class: 'badge', title: 'granted product role' }, g))),
        h('td', { title: u.created_at }, formatTime(u.created_at)),
        h('td', { title: u.last_login_at ?? '' }, u.last_login_at ? formatTime(u.last_login_at) : 'never'))));
    } catch (err) {
      if (stopped) return;
      refs.listError.textContent = `Cannot list members: ${err.message}`;
      refs.listError.hidden = false;
    }
  }

  refs.form.addEventListener('submit', async (event) => {
    event.preventDefault();
    showFormError(refs.formError, null);
    const body = { email: el.email.value.trim(), role: el.role.value };
    if (!body.email) {
      showFormError(refs.formError, { status: 422, message: 'Enter the email address to invite.' });
      el.email.focus();
      return;
    }
    refs.submit.disabled = true;
    try {
      const invitation = await api('/api/v1/invitations', { method: 'POST', body });
      if (stopped) return;
      refs.invitee.textContent = invitation.email;
      refs.expires.textContent = invitation.expires_at ? `on ${new Date(invitation.expires_at).toLocaleString()}` : 'never';
      refs.form.reset();
      el.role.value = body.role;
      refs.form.hidden = true;
      showSecret(refs, invitation.token, () => {
        refs.form.hidden = false;
        el.email.focus();
      });
    } catch (err) {
      showFormError(refs.formError, err);
    } finally {
      refs.submit.disabled = false;
    }
  });

  load();
  return () => {
    stopped = true;
    refs.secret.value = '';
  };
}

// The console imports this module when the page first opens (GET /api/v1/console/pages names it).
export { mountUsers as mount };
