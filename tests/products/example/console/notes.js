// The example product's console page: the tenant's notes, newest first.
import { api } from '/console/api.js';
import { h } from '/console/dom.js';

export function mount(container) {
  const list = h('ul', { 'data-testid': 'example-notes' });
  container.append(h('section', { class: 'card' }, h('h2', {}, 'Notes'), list));
  api('/api/v1/example/notes').then((page) => {
    list.replaceChildren(...page.items.map((n) => h('li', { 'data-testid': 'example-note' }, n.text)));
  });
}
