// The sign-in page, #/login?next=<page>&reason=expired|signout. After signing in it goes to `next`.

import { ApiError } from './api.js';
import { fromTemplate, showFormError } from './dom.js';
import { login } from './session.js';

const NOTES = {
  expired: 'Your session has ended. Sign in again to go on.',
  signout: 'You have signed out.',
};

// The page to go to after signing in: a console page, never the login page or another site.
export function nextPage(params) {
  const next = params.get('next') ?? '';
  return next.startsWith('#/') && !next.startsWith('#/login') ? next : '#/';
}

export function mountLogin(container, search = '') {
  const params = new URLSearchParams(search);
  const [root, refs] = fromTemplate('login');
  container.append(root);
  const el = refs.form.elements;

  const note = NOTES[params.get('reason')];
  refs.note.hidden = !note;
  refs.note.textContent = note ?? '';
  el.email.focus();

  let retryTimer = null;
  refs.form.addEventListener('submit', async (event) => {
    event.preventDefault();
    showFormError(refs.error, null);
    if (!el.email.value.trim() || !el.password.value) {
      showFormError(refs.error, { status: 400, message: 'Enter your email and password.' });
      return;
    }
    refs.submit.disabled = true;
    try {
      await login(el.email.value.trim(), el.password.value, el.tenant.value.trim());
      location.replace(nextPage(params));
      return;
    } catch (err) {
      el.password.value = '';
      el.password.focus();
      if (err instanceof ApiError && err.status === 401) {
        showFormError(refs.error, { status: 401, message: 'Wrong email or password.' });
      } else if (err instanceof ApiError && err.status === 429) {
        lockedOut(err.retryAfter);
        return;
      } else {
        showFormError(refs.error, err);
      }
    }
    refs.submit.disabled = false;
  });

  // Too many failed attempts: the server refuses this account for a while, and the button waits too.
  function lockedOut(seconds) {
    const wait = seconds ?? 60;
    const until = Date.now() + wait * 1000;
    showFormError(refs.error, { status: 429, message: `Too many failed attempts. Try again in ${wait} s.` });
    const tick = () => {
      const left = Math.ceil((until - Date.now()) / 1000);
      refs.submit.textContent = left > 0 ? `Sign in (${left} s)` : 'Sign in';
      refs.submit.disabled = left > 0;
      if (left > 0) retryTimer = setTimeout(tick, 1000);
    };
    tick();
  }

  return () => clearTimeout(retryTimer);
}
