// Small DOM helpers and formatters shared by the views. Styles go through classes (the CSP
// forbids style attributes), except computed sizes, which are set through element.style.

// h('a', {href: '#/', class: 'x'}, 'text', child…); null, undefined and false are left out.
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  el.append(...children.flat().filter((c) => c !== undefined && c !== null && c !== false));
  return el;
}

// Clones <template id="tpl-<name>"> and returns [fragment root, {data-ref name: element}].
export function fromTemplate(name) {
  const root = document.getElementById(`tpl-${name}`).content.firstElementChild.cloneNode(true);
  const refs = {};
  for (const el of [root, ...root.querySelectorAll('[data-ref]')]) {
    if (el.dataset.ref) refs[el.dataset.ref] = el;
  }
  return [root, refs];
}

export function stateBadge(state, attrs = {}) {
  return h('span', { class: `badge state-${state}`, ...attrs }, state);
}

export function setBadge(el, state) {
  el.className = `badge state-${state}`;
  el.textContent = state;
}

// A progress bar: role=progressbar, aria-valuenow 0-100, a fill and the percentage as text.
export function progressBar(attrs = {}) {
  const fill = h('span', { class: 'progress-fill' });
  const label = h('span', { class: 'progress-label' });
  return h('div', { class: 'progress', role: 'progressbar', 'aria-valuemin': 0, 'aria-valuemax': 100, ...attrs },
    fill, label);
}

export function setProgress(bar, fraction) {
  const pct = Math.max(0, Math.min(100, Math.round((Number(fraction) || 0) * 100)));
  if (bar.getAttribute('aria-valuenow') === String(pct)) return;
  bar.setAttribute('aria-valuenow', pct);
  bar.querySelector('.progress-fill').style.width = `${pct}%`;
  bar.querySelector('.progress-label').textContent = `${pct}%`;
}

export const shortId = (id) => (id ? id.slice(-8) : '');

export function formatTime(iso) {
  if (!iso) return '–';
  const t = new Date(iso);
  const sameDay = t.toDateString() === new Date().toDateString();
  return sameDay ? t.toLocaleTimeString() : t.toLocaleString();
}

export function formatClock(iso) {
  const t = new Date(iso);
  return `${t.toLocaleTimeString([], { hour12: false })}.${String(t.getMilliseconds()).padStart(3, '0')}`;
}

export function formatDuration(ms) {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)} min ${s % 60} s`;
}

export const prettyJson = (value) => JSON.stringify(value, null, 2);

// Shows an ApiError (or any error) in a form's error box: the message, then each field's complaint.
// null hides the box.
export function showFormError(box, err) {
  box.hidden = !err;
  box.replaceChildren();
  if (!err) return;
  const fields = Object.entries(err.fields ?? {});
  const message = err.status ? err.message : `The server did not answer: ${err.message}`;
  box.append(h('p', {}, message));
  if (fields.length) box.append(h('ul', {}, fields.map(([k, v]) => h('li', {}, `${k}: ${v}`))));
}

// Asks for confirmation in the page's modal <dialog id="confirm">; resolves true when confirmed.
export function confirmDialog({ title, text, confirm }) {
  const dialog = document.getElementById('confirm');
  const ok = document.getElementById('confirm-ok');
  const cancel = document.getElementById('confirm-cancel');
  document.getElementById('confirm-title').textContent = title;
  document.getElementById('confirm-text').textContent = text;
  ok.textContent = confirm;
  return new Promise((resolve) => {
    const done = (answer) => () => dialog.close(answer);
    const onOk = done('ok');
    const onCancel = done('cancel');
    ok.addEventListener('click', onOk);
    cancel.addEventListener('click', onCancel);
    dialog.addEventListener('close', () => {
      ok.removeEventListener('click', onOk);
      cancel.removeEventListener('click', onCancel);
      resolve(dialog.returnValue === 'ok');
    }, { once: true });
    dialog.returnValue = '';
    dialog.showModal();
    cancel.focus();
  });
}

// Shows a secret that the server returns only once (refs: created, secret, copy, copied, done) and
// wires its copy and dismiss buttons. Returns a function that hides it again and forgets the value.
export function showSecret(refs, value, onDone = () => {}) {
  refs.secret.value = value;
  refs.copied.textContent = '';
  refs.created.hidden = false;
  refs.secret.focus();
  refs.secret.select();
  refs.copy.onclick = async () => {
    try {
      await navigator.clipboard.writeText(value);  // undefined outside a secure context: caught below
      refs.copied.textContent = 'Copied to the clipboard.';
    } catch {
      refs.secret.select();
      refs.copied.textContent = 'Copying is not allowed here: the text is selected, copy it by hand.';
    }
  };
  const hide = () => {
    refs.secret.value = '';
    refs.created.hidden = true;
    onDone();
  };
  refs.done.onclick = hide;
  return hide;
}
