// The form of a brand's settings, for creating one and for changing it: names and word lists, price band,
// weights, thresholds, schedule and the provider scheduled scans search.

import { h, showFormError } from '/console/dom.js';
import { formatWords, markFields, parseWords } from './common.js';
import { providerEditor } from './providers.js';

const LISTS = [
  ['aliases', 'Aliases', 'Other names the brand goes by'],
  ['misspellings', 'Misspellings', 'Known look-alike spellings'],
  ['fraud_terms', 'Fraud terms', 'Words that give a copy away ("replica")'],
  ['keywords', 'Keywords', 'Product words copies hide behind'],
  ['categories', 'Categories', ''],
];
const WEIGHTS = ['text', 'image', 'keywords', 'fraud_terms', 'price', 'seller'];
const SCHEDULES = ['manual', 'daily', 'weekly'];

const input = (name, attrs = {}) => h('input', { name, id: `bp-${name}`, 'data-testid': `bp-brand-${name}`, ...attrs });
const field = (label, control, hint) =>
  h('div', { class: 'field' }, h('label', { for: control.id }, label), control, hint ? h('p', { class: 'muted small' }, hint) : null);

// Returns {el, fill(brand), body(), showError(err), setBusy(on)}; body() throws an Error for what the form
// itself can tell is wrong (the server checks the rest and answers 422 with the fields).
export function brandForm({ submitLabel, onSubmit }) {
  const name = input('name', { required: true, maxlength: 200, autocomplete: 'off' });
  const lists = Object.fromEntries(LISTS.map(([key]) =>
    [key, h('textarea', { name: key, id: `bp-${key}`, rows: 3, 'data-testid': `bp-brand-${key}`, placeholder: 'one per line' })]));
  const bandMin = input('price_band.min', { type: 'number', min: 0, step: 'any', placeholder: 'min' });
  const bandMax = input('price_band.max', { type: 'number', min: 0, step: 'any', placeholder: 'max' });
  const currency = input('price_band.currency', { maxlength: 3, placeholder: 'EUR', pattern: '[A-Z]{3}' });
  const weights = Object.fromEntries(WEIGHTS.map((w) =>
    [w, input(`weights.${w}`, { type: 'number', min: 0, max: 10, step: 0.1, value: 1 })]));
  const review = input('thresholds.review', { type: 'number', min: 0, max: 1, step: 0.01, value: 0.5 });
  const flag = input('thresholds.flag', { type: 'number', min: 0, max: 1, step: 0.01, value: 0.8 });
  const schedule = h('select', { name: 'schedule', id: 'bp-schedule', 'data-testid': 'bp-brand-schedule' },
    ...SCHEDULES.map((s) => h('option', { value: s }, s)), h('option', { value: 'cron' }, 'cron expression'));
  const cron = input('cron', { placeholder: '0 0 3 * * *', hidden: true });
  const provider = providerEditor({ name: 'scan_provider', allowNone: true, testid: 'bp-brand-provider' });
  const error = h('div', { class: 'form-error', role: 'alert', hidden: true, 'data-testid': 'bp-brand-error' });
  const submit = h('button', { type: 'submit', class: 'primary', 'data-testid': 'bp-brand-submit' }, submitLabel);

  const form = h('form', { class: 'bp-brand-form', novalidate: true, 'data-testid': 'bp-brand-form' },
    error,
    field('Name', name),
    ...LISTS.map(([key, label, hint]) => field(label, lists[key], hint)),
    h('fieldset', {}, h('legend', {}, 'Price band of genuine goods'),
      h('div', { class: 'bp-row3' }, bandMin, bandMax, currency),
      h('p', { class: 'muted small' }, 'Leave empty for none; a listing far below the band is a signal.')),
    h('fieldset', {}, h('legend', {}, 'Weights (0–10, 0 turns a signal off)'),
      h('div', { class: 'bp-weights' }, ...WEIGHTS.map((w) => h('label', {}, w.replace('_', ' '), weights[w])))),
    h('fieldset', {}, h('legend', {}, 'Thresholds (probability)'),
      h('div', { class: 'bp-weights' }, h('label', {}, 'review', review), h('label', {}, 'flag', flag))),
    h('fieldset', {}, h('legend', {}, 'Scheduled scans'),
      field('Schedule', schedule), cron, provider.el),
    submit);

  schedule.addEventListener('change', () => { cron.hidden = schedule.value !== 'cron'; });
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    let body;
    try {
      body = read();
    } catch (err) {
      showFormError(error, { status: -1, message: err.message });  // the form's own complaint, not the server's
      return;
    }
    onSubmit(body);
  });

  const num = (el) => (el.value === '' ? undefined : Number(el.value));
  function read() {
    const body = { name: name.value.trim() };
    for (const [key] of LISTS) body[key] = parseWords(lists[key].value);
    const band = [bandMin.value, bandMax.value, currency.value.trim()];
    if (band.every((v) => v === '')) body.price_band = null;
    else if (band.some((v) => v === '')) throw new Error('A price band needs min, max and currency (or none of them)');
    else body.price_band = { min: Number(band[0]), max: Number(band[1]), currency: band[2].toUpperCase() };
    body.weights = Object.fromEntries(WEIGHTS.map((w) => [w, num(weights[w])]).filter(([, v]) => v !== undefined));
    body.thresholds = { review: num(review), flag: num(flag) };
    body.schedule = schedule.value === 'cron' ? cron.value.trim() : schedule.value;
    body.scan_provider = provider.value();
    return body;
  }

  return {
    el: form,
    fill(b) {
      name.value = b.name ?? '';
      for (const [key] of LISTS) lists[key].value = formatWords(b[key]);
      bandMin.value = b.price_band?.min ?? '';
      bandMax.value = b.price_band?.max ?? '';
      currency.value = b.price_band?.currency ?? '';
      for (const w of WEIGHTS) weights[w].value = b.weights?.[w] ?? 1;
      review.value = b.thresholds?.review ?? 0.5;
      flag.value = b.thresholds?.flag ?? 0.8;
      const known = SCHEDULES.includes(b.schedule ?? 'manual');
      schedule.value = known ? (b.schedule ?? 'manual') : 'cron';
      cron.value = known ? '' : b.schedule;
      cron.hidden = known;
      provider.set(b.scan_provider ?? null);
    },
    showError(err) {
      showFormError(error, err);
      markFields(form, err);
    },
    setBusy(on) { submit.disabled = on; },
    disable() { for (const el of form.elements) el.disabled = true; },
  };
}
