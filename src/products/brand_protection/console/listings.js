// One listing of a scan as the Scans page shows it: its probability and decision, its picture beside the
// reference picture it matched, what it says (title, seller, price), the breakdown of its score as a
// stacked bar of each signal's contribution with a legend, and the review (confirm or dismiss with a note).

import { api } from '/console/api.js';
import { formatTime, h } from '/console/dom.js';
import { canEdit, errorText, money, objectContent, percent } from './common.js';

// The bar spans this many logit units at least, so bars of different listings compare; a listing whose
// signals add up to more gets a bar of its own scale.
const BAR_LOGITS = 20;
const INTERCEPT = -6.7998;  // modules/scoring's fitted intercept (docs/modules/scoring.md), when p is 0 or 1
const KNOWN_SIGNALS = new Set(['name_similarity', 'description_similarity', 'misspelling_hit', 'image_similarity',
  'keyword_hits', 'fraud_terms', 'price_below_band', 'seller_risk', 'accessory_terms']);

const logit = (p) => Math.log(p / (1 - p));
const signed = (x) => `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(2)}`;
const signalClass = (name) => `bp-sig bp-sig-${KNOWN_SIGNALS.has(name) ? name : 'other'}`;

// The stacked bar of a listing's signals. Each signal's contribution (coefficient × weight × value, in
// logit units) is a segment; the intercept (where a listing with no signal starts) is not drawn, but the
// marks show how far the signals must reach for the brand's review and flag thresholds.
export function signalBar(listing, thresholds) {
  const all = listing.signals?.signals ?? [];
  const shown = all.filter((s) => Number.isFinite(s.contribution) && Math.abs(s.contribution) >= 0.005);
  const positive = shown.filter((s) => s.contribution > 0);
  const negative = shown.filter((s) => s.contribution < 0);
  const total = positive.reduce((a, s) => a + s.contribution, 0);
  const sum = shown.reduce((a, s) => a + s.contribution, 0);
  const p = listing.probability;
  const b0 = p > 0 && p < 1 ? logit(p) - sum : INTERCEPT;
  const scale = Math.max(BAR_LOGITS, total);

  const bar = h('div', { class: 'bp-bar', 'data-testid': 'bp-signal-bar', role: 'img',
    'aria-label': `Score breakdown: ${shown.map((s) => `${s.name} ${signed(s.contribution)}`).join(', ') || 'no signal'}` });
  for (const s of positive) {
    const seg = h('span', { class: signalClass(s.name), 'data-signal': s.name, title: tooltip(s) });
    seg.style.width = `${(s.contribution / scale) * 100}%`;
    bar.append(seg);
  }
  for (const [name, t] of Object.entries(thresholds ?? {})) {
    if (!(t > 0 && t < 1)) continue;
    const at = (logit(t) - b0) / scale;
    if (at <= 0 || at >= 1) continue;
    const mark = h('span', { class: `bp-mark bp-mark-${name}`, title: `${name} threshold (${percent(t)})` });
    mark.style.left = `${at * 100}%`;
    bar.append(mark);
  }
  const legend = h('ul', { class: 'bp-legend', 'data-testid': 'bp-signal-legend' },
    ...[...positive, ...negative].map((s) => h('li', { title: tooltip(s), 'data-signal': s.name },
      h('span', { class: `${signalClass(s.name)} bp-swatch${s.contribution < 0 ? ' bp-negative' : ''}` }),
      s.name.replaceAll('_', ' '), ' ', h('span', { class: 'mono' }, signed(s.contribution)))),
    h('li', { class: 'muted', title: 'where a listing with no signal starts (the model\'s intercept)' },
      'base ', h('span', { class: 'mono' }, signed(b0))));
  return h('div', { class: 'bp-breakdown' }, bar, legend);
}

function tooltip(s) {
  const parts = [`${s.name}: ${signed(s.contribution)}`];
  if (Number.isFinite(s.value)) parts.push(`value ${Number(s.value).toFixed(3)} × coefficient ${Number(s.coefficient).toFixed(2)} × weight ${s.weight}`);
  if (s.meaning) parts.push(s.meaning);
  return parts.join('\n');
}

const webLink = (url) => /^https?:\/\//i.test(url ?? '') || (url ?? '').startsWith('/');

// A listing's element; ctx: {pics, references: Map(reference image id → object id), thresholds,
// onChange(listing)}. update(el, listing) redraws it in place.
export function listingCard(listing, ctx) {
  const el = h('article', { class: 'bp-listing', 'data-testid': 'bp-listing' });
  update(el, listing, ctx);
  return el;
}

export function update(el, l, ctx) {
  el.dataset.id = l.id;
  el.dataset.listingId = l.listing_id;
  el.dataset.probability = l.probability ?? '';
  el.dataset.review = l.review?.status ?? 'pending';
  el.dataset.updated = `${l.updated_at} ${l.review?.reviewed_at ?? ''}`;
  const decision = l.signals?.decision;
  const picture = h('img', { alt: `listing ${l.listing_id}`, 'data-testid': 'bp-listing-image' });
  if (l.evidence_object_id) ctx.pics.show(picture, objectContent(l.evidence_object_id));
  else if ((l.image_url ?? '').startsWith('/')) picture.src = l.image_url;  // a picture this server serves openly
  else picture.alt = 'no picture';
  const refObject = l.matched_image_id ? ctx.references.get(l.matched_image_id) : null;
  const reference = refObject ? h('img', { alt: 'matched reference', 'data-testid': 'bp-reference-image' }) : null;
  if (reference) ctx.pics.show(reference, objectContent(refObject));
  const distance = l.signals?.image?.pdq_distance;

  el.replaceChildren(
    h('div', { class: 'bp-score' },
      h('strong', { 'data-testid': 'bp-probability' }, percent(l.probability)),
      decision ? h('span', { class: `badge bp-decision-${decision}` }, decision) : null),
    h('div', { class: 'bp-pics' },
      h('figure', {}, picture, h('figcaption', {}, 'listing')),
      h('figure', {}, reference ?? h('div', { class: 'bp-noref' }, 'no matching reference'),
        h('figcaption', {}, reference ? `reference · PDQ ${distance}` : distance !== undefined ? `closest PDQ ${distance}` : ''))),
    h('div', { class: 'bp-info' },
      h('h3', {}, webLink(l.url) ? h('a', { href: l.url, target: '_blank', rel: 'noopener noreferrer' }, l.title) : l.title),
      h('p', { class: 'muted small' }, [l.seller, money(l.price, l.currency), `${l.provider} ${l.listing_id}`].filter(Boolean).join(' · ')),
      l.error ? h('p', { class: 'bad small', 'data-testid': 'bp-listing-error' }, l.error) : signalBar(l, ctx.thresholds)),
    review(l, ctx));
}

function review(l, ctx) {
  const r = l.review ?? { status: 'pending' };
  const status = h('span', { class: `badge bp-review-${r.status}`, 'data-testid': 'bp-review-status' }, r.status);
  const box = h('div', { class: 'bp-review' }, status);
  if (r.reviewed_at) box.append(h('p', { class: 'muted small' }, `${formatTime(r.reviewed_at)}`));
  if (!canEdit()) {
    if (r.note) box.append(h('p', { class: 'small' }, r.note));
    return box;
  }
  const note = h('textarea', { rows: 2, maxlength: 2000, placeholder: 'note', 'aria-label': 'Review note', 'data-testid': 'bp-review-note' });
  note.value = r.note ?? '';
  const error = h('p', { class: 'bad small', role: 'alert', hidden: true });
  const decide = (decision) => async () => {
    for (const b of box.querySelectorAll('button')) b.disabled = true;
    try {
      const body = { decision };
      if (note.value.trim()) body.note = note.value.trim();
      ctx.onChange(await api(`/api/v1/listings/${encodeURIComponent(l.id)}/review`, { method: 'POST', body }));
    } catch (err) {
      error.hidden = false;
      error.textContent = `Not saved: ${errorText(err)}`;
      for (const b of box.querySelectorAll('button')) b.disabled = false;
    }
  };
  const confirm = h('button', { type: 'button', class: 'small-button', 'data-testid': 'bp-review-confirm' }, 'Confirm');
  const dismiss = h('button', { type: 'button', class: 'small-button', 'data-testid': 'bp-review-dismiss' }, 'Dismiss');
  confirm.addEventListener('click', decide('confirmed'));
  dismiss.addEventListener('click', decide('dismissed'));
  box.append(note, h('div', { class: 'bp-review-actions' }, confirm, dismiss), error);
  return box;
}
